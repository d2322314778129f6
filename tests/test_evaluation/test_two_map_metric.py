"""FCNTwoMapMetric: the semantic scores of FCNIoUMetric plus geoAcc."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import METRICS

CLASSES = ('a', 'b', 'c', 'd')


def build(**kwargs):
    init_default_scope('mmseg')
    metric = METRICS.build(dict(iou_metrics=['mIoU'], **kwargs))
    metric.dataset_meta = dict(classes=CLASSES,
                               geo_classes=('sky', 'horizontal', 'vertical'))
    return metric


def sample(pred, label, geo_pred=None, geo_label=None):
    out = dict(
        pred_sem_seg=dict(data=torch.from_numpy(pred[None]).long()),
        gt_sem_seg=dict(data=torch.from_numpy(label[None]).long()))
    if geo_pred is not None:
        out['pred_geo_seg'] = dict(data=torch.from_numpy(geo_pred[None]))
        out['gt_geo_seg'] = dict(data=torch.from_numpy(geo_label[None]))
    return out


def pairs(seed):
    rng = np.random.default_rng(seed)
    out = []
    for h, w in ((9, 13), (1, 1), (17, 5)):
        label = rng.integers(0, 3, (h, w))  # class 'd' never in the labels
        pred = np.where(rng.random((h, w)) < .6, label,
                        rng.integers(0, 4, (h, w)))
        geo_label = rng.integers(0, 3, (h, w))
        geo_label[rng.random((h, w)) < .2] = 255
        geo_pred = np.where(rng.random((h, w)) < .7, geo_label,
                            rng.integers(0, 3, (h, w)))
        geo_pred[geo_pred == 255] = 1
        out.append((pred, label, geo_pred, geo_label))
    return out


@pytest.mark.parametrize('seed', [0, 1])
def test_semantic_scores_are_fcn_iou_metrics_and_geo_acc_is_counted(seed):
    data = pairs(seed)
    two = build(type='FCNTwoMapMetric', exclude_classes=['d'],
                band_widths=[2])
    one = build(type='FCNIoUMetric', exclude_classes=['d'], band_widths=[2])
    for pred, label, geo_pred, geo_label in data:
        two.process({}, [sample(pred, label, geo_pred, geo_label)])
        one.process({}, [sample(pred, label)])
    got = two.evaluate(len(data))
    want = one.evaluate(len(data))
    assert {k: v for k, v in got.items() if k != 'geoAcc'} == want
    right = sum(((gp == gl) & (gl != 255)).sum() for _, _, gp, gl in data)
    labelled = sum((gl != 255).sum() for _, _, _, gl in data)
    assert got['geoAcc'] == pytest.approx(100 * right / labelled, abs=0.006)
    assert 0 < got['geoAcc'] < 100


def test_a_sample_without_the_geometric_map_is_named():
    metric = build(type='FCNTwoMapMetric')
    one = np.zeros((2, 3), np.int64)
    with pytest.raises(KeyError, match='has no pred_geo_seg'):
        metric.process({}, [sample(one, one)])
