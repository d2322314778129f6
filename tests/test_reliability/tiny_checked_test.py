# The tiny FCN-8s tested through MMSeg's loaders and the plugin's
# CheckSegData (which restores the 2-D shape of a 1 x 1 label).
_base_ = ['../data/tiny_fcn8s_voc.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData'),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# The evaluator stays FCNIoUMetric with trimap bands (1 x 1 maps included).
