from .mmseg_fixes import install as install_mmseg_fixes
from .safe_checkpoint import install as install_safe_checkpoint_loading

__all__ = ['install_safe_checkpoint_loading', 'install_mmseg_fixes']
