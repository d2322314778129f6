"""NYUDv2: the 40-class RGB-D task, with depth and HHA maps per image."""
import os.path as osp
from typing import List, Optional, Sequence

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .checked_files import CheckedFilesMixin
from .nyud_classes import NYUD40_CLASSES
from .palettes import pascal_colormap
from .rgbd_transforms import MODALITY_KEYS, PATH_KEYS

#: What the files of each modality are called in messages.
_WHAT = {'depth': 'depth map', 'hha': 'HHA map'}


class _NYUDFiles(BaseSegDataset):
    """BaseSegDataset whose split files list bare ids of prefixed files
    (``5001`` -> ``img_5001.png``) and whose items name their depth and
    HHA maps."""

    def __init__(self, file_prefix: str = 'img_', **kwargs) -> None:
        self.file_prefix = file_prefix
        super().__init__(**kwargs)

    def file_stem(self, sample_id: str) -> str:
        """The file name (without suffix) of an id of the split file;
        ``img_5001`` and ``5001`` both name ``img_5001``."""
        if sample_id.startswith(self.file_prefix):
            return sample_id
        return self.file_prefix + sample_id

    def load_data_list(self) -> List[dict]:
        lines = mmengine.list_from_file(
            self.ann_file, backend_args=self.backend_args)
        folders = {
            key: self.data_prefix.get(key)
            for key in ('img_path', 'seg_map_path', 'depth_path', 'hha_path')
        }
        data_list = []
        for line in lines:
            if not line.strip():
                continue
            stem = self.file_stem(line.strip())
            item = dict(
                img_path=osp.join(folders['img_path'] or '',
                                  stem + self.img_suffix))
            if folders['seg_map_path'] is not None:
                item['seg_map_path'] = osp.join(folders['seg_map_path'],
                                                stem + self.seg_map_suffix)
            for key in ('depth_path', 'hha_path'):
                if folders[key] is not None:
                    item[key] = osp.join(folders[key], stem + '.png')
            item['label_map'] = self.label_map
            item['reduce_zero_label'] = self.reduce_zero_label
            item['seg_fields'] = []
            data_list.append(item)
        return data_list


@DATASETS.register_module()
class FCNNYUDDataset(CheckedFilesMixin, _NYUDFiles):
    """NYUDv2 in the 40 classes of Gupta et al., with depth and HHA.

    The data of the NYUDv2 nets of `FCN <https://arxiv.org/abs/1605.06211>`_
    (``nyud-fcn32s-*``, ``nyud_layers.py``), laid out by
    ``tools/prepare_nyud.py`` under ``data/nyud``: ``images/img_<id>.png``
    (colour), ``depth/img_<id>.png`` (uint16 millimetres),
    ``hha/img_<id>.png`` (HHA, 8-bit, 3 channels), ``labels/img_<id>.png``
    (0..39 in the reference's ``classes.txt`` order, 255 void) and the
    reference's splits ``train.txt`` (381 ids), ``val.txt`` (414),
    ``trainval.txt`` and ``test.txt`` (654), which list bare ids
    (``5001``; an id written ``img_5001`` is read the same).

    Each item has ``img_path`` and ``seg_map_path`` as in MMSeg, plus
    ``depth_path`` and ``hha_path`` where ``data_prefix`` names their
    folders (by default it does), read by
    :class:`~fcn_plugin.datasets.LoadDepthFromFile` and
    :class:`~fcn_plugin.datasets.LoadHHAFromFile`. Every listed id must
    have its image, its label and the maps of ``modalities``
    (:class:`CheckedFilesMixin`); the image is always required (it gives
    the sample its size and is what visualisations draw).

    Args:
        ann_file (str): Split file, one id per line, relative to
            ``data_root``.
        modalities (Sequence[str]): The inputs the net takes, whose files
            are checked: ``('color', )``, ``('hha', )``,
            ``('color', 'depth')``, ``('color', 'hha')``, ... HHA computed
            from the depth (``LoadHHAFromFile(from_depth=True)``) needs
            ``'depth'`` here, not ``'hha'``. Defaults to ('color', ).
        check_files (bool): Whether to check the files up front. Defaults
            to True.
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '.png'.
        file_prefix (str): What turns an id into a file name. Defaults to
            'img_'.
        data_prefix (dict, optional): Folders (relative to ``data_root``)
            of ``img_path``, ``seg_map_path``, ``depth_path`` and
            ``hha_path``. Defaults to the layout above.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(
        classes=NYUD40_CLASSES,
        # the PASCAL colour map's colours 1..40 (0 is black)
        palette=pascal_colormap(len(NYUD40_CLASSES) + 1)[1:])
    prepare_tool = 'tools/prepare_nyud.py'
    split_example = 'test.txt'
    splits = "train, val, trainval and test (the reference's lists)"
    id_example = '5001'

    def __init__(self,
                 ann_file: str,
                 modalities: Sequence[str] = ('color', ),
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(modalities, str):
            modalities = (modalities, )
        modalities = tuple(modalities)
        unknown = [m for m in modalities if m not in MODALITY_KEYS]
        if not modalities or unknown:
            raise ValueError(
                f'{type(self).__name__}: modalities must be names among '
                f'{", ".join(MODALITY_KEYS)}, got {modalities!r}')
        if data_prefix is None:
            data_prefix = dict(img_path='images', seg_map_path='labels',
                               depth_path='depth', hha_path='hha')
        for name in modalities:
            key = PATH_KEYS[name]
            if name != 'color' and not data_prefix.get(key):
                raise ValueError(
                    f"{type(self).__name__}: modalities has '{name}' but "
                    f'data_prefix has no {key}; set data_prefix.{key} (e.g. '
                    f"'{name}') to the folder of its maps")
        self.modalities = modalities
        self.checked_files = (('img_path', 'image'),
                              ('seg_map_path', 'label')) + tuple(
                                  (PATH_KEYS[m], _WHAT[m])
                                  for m in modalities if m != 'color')
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)
