"""Every config under configs/ loads, and builds what it describes."""
from pathlib import Path

import pytest
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from fcn_plugin.datasets.synthetic import make_synthetic_voc
from .conftest import CONFIGS

ALL_CONFIGS = sorted(CONFIGS.rglob('*.py'))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def test_configs_are_found():
    assert len(ALL_CONFIGS) > 0
    assert len([p for p in ALL_CONFIGS if p.parent == CONFIGS]) > 0


def _point_at(node, data_root: str):
    """Replace every data_root in a (nested) dataset config."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'data_root':
                node[key] = data_root
            else:
                _point_at(value, data_root)
    elif isinstance(node, list):
        for value in node:
            _point_at(value, data_root)


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory) -> str:
    return str(make_synthetic_voc(tmp_path_factory.mktemp('voc'), 4))


@pytest.mark.parametrize(
    'path', ALL_CONFIGS, ids=[str(p.relative_to(CONFIGS)) for p in ALL_CONFIGS])
def test_config_loads_and_builds(path: Path, synthetic_root: str):
    from mmseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    built = 0
    if isinstance(cfg.get('model'), ConfigDict):
        model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        del model
        built += 1
    for name, value in cfg.items():
        if name.endswith('data_preprocessor') and isinstance(
                value, ConfigDict):
            MODELS.build(value)
            built += 1
    for name in LOADERS:
        if isinstance(cfg.get(name), ConfigDict):
            dataset_cfg = cfg[name].dataset.to_dict()
            _point_at(dataset_cfg, synthetic_root)
            dataset = DATASETS.build(dataset_cfg)
            assert len(dataset) > 0
            assert dataset[0]['inputs'].shape[0] == 3
            built += 1
    if path.parent.name not in ('schedules', ) and path.name not in (
            'default_runtime.py', ):
        assert built > 0, f'{path} describes neither a model nor data'
