"""PASCAL-Context (MMSeg's datasets) with up-front checks of its files."""
from mmseg.datasets import PascalContextDataset, PascalContextDataset59
from mmseg.registry import DATASETS

from .checked_files import CheckedFilesMixin


class _ContextFiles(CheckedFilesMixin):
    prepare_tool = 'tools/prepare_pascal_context.py'
    split_example = 'ImageSets/SegmentationContext/val.txt'
    splits = 'train and val (the reference\'s VOC2010 ImageSets/Main lists)'
    id_example = '2008_000002'


@DATASETS.register_module()
class FCNPascalContextDataset(_ContextFiles, PascalContextDataset):
    """PASCAL-Context with 60 classes (background 0) that checks its files.

    The data of the PASCAL-Context nets of `FCN
    <https://arxiv.org/abs/1605.06211>`_ (``pascalcontext-fcn*``), laid out
    by ``tools/prepare_pascal_context.py``: MMSeg's
    :class:`PascalContextDataset` (its classes, alphabetical, and palette)
    with the checks of :class:`CheckedFilesMixin`. The reference's nets
    score the background like a class; its 59-class scores leave the
    background's pixels out (``FCNIoUMetric(exclude_classes=
    ['background'])``).

    Args:
        ann_file (str): Split file, one image id per line, relative to
            ``data_root``.
        check_files (bool): Whether to check that every listed image and
            label exists. Defaults to True.
        **kwargs: Passed to :class:`PascalContextDataset`.
    """


@DATASETS.register_module()
class FCNPascalContextDataset59(_ContextFiles, PascalContextDataset59):
    """PASCAL-Context's 59 classes (background ignored) that checks its
    files.

    MMSeg's :class:`PascalContextDataset59` (``reduce_zero_label``: the
    background becomes the ignore index, the 59 classes 0..58 in MMSeg's
    alphabetical order) with the checks of :class:`CheckedFilesMixin`, on
    the layout of ``tools/prepare_pascal_context.py``; the nets of `FCN
    <https://arxiv.org/abs/1605.06211>`_ with 59 outputs.

    Args:
        ann_file (str): Split file, one image id per line, relative to
            ``data_root``.
        check_files (bool): Whether to check that every listed image and
            label exists. Defaults to True.
        **kwargs: Passed to :class:`PascalContextDataset59`.
    """
