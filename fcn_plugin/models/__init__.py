from .backbones import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .decode_heads import *  # noqa: F401,F403
from .decode_heads import __all__ as _decode_heads
from .net_table import net_name_of
from .segmentors import *  # noqa: F401,F403
from .segmentors import __all__ as _segmentors

__all__ = _backbones + _decode_heads + _segmentors + ['net_name_of']
