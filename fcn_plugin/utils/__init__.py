from .safe_checkpoint import install as install_safe_checkpoint_loading

__all__ = ['install_safe_checkpoint_loading']
