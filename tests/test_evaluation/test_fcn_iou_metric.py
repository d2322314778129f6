"""FCNIoUMetric against the reference score.py formulas and hand cases."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import METRICS

NUM_CLASSES = 6
CLASSES = tuple(f'c{i}' for i in range(NUM_CLASSES))


def build_metric(**kwargs):
    init_default_scope('mmseg')
    metric = METRICS.build(
        dict(type='FCNIoUMetric', iou_metrics=['mIoU'], **kwargs))
    metric.dataset_meta = dict(classes=CLASSES)
    return metric


def sample(pred: np.ndarray, label: np.ndarray) -> dict:
    return dict(
        pred_sem_seg=dict(data=torch.from_numpy(pred[None]).long()),
        gt_sem_seg=dict(data=torch.from_numpy(label[None]).long()))


def evaluate(metric, pairs):
    for pred, label in pairs:
        metric.process({}, [sample(pred, label)])
    return metric.evaluate(len(pairs))


def histogram(pairs, n):
    """score.py's ``fast_hist`` summed over the pairs (rows: labels)."""
    hist = np.zeros((n, n))
    for pred, label in pairs:
        a, b = label.flatten(), pred.flatten()
        k = (a >= 0) & (a < n)
        hist += np.bincount(
            n * a[k].astype(int) + b[k], minlength=n**2).reshape(n, n)
    return hist


def score_py(pairs, n):
    """The reference implementation's score.py, in numpy."""
    hist = histogram(pairs, n)
    with np.errstate(divide='ignore', invalid='ignore'):
        acc = np.diag(hist).sum() / hist.sum()
        acc_cls = np.nanmean(np.diag(hist) / hist.sum(1))
        iu = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
    freq = hist.sum(1) / hist.sum()
    return dict(
        aAcc=acc,
        mAcc=acc_cls,
        mIoU=np.nanmean(iu),
        fwIoU=(freq[freq > 0] * iu[freq > 0]).sum())


def random_pairs(rng, sizes, absent=(4, ), never_predicted=(5, )):
    """Random maps with 255 voids, classes absent from the ground truth
    (``absent``, still predicted) and classes never predicted."""
    gt_classes = [c for c in range(NUM_CLASSES) if c not in absent]
    pred_classes = [c for c in range(NUM_CLASSES) if c not in never_predicted]
    pairs = []
    for h, w in sizes:
        label = rng.choice(gt_classes, size=(h, w))
        label[rng.random((h, w)) < 0.15] = 255
        pred = np.where(
            rng.random((h, w)) < 0.6, label,
            rng.choice(pred_classes, size=(h, w)))
        pred[pred == 255] = pred_classes[0]
        pred[np.isin(pred, never_predicted)] = pred_classes[1]
        pairs.append((pred.astype(np.int64), label.astype(np.int64)))
    return pairs


@pytest.mark.parametrize('seed', [0, 1])
def test_matches_score_py(seed):
    rng = np.random.default_rng(seed)
    pairs = random_pairs(rng, [(13, 17), (9, 31), (21, 5)])
    expected = score_py(pairs, NUM_CLASSES)
    # the data really exercise voids, an absent and an unpredicted class
    assert any((label == 255).any() for _, label in pairs)
    assert not any((label == 4).any() for _, label in pairs)
    assert any((pred == 4).any() for pred, _ in pairs)
    result = evaluate(build_metric(), pairs)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value * 100, abs=0.006), key
    # fwIoU differs from mIoU here, so the test tells them apart
    assert abs(expected['fwIoU'] - expected['mIoU']) > 1e-3


def test_fw_iou_can_be_switched_off():
    pairs = random_pairs(np.random.default_rng(3), [(7, 9)])
    assert 'fwIoU' not in evaluate(build_metric(fw_iou=False), pairs)


def test_band_hand_made():
    # GT: class 1 in columns 0-3, class 2 in columns 4-7 (boundary 3|4).
    # Prediction: the boundary is one column too far right (4|5).
    label = np.ones((6, 8), np.int64)
    label[:, 4:] = 2
    pred = np.ones((6, 8), np.int64)
    pred[:, 5:] = 2
    result = evaluate(build_metric(band_widths=[1, 2, 100]), [(pred, label)])
    # band 1 = columns 3, 4: IoU1 = 6 / 12, IoU2 = 0 / 6
    assert result['mIoU@band1'] == pytest.approx(25.0)
    # band 2 = columns 2-5: IoU1 = 12 / 18, IoU2 = 6 / 12
    assert result['mIoU@band2'] == pytest.approx((200 / 3 + 50) / 2, abs=0.006)
    # a band wider than the image is the whole image: IoU1 .8, IoU2 .75
    assert result['mIoU@band100'] == pytest.approx(77.5)
    assert result['mIoU'] == pytest.approx(77.5)


def test_band_void_is_boundary_but_not_scored():
    # column 0 is void; everything else is class 1, but the prediction
    # says class 2 in column 1.
    label = np.ones((5, 7), np.int64)
    label[:, 0] = 255
    pred = np.ones((5, 7), np.int64)
    pred[:, 1] = 2
    result = evaluate(build_metric(band_widths=[1, 2]), [(pred, label)])
    # band 1 = columns 0, 1 -> only column 1 scored, all wrong
    assert result['mIoU@band1'] == pytest.approx(0.0)
    # band 2 = columns 0-2: IoU1 = 5 / 10, IoU2 = 0 / 5
    assert result['mIoU@band2'] == pytest.approx(25.0)


