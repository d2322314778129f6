"""Class names of a config's test set, as the dataset resolves them."""
import pytest
from mmengine.config import Config

from fcn_tools.dataset_meta import config_dataset_meta
from ..conftest import CONFIGS


def test_config_metainfo_over_the_dataset_class():
    # BaseSegDataset has no METAINFO: the names come from the config.
    cfg = Config.fromfile(
        str(CONFIGS / 'fcn8s-atonce_vgg16_1xb4-20k_custom-512x512.py'))
    meta = config_dataset_meta(cfg, 3)
    assert tuple(meta['classes']) == ('background', 'cat', 'dog')
    assert meta['palette'] == [[0, 0, 0], [128, 0, 0], [0, 128, 0]]
    with pytest.raises(ValueError, match='names 3 classes, the model has 5'):
        config_dataset_meta(cfg, 5)


def test_dataset_class_metainfo():
    cfg = Config.fromfile(str(CONFIGS / 'fcn8s_vgg16_voc.py'))
    meta = config_dataset_meta(cfg, 21)
    assert meta['classes'][15] == 'person' and len(meta['palette']) == 21
