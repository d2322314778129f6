"""SIFT Flow: 33 semantic classes and 3 geometric ones on the same images."""
import os.path as osp
from typing import List, Tuple

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .checked_files import CheckedFilesMixin
from .palettes import pascal_colormap

#: The semantic classes in the reference's order (fcn.berkeleyvision.org
#: ``data/sift-flow/classes.txt``, 1..33 there, 0..32 here).
SIFTFLOW_CLASSES = (
    'awning', 'balcony', 'bird', 'boat', 'bridge', 'building', 'bus', 'car',
    'cow', 'crosswalk', 'desert', 'door', 'fence', 'field', 'grass', 'moon',
    'mountain', 'person', 'plant', 'pole', 'river', 'road', 'rock', 'sand',
    'sea', 'sidewalk', 'sign', 'sky', 'staircase', 'streetlight', 'sun',
    'tree', 'window')
#: The geometric classes (``classes.txt``: 1 sky, 2 horizontal, 3 vertical).
GEO_CLASSES = ('sky', 'horizontal', 'vertical')
#: Semantic classes that no test image has; the paper's scores leave them
#: out (``FCNIoUMetric(exclude_classes=...)``).
ABSENT_FROM_TEST = ('cow', 'desert', 'moon')


class _SiftFlowFiles(BaseSegDataset):
    """BaseSegDataset whose items also name their geometric label map."""

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        folder = self.data_prefix.get('geo_map_path', '')
        for item in data_list:
            item['geo_map_path'] = osp.join(
                folder, osp.basename(item['seg_map_path']))
        return data_list


@DATASETS.register_module()
class FCNSiftFlowDataset(CheckedFilesMixin, _SiftFlowFiles):
    """SIFT Flow with its two label maps, checked up front.

    The data of the SIFT Flow net of `FCN <https://arxiv.org/abs/1605.06211>`_
    (``siftflow-fcn*``, ``siftflow_layers.py``), laid out by
    ``tools/prepare_siftflow.py``: ``images/<id>.jpg``, the semantic map
    ``semantic/<id>.png`` (0..32, 255 void) and the geometric map
    ``geometric/<id>.png`` (0..2: sky, horizontal, vertical; 255 void), and
    the reference's splits ``trainval.txt`` (2,486 ids) and ``test.txt``
    (200). ``seg_map_path`` is the semantic map (what MMSeg's
    ``LoadAnnotations`` reads); each item also has ``geo_map_path``
    (``data_prefix['geo_map_path']``), which ``LoadGeoAnnotations`` reads.
    ``METAINFO`` has ``geo_classes`` and ``geo_palette`` beside MMSeg's
    ``classes`` and ``palette``. Every listed id must have an image and both
    maps (:class:`CheckedFilesMixin`).

    Args:
        ann_file (str): Split file, one id per line, relative to
            ``data_root``.
        check_files (bool): Whether to check that every listed image and
            both label maps exist. Defaults to True.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(
        classes=SIFTFLOW_CLASSES,
        # the PASCAL colour map's colours 1..33 (0 is black)
        palette=pascal_colormap(len(SIFTFLOW_CLASSES) + 1)[1:],
        # sky blue, ground brown, walls red
        geo_classes=GEO_CLASSES,
        geo_palette=[[70, 130, 180], [152, 109, 61], [200, 40, 40]])
    checked_files: Tuple[Tuple[str, str], ...] = (
        ('img_path', 'image'), ('seg_map_path', 'semantic label'),
        ('geo_map_path', 'geometric label'))
    prepare_tool = 'tools/prepare_siftflow.py'
    split_example = 'test.txt'
    splits = "trainval and test (the reference's lists)"
    id_example = 'coast_natu975'

    def __init__(self,
                 ann_file: str,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)
