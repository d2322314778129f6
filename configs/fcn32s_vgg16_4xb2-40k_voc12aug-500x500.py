# FCN-32s with a modern recipe, trained in one stage
# from ImageNet VGG16: VOC12 trainaug (10,582 images) with random resize
# (0.5-2.0), 500x500 crops, flips and photometric distortion, 4 GPUs x 2
# images, a normalised (mean) loss, SGD momentum 0.9 with poly decay for 40k
# iterations, evaluated on VOC12 val (1,449 images). It aims to beat the
# paper's recipe; it has not been trained on VOC by this project yet.
_base_ = [
    './_base_/models/fcn32s_vgg16.py',
    './_base_/datasets/pascal_voc12_aug_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/poly_40k.py'
]
crop_size = (500, 500)
model = dict(
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=2)
