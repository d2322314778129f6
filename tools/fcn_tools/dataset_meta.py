"""The class names and colours a config's test set declares."""
from typing import Any, Dict

from mmengine.config import Config


def config_dataset_meta(cfg: Config, num_classes: int) -> Dict[str, Any]:
    """``classes`` and ``palette`` of ``cfg``'s test dataset.

    As the dataset itself resolves them: the config's ``metainfo`` (e.g. a
    ``BaseSegDataset`` of your own classes) over the dataset class's
    ``METAINFO`` (e.g. ``PascalVOCDataset``).

    Args:
        cfg (Config): A config with a ``test_dataloader``.
        num_classes (int): The model's classes, which the names must match.

    Returns:
        dict: ``classes`` and ``palette`` (None if the dataset has none).

    Raises:
        ValueError: If the dataset names another number of classes, or
            none.
    """
    from mmseg.registry import DATASETS
    dataset_cfg = cfg.test_dataloader.dataset
    dataset = DATASETS.get(dataset_cfg.type)
    meta = dataset._load_metainfo(dataset_cfg.get('metainfo'))
    classes = meta.get('classes') or ()
    if len(classes) != num_classes:
        raise ValueError(
            f"the config's test set ({dataset.__name__}) names "
            f'{len(classes)} classes, the model has {num_classes}; set '
            'test_dataloader.dataset.metainfo=dict(classes=..., palette=...)')
    return dict(classes=classes, palette=meta.get('palette'))
