"""How a model class of the plugin says which FCN net it is.

Every trunk (backbone) and every head of `FCN
<https://arxiv.org/abs/1605.06211>`_ declares, on its class, the nets it
builds as :class:`NetDescription` entries: the net's name and title, the net
it is trained from (the paper's staged training), its Caffe release and its
pytorch-fcn class. The net table (:mod:`fcn_plugin.models.net_table`), the
converters, the weights hook and every message derive from these
declarations, so adding a net means writing its model class only.

A class takes part by declaring ``nets`` (a trunk: ``net``); subclasses
register themselves here when they are defined, see
:class:`~fcn_plugin.models.decode_heads.CaffeFCNHead`.
"""
from typing import Dict, List, NamedTuple, Optional, Tuple


class NetDescription(NamedTuple):
    """One net: its identity, lineage and released weights.

    Args:
        name (str): Net name, as recorded in ``meta['fcn_net']`` and used by
            the converters' ``--net`` (``'fcn8s'``).
        title (str): Name in messages (``'FCN-8s'``).
        staged_from (str, optional): The net whose weights initialise this
            one in staged training (``'fcn16s'``), or the trunk (``'vgg16'``)
            for a net trained from the classifier in one go. None for a trunk.
        caffe_release (str, optional): File name of the released
            ``.caffemodel`` (``fcn8s-heavy-pascal.caffemodel``), if any.
        torchfcn_arch (str, optional): The pytorch-fcn class of this net
            (``'FCN8s'``), recorded as ``arch`` in its checkpoints.
        fixed_scales (tuple): ``(name, value)`` of the fixed Caffe ``Scale``
            layers this net has before its skips, e.g. the at-once net's
            ``(('scale_pool4', 0.01), ('scale_pool3', 0.0001))``. The Caffe
            layer name is the head argument that holds the constant.
    """
    name: str
    title: str
    staged_from: Optional[str] = None
    caffe_release: Optional[str] = None
    torchfcn_arch: Optional[str] = None
    fixed_scales: Tuple[Tuple[str, float], ...] = ()


class _Registry:
    """The model classes that declared nets, in definition order.

    ``version`` changes with every registration, so tables derived from
    the classes know when to be rebuilt.
    """

    def __init__(self) -> None:
        self.trunks: List[type] = []
        self.heads: List[type] = []
        self.version = 0

    def add(self, cls: type, kind: str) -> None:
        classes = self.trunks if kind == 'trunk' else self.heads
        names = {d.name for c in self.trunks + self.heads
                 for d in _descriptions(c) if c.__name__ != cls.__name__}
        clash = [d.name for d in _descriptions(cls) if d.name in names]
        if clash:
            raise ValueError(f'{cls.__name__} declares the net(s) '
                             f'{", ".join(clash)}, which another model class '
                             'already declares; net names must be unique')
        # A class defined again (a reloaded module) replaces its namesake.
        classes[:] = [c for c in classes if c.__name__ != cls.__name__]
        classes.append(cls)
        self.version += 1


def _descriptions(cls: type) -> Tuple[NetDescription, ...]:
    if getattr(cls, 'net', None) is not None:
        return (cls.net, )
    return tuple(getattr(cls, 'nets', ()))


#: Trunks and heads that declared nets.
REGISTRY = _Registry()


def register_trunk(cls: type) -> type:
    """Class decorator: ``cls.net`` is a trunk of the table."""
    REGISTRY.add(cls, 'trunk')
    return cls


def register_head(cls: type) -> type:
    """Add a head class whose ``nets`` declare one or more nets."""
    REGISTRY.add(cls, 'head')
    return cls


def descriptions() -> Dict[str, NetDescription]:
    """Every declared net, trunks first: name -> description."""
    return {
        d.name: d
        for cls in REGISTRY.trunks + REGISTRY.heads
        for d in _descriptions(cls)
    }
