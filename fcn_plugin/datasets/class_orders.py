"""How each benchmark's released FCNs number their classes.

The reference nets of `FCN <https://arxiv.org/abs/1605.06211>`_ score the
classes of each benchmark in the order of the reference's own class list;
MMSeg's dataset classes may list the same classes in another order (PASCAL-
Context: alphabetical) or without the background. A :class:`ClassOrder`
declares, once per benchmark, the reference's order, the names it uses
where MMSeg's differ, the Caffe releases and the MMSeg datasets that the
converted weights can serve. The converters reorder the score layers from
it (:func:`class_rows`); the weights hook and the preparation tools name
classes through it.
"""
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

from mmseg.registry import DATASETS

from .nyud_classes import NYUD40_CLASSES
from .siftflow_dataset import SIFTFLOW_CLASSES


class ClassOrder(NamedTuple):
    """The classes of one benchmark's released Caffe FCNs.

    Args:
        name (str): Short name, e.g. ``'pascal-context'``.
        title (str): Name for messages, e.g. ``'PASCAL-Context'``.
        caffe_classes (tuple[str]): The rows of the released score layers
            (``score_fr``, ``score_pool4``, ...), in the reference's order.
        targets (dict): ``--classes`` name -> MMSeg dataset type whose
            ``METAINFO['classes']`` the converted rows follow; the first is
            the default. A dataset that lacks a reference class (e.g.
            MMSeg's 59-class PASCAL-Context without the background) drops
            its row.
        renames (dict): Reference class name -> the MMSeg dataset's name
            where they differ.
        caffe_mean (tuple[float], optional): The BGR mean the releases were
            trained with, where it is not the Caffe VGG16's ImageNet mean
            (SIFT Flow's ``siftflow_layers.py`` subtracts its own); the
            converter records it as the file's input.
        caffe_releases (dict): Net -> file name of its released
            ``.caffemodel`` for this benchmark (VOC's are declared by the
            nets themselves, :class:`NetDescription` ``caffe_release``).
        modality_means (dict): For a benchmark with several inputs
            (NYUDv2), each input modality's mean as its releases subtract
            it (``'color'``: BGR, ``'hha'``, ``'depth'``: log-depth); the
            converter records the modalities' means as a file's input.
    """
    name: str
    title: str
    caffe_classes: Tuple[str, ...]
    targets: Mapping[str, str]
    renames: Mapping[str, str] = {}
    caffe_releases: Mapping[str, str] = {}
    caffe_mean: Optional[Tuple[float, ...]] = None
    modality_means: Mapping[str, Tuple[float, ...]] = {}

    def mmseg_name(self, name: str) -> str:
        """The MMSeg dataset's name of a reference class."""
        return self.renames.get(name, name)


#: The 59 classes of the PASCAL-Context task in the reference's order
#: (fcn.berkeleyvision.org ``data/pascal-context/classes-59.txt``; the
#: release's ``59_labels.txt``), after the background (row 0).
CONTEXT_59 = (
    'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
    'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
    'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor', 'bag', 'bed',
    'bench', 'book', 'building', 'cabinet', 'ceiling', 'clothes', 'computer',
    'cup', 'door', 'fence', 'floor', 'flower', 'food', 'grass', 'ground',
    'keyboard', 'light', 'mountain', 'mouse', 'curtain', 'platform', 'sign',
    'plate', 'road', 'rock', 'shelves', 'sidewalk', 'sky', 'snow',
    'bedcloth', 'track', 'tree', 'truck', 'wall', 'water', 'window', 'wood')
#: The three 59-task names that differ from the names of the full
#: annotation (``labels.txt``), which MMSeg's classes use;
#: ``pascalcontext_layers.py`` resolves them the same way.
CONTEXT_RENAMES = {
    'diningtable': 'table',
    'bedcloth': 'bedclothes',
    'clothes': 'cloth',
}

VOC = ClassOrder(
    name='voc',
    title='PASCAL VOC',
    caffe_classes=('background', 'aeroplane', 'bicycle', 'bird', 'boat',
                   'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
                   'diningtable', 'dog', 'horse', 'motorbike', 'person',
                   'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor'),
    # the VOC releases are the nets' own (NetDescription.caffe_release)
    targets={'voc': 'PascalVOCDataset'})
