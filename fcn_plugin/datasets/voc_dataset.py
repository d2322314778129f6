"""PASCAL VOC with up-front checks of its files, naming files that fail."""
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from .checked_files import CheckedFilesMixin


@DATASETS.register_module()
class FCNVOCDataset(CheckedFilesMixin, PascalVOCDataset):
    """PASCAL VOC that checks its files before training starts.

    The data of `Fully Convolutional Networks for Semantic Segmentation
    <https://arxiv.org/abs/1605.06211>`_: SBD train (``sbd_train``), VOC2011
    ``seg11valid`` and MMSeg's VOC splits, laid out by
    ``tools/prepare_voc.py``. MMSeg's :class:`PascalVOCDataset` with the
    checks of :class:`CheckedFilesMixin`.

    Args:
        ann_file (str): Split file, one image id per line, relative to
            ``data_root``.
        check_files (bool): Whether to check that every listed image and
            label exists. Defaults to True.
        **kwargs: Passed to :class:`PascalVOCDataset`.
    """
