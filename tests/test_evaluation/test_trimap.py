"""Trimap bands around label boundaries."""
import numpy as np

from fcn_plugin.evaluation import label_boundary, trimap_bands


def test_boundary_marks_both_sides():
    label = np.zeros((3, 5), np.uint8)
    label[:, 3:] = 7
    edge = label_boundary(label)
    assert edge[:, 2].all() and edge[:, 3].all()
    assert edge.sum() == 6


def test_bands_grow_with_width_and_cover_corners():
    label = np.zeros((9, 11), np.uint8)
    label[3:6, 4:7] = 3
    bands = trimap_bands(label, [1, 2, 3])
    assert (bands[1] <= bands[2]).all() and (bands[2] <= bands[3]).all()
    assert bands[1].sum() < bands[2].sum() < bands[3].sum()
    # the 3x3 square and its 4-neighbour ring, minus the square's centre
    assert bands[1][4, 5] == 0 and bands[1][3, 4] and bands[1][2, 4]
    assert not bands[1][2, 3]  # diagonal corner is not a 4-neighbour
    assert not bands[3][0, 0]
