"""MMSeg's SegLocalVisualizer draws 1x1 maps once the plugin is imported."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer


def _draw(size, labels, with_labels, draw=None):
    visualizer = SegLocalVisualizer(alpha=0.5)
    visualizer.set_dataset_meta(dataset_name='voc')
    image = np.random.default_rng(1).integers(0, 256, size + (3, ), np.uint8)
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(labels)[None])
    if draw is not None:  # MMSeg's own method, bypassing the fix
        draw(visualizer, image, sample.pred_sem_seg,
             visualizer.dataset_meta['classes'],
             visualizer.dataset_meta['palette'], with_labels)
    else:
        visualizer.add_datasample(
            'x', image, sample, draw_gt=False, with_labels=with_labels)
    return image, visualizer.get_image(), visualizer.dataset_meta['palette']


def test_one_pixel_map_is_painted_with_its_class():
    image, drawn, palette = _draw((1, 1), [[15]], with_labels=False)
    want = (image * 0.5 + np.array(palette[15]) * 0.5).astype(np.uint8)
    np.testing.assert_array_equal(drawn, want)
    assert _draw((1, 1), [[15]], with_labels=True)[1].shape == (1, 1, 3)


def test_mmseg_alone_fails_on_one_pixel():
    """What the fix is for: MMSeg's method on a tensor 1x1 map."""
    draw = SegLocalVisualizer._draw_sem_seg.__wrapped__
    with pytest.raises(IndexError):
        _draw((1, 1), [[15]], with_labels=False, draw=draw)


@pytest.mark.parametrize('with_labels', [False, True])
@pytest.mark.parametrize('size', [(37, 501), (1, 9)])
def test_other_sizes_are_drawn_as_mmseg_draws_them(size, with_labels):
    labels = np.random.default_rng(2).integers(0, 21, size)
    _, fixed, _ = _draw(size, labels, with_labels)
    draw = SegLocalVisualizer._draw_sem_seg.__wrapped__
    _, plain, _ = _draw(size, labels, with_labels, draw=draw)
    np.testing.assert_array_equal(fixed, plain)