def test_band_accumulates_over_images_and_matches_score_py():
    rng = np.random.default_rng(7)
    pairs = random_pairs(rng, [(11, 14), (15, 6)])
    from fcn_plugin.evaluation import trimap_bands
    banded = []
    for pred, label in pairs:
        band = trimap_bands(label, [3])[3]
        lab = np.where(band, label, 255)
        banded.append((pred, lab))
    expected = score_py(banded, NUM_CLASSES)['mIoU']
    result = evaluate(build_metric(band_widths=[3]), pairs)
    assert result['mIoU@band3'] == pytest.approx(expected * 100, abs=0.006)


def test_no_boundary_gives_nan_band():
    label = np.full((4, 5), 2, np.int64)
    result = evaluate(build_metric(band_widths=[2]), [(label.copy(), label)])
    assert np.isnan(result['mIoU@band2'])
    assert result['mIoU'] == pytest.approx(100.0)


@pytest.mark.parametrize('widths', [[0], [2, 2], [1.5], 'abc'])
def test_bad_band_widths(widths):
    with pytest.raises(ValueError, match='band_widths'):
        build_metric(band_widths=widths)


@pytest.mark.parametrize('shape', [(1, 1), (1, 5), (4, 1), (3, 4)])
@pytest.mark.parametrize('reduce_zero_label', [False, True])
def test_output_dir_writes_every_image_size(tmp_path, shape,
                                            reduce_zero_label):
    from PIL import Image
    metric = build_metric(output_dir=str(tmp_path))
    pred = np.arange(np.prod(shape)).reshape(shape) % NUM_CLASSES
    data = sample(pred, pred.copy())
    data.update(img_path='/data/img_07.jpg',
                reduce_zero_label=reduce_zero_label)
    metric.process({}, [data])
    written = np.array(Image.open(tmp_path / 'img_07.png'))
    assert written.shape == shape
    np.testing.assert_array_equal(written, pred + int(reduce_zero_label))
    assert metric.output_dir == str(tmp_path)
    assert metric.evaluate(1)['mIoU'] == 100.0


def score_py_without(pairs, n, excluded):
    """score.py's formulas on the classes not in ``excluded``: their
    ground-truth rows leave the histogram, a prediction of them stays an
    error of the true class."""
    hist = histogram(pairs, n)
    kept = [c for c in range(n) if c not in excluded]
    rows = hist[kept]  # scored pixels only
    tp = hist[kept, kept]
    gt = rows.sum(1)
    pred = rows.sum(0)[kept]
    with np.errstate(divide='ignore', invalid='ignore'):
        iu = tp / (gt + pred - tp)
        acc_cls = tp / gt
    freq = gt / gt.sum()
    return dict(
        aAcc=tp.sum() / rows.sum(),
        mAcc=np.nanmean(acc_cls),
        mIoU=np.nanmean(iu),
        fwIoU=(freq[freq > 0] * iu[freq > 0]).sum())


@pytest.mark.parametrize('excluded', [(0, ), (2, 4)])
def test_exclude_classes_matches_score_py_on_the_rest(excluded):
    pairs = random_pairs(
        np.random.default_rng(5), [(13, 17), (9, 31), (21, 5)],
        absent=(4, ))
    # the excluded classes are both in the labels and predicted
    assert any(np.isin(pred, excluded).any() for pred, _ in pairs)
    names = [CLASSES[c] for c in excluded]
    result = evaluate(
        build_metric(exclude_classes=names, band_widths=[100]), pairs)
    expected = score_py_without(pairs, NUM_CLASSES, excluded)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value * 100, abs=0.006), key
    # a band wider than every image scores what the whole image scores
    assert result['mIoU@band100'] == pytest.approx(result['mIoU'])
    # and it is not the all-class score
    assert abs(expected['mIoU'] - score_py(pairs, NUM_CLASSES)['mIoU']) > 1e-3


def test_exclude_hand_made():
    # class 0 ground truth in the left half, class 1 in the right half;
    # the net says 0 in column 0 and 3 (an error on class 1 there)
    label = np.zeros((2, 4), np.int64)
    label[:, 2:] = 1
    pred = np.zeros((2, 4), np.int64)
    pred[:, 1:] = 1
    pred[:, 3] = 0
    result = evaluate(build_metric(exclude_classes=['c0']), [(pred, label)])
    # scored: columns 2-3 (class 1); right in column 2 only; the class-1
    # prediction in column 1 lies on unscored ground truth
    assert result['aAcc'] == pytest.approx(50.0)
    assert result['mIoU'] == pytest.approx(50.0)
    assert result['mAcc'] == pytest.approx(50.0)


def test_exclude_unknown_class_is_named():
    metric = build_metric(exclude_classes=['sky'])
    with pytest.raises(ValueError, match='sky.*c0, c1'):
        metric.process({}, [sample(np.zeros((2, 2), np.int64),
                                   np.zeros((2, 2), np.int64))])
