from .caffe_fcn_head import CaffeFCNHead
from .fcn8s_head import FCN8sHead
from .fcn16s_head import FCN16sHead
from .fcn32s_alexnet_head import FCN32sAlexNetHead
from .fcn32s_head import FCN32sHead
from .head_layers import ScoreLayer, UpscoreLayer

__all__ = [
    'CaffeFCNHead', 'FCN32sHead', 'FCN16sHead', 'FCN8sHead',
    'FCN32sAlexNetHead', 'ScoreLayer', 'UpscoreLayer'
]
