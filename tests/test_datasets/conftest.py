"""Fixtures of the data tests: synthetic VOC trees."""
from pathlib import Path

import pytest

from fcn_tools.synthetic import make_synthetic_voc

ROOT = Path(__file__).resolve().parents[2]
DATASET_CFGS = sorted((ROOT / 'configs/_base_/datasets').glob('*.py'))
#: Caffe VGG16 BGR mean of the model configs.
CAFFE_MEAN = (104.00699, 116.66877, 122.67892)


@pytest.fixture(scope='module')
def synthetic_voc(tmp_path_factory) -> Path:
    """A small synthetic VOC2012 folder at odd image sizes (read-only)."""
    out = tmp_path_factory.mktemp('synthetic')
    return make_synthetic_voc(out, 12, size=(37, 53), seed=3)
