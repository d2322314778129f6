"""Datasets that check their files up front and name the files that fail."""
import os.path as osp
from typing import Any, List

import mmengine
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from ..errors import DataFileError
from .transforms import check_jpeg_complete

#: How many missing files an error message lists by name.
_SHOWN = 5


def _is_local(path: str) -> bool:
    return '://' not in path


def _named_error(what: str, path: str, err: Exception) -> Exception:
    """The error of a loader that failed on ``path``, naming the file."""
    if not path:
        return err
    if isinstance(err, FileNotFoundError):
        return FileNotFoundError(f'{what} file {path} does not exist')
    if what == 'image':
        check_jpeg_complete(path)  # raises the precise message if truncated
    detail = str(err).strip()
    if detail and path not in detail:
        return ValueError(f'cannot decode {what} {path}: {detail}')
    return ValueError(f'cannot decode {what} {path}')


class CheckedFilesMixin:
    """An MMSeg dataset that checks its files before training starts.

    Mixed in before an MMSeg dataset class that reads a split file
    (``ann_file``) of image ids, e.g. ``class FCNVOCDataset(
    CheckedFilesMixin, PascalVOCDataset)``, it behaves exactly like that
    class (same classes, palette, split-file format), but when the data
    list is loaded it checks that the data root, the image
    and label folders and the split file exist, that the split file lists at
    least one id, and that every listed id has an image and a label. Each
    failure raises one error naming the path at fault, instead of an
    ``AssertionError`` at start-up or a crash deep inside a data loader
    worker. Only local paths are checked. While loading a sample, an image
    or label that has disappeared or cannot be decoded by the pipeline's
    ``LoadImageFromFile`` / ``LoadAnnotations`` raises one error naming the
    file (the decoders' own messages often do not); the checks of the
    loaded data are ``CheckSegData``'s.

    Args:
        ann_file (str): Split file, one image id per line, relative to
            ``data_root``.
        check_files (bool): Whether to check that every listed image and
            label exists. Defaults to True.
        **kwargs: Passed to the MMSeg dataset class.

    A subclass names its data for the messages: ``prepare_tool`` (the
    script that lays the data out), ``split_example`` (a split file),
    ``splits`` (the split files that tool writes) and ``id_example``.
    """

    #: (data-info key, what the file is) of the files each id must have.
    checked_files = (('img_path', 'image'), ('seg_map_path', 'label'))
    prepare_tool = 'tools/prepare_voc.py'
    split_example = 'ImageSets/Segmentation/val.txt'
    splits = 'train, val, trainaug, aug, sbd_train and seg11valid'
    id_example = '2007_000032'

    def __init__(self,
                 ann_file: str,
                 check_files: bool = True,
                 **kwargs) -> None:
        self.check_files = check_files
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Check the data root and split file, then load the data list.

        Returns:
            list[dict]: One dict per image with ``img_path``,
            ``seg_map_path`` and MMSeg's per-sample keys.

        Raises:
            FileNotFoundError: If the data root, an image or label folder,
                the split file, or an image or label of a listed id is
                missing.
            ValueError: If the split file lists no ids.
        """
        self._check_layout()
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(
                f'split file {self.ann_file} lists no image ids; it must '
                f'name one image per line (e.g. {self.id_example})')
        if self.check_files:
            self._check_items(data_list)
        return data_list

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on sample ``idx``, naming a file that fails.

        Args:
            idx (int): Index of the sample.

        Returns:
            Any: The pipeline's output, or None if a step returned None.

        Raises:
            FileNotFoundError: If the image or label file has gone.
            ValueError: If the image or label cannot be decoded (a truncated
                JPEG is named as such).
        """
        data = self.get_data_info(idx)
        for step in self.pipeline.transforms:
            try:
                data = step(data)
            except DataFileError:
                raise  # already names the file
            except Exception as err:
                if isinstance(step, LoadImageFromFile):
                    raise _named_error('image', data.get('img_path'),
                                       err) from err
                if isinstance(step, LoadAnnotations):
                    # LoadGeoAnnotations names its own file and kind
                    key = getattr(step, 'path_key', 'seg_map_path')
                    what = getattr(step, 'what', 'label')
                    raise _named_error(what, data.get(key), err) from err
                raise
            if data is None:
                return None
        return data

    def _check_layout(self) -> None:
        root = self.data_root
        if root and _is_local(root) and not osp.isdir(root):
            raise FileNotFoundError(
                f'data_root {root} does not exist; prepare the data with '
                f'{self.prepare_tool} or set data_root in the config')
        for key, what in self.checked_files:
            folder = self.data_prefix.get(key)
            if folder and _is_local(folder) and not osp.isdir(folder):
                raise FileNotFoundError(
                    f'{what} folder {folder} does not exist (data_prefix.'
                    f'{key} under data_root {root})')
        ann = self.ann_file
        if not ann:
            raise ValueError(f'{type(self).__name__} needs a split file '
                             f'(ann_file), e.g. {self.split_example}')
        if _is_local(ann) and not osp.isfile(ann):
            raise FileNotFoundError(
                f'split file {ann} does not exist; {self.prepare_tool} '
                f'writes {self.splits}')
        lines = mmengine.list_from_file(ann, backend_args=self.backend_args)
        if not any(line.strip() for line in lines):
            raise ValueError(f'split file {ann} is empty; it must name one '
                             f'image id per line (e.g. {self.id_example})')

    def _check_items(self, data_list: List[dict]) -> None:
        for key, what in self.checked_files:
            paths = [
                item[key] for item in data_list
                if key in item and _is_local(item[key])
            ]
            missing = [p for p in paths if not osp.isfile(p)]
            if missing:
                shown = ', '.join(missing[:_SHOWN])
                more = len(missing) - _SHOWN
                tail = f' and {more} more' if more > 0 else ''
                raise FileNotFoundError(
                    f'{len(missing)} of {len(paths)} ids in split file '
                    f'{self.ann_file} have no {what}: {shown}{tail}')
