"""The plugin's additions to MMSeg's inference APIs."""
from .rgbd_inferencer import RGBDInferencer

__all__ = ['RGBDInferencer']
