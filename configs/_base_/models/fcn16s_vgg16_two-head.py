# FCN-16s with two heads on one trunk (siftflow-fcn16s): decode_head (the
# semantic classes) and geo_head, the same head merged with its changes (the
# geometric classes, its loss name); the converter maps Caffe's <layer>_sem
# and <layer>_geo to them. Each head its own summed loss: decode.loss_sem,
# geo.loss_geo. The preprocessor pads the geometric map with the semantic.
_base_ = ['./fcn16s_vgg16.py']
model = dict(
    type='TwoHeadEncoderDecoder',
    data_preprocessor=dict(type='TwoMapDataPreProcessor'),
    decode_head=dict(loss_decode=dict(loss_name='loss_sem')),
    geo_head=dict(num_classes=3, loss_decode=dict(loss_name='loss_geo')))
