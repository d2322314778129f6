"""Fixtures of the data tests: synthetic VOC trees and the data tools."""
import importlib.util
import sys
from pathlib import Path

import pytest

from fcn_plugin.datasets import make_synthetic_voc

ROOT = Path(__file__).resolve().parents[2]
DATASET_CFGS = sorted((ROOT / 'configs/_base_/datasets').glob('*.py'))
#: Caffe VGG16 BGR mean of the model configs.
CAFFE_MEAN = (104.00699, 116.66877, 122.67892)


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a module (kept for worker pickling)."""
    module_name = f'fcn_tools_{name}'
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            module_name, ROOT / 'tools' / f'{name}.py')
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


@pytest.fixture(scope='module')
def synthetic_voc(tmp_path_factory) -> Path:
    """A small synthetic VOC2012 folder at odd image sizes (read-only)."""
    out = tmp_path_factory.mktemp('synthetic')
    return make_synthetic_voc(out, 12, size=(37, 53), seed=3)