PASCAL_CONTEXT = ClassOrder(
    name='pascal-context',
    title='PASCAL-Context',
    caffe_classes=('background', ) + CONTEXT_59,
    targets={
        'pascal-context': 'PascalContextDataset',
        'pascal-context-59': 'PascalContextDataset59',
    },
    renames=CONTEXT_RENAMES,
    caffe_releases={
        'fcn32s': 'pascalcontext-fcn32s-heavy.caffemodel',
        'fcn16s': 'pascalcontext-fcn16s-heavy.caffemodel',
        'fcn8s': 'pascalcontext-fcn8s-heavy.caffemodel',
    })

SIFT_FLOW = ClassOrder(
    name='siftflow',
    title='SIFT Flow',
    # the semantic head's rows; the geometric head scores sky, horizontal,
    # vertical (FCNSiftFlowDataset's geo_classes) in the same order
    caffe_classes=SIFTFLOW_CLASSES,
    targets={'siftflow': 'FCNSiftFlowDataset'},
    caffe_mean=(114.578, 115.294, 108.353),
    caffe_releases={
        'fcn32s': 'siftflow-fcn32s-heavy.caffemodel',
        'fcn16s': 'siftflow-fcn16s-heavy.caffemodel',
        'fcn8s': 'siftflow-fcn8s-heavy.caffemodel',
    })

NYUD = ClassOrder(
    name='nyud',
    title='NYUDv2',
    # the 40 classes of Gupta et al. in data/nyud/classes.txt's order
    caffe_classes=NYUD40_CLASSES,
    targets={'nyud': 'FCNNYUDDataset'},
    # nyud_layers.py's colour mean (BGR), the releases' default input
    caffe_mean=(116.190, 97.203, 92.318),
    # nyud_layers.py's mean of each input: the HHA release subtracts the
    # HHA mean, the colour-HHA release both, one per stream; the early-
    # fusion net adds log(depth) - 7.844
    modality_means={
        'color': (116.190, 97.203, 92.318),
        'hha': (132.431, 94.076, 118.477),
        'depth': (7.844, ),
    },
    # the colour net (nyud-fcn32s-hha-heavy and nyud-fcn32s-color-hha-heavy
    # hold FCN-32s nets of the other inputs; no color-d net was released)
    caffe_releases={'fcn32s': 'nyud-fcn32s-color-heavy.caffemodel'})

#: Every declared order by name.
CLASS_ORDERS: Dict[str, ClassOrder] = {
    order.name: order
    for order in (VOC, PASCAL_CONTEXT, SIFT_FLOW, NYUD)
}


def register_class_order(order: ClassOrder) -> ClassOrder:
    """Declare another benchmark's class order (by its name)."""
    CLASS_ORDERS[order.name] = order
    return order


def targets() -> Dict[str, ClassOrder]:
    """Every ``--classes`` target -> the order it converts from."""
    return {
        target: order
        for order in CLASS_ORDERS.values() for target in order.targets
    }


def orders_of_size(num_rows: int) -> List[ClassOrder]:
    """The declared orders whose releases score ``num_rows`` classes."""
    return [o for o in CLASS_ORDERS.values()
            if len(o.caffe_classes) == num_rows]


def dataset_meta(target: str) -> Dict[str, list]:
    """``classes`` and ``palette`` of a target's MMSeg dataset."""
    order = targets()[target]
    info = DATASETS.get(order.targets[target]).METAINFO
    return dict(classes=list(info['classes']),
                palette=[list(c) for c in info['palette']])


def class_rows(target: str) -> Tuple[List[int], List[str]]:
    """Rows of the reference's score layers that make a target's classes.

    Args:
        target (str): A ``--classes`` name, e.g. ``'pascal-context-59'``.

    Returns:
        tuple: (for each class of the target's MMSeg dataset, in its order,
        the row of that class in the reference's score layers; the
        reference classes the target has no place for, dropped).

    Raises:
        KeyError: If ``target`` is not declared.
        ValueError: If the MMSeg dataset names a class the reference does
            not score.
    """
    order = targets()[target]
    rows = {order.mmseg_name(c): i for i, c in enumerate(order.caffe_classes)}
    classes = dataset_meta(target)['classes']
    missing = [c for c in classes if c not in rows]
    if missing:
        raise ValueError(
            f'{order.targets[target]} lists {", ".join(missing)}, which the '
            f'{order.title} release does not score')
    kept = [rows[c] for c in classes]
    dropped = [c for i, c in enumerate(order.caffe_classes) if i not in kept]
    return kept, dropped
