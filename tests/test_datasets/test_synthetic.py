"""The synthetic VOC generator and its command-line tool."""
import cv2
import numpy as np
import pytest
from PIL import Image

from fcn_tools import synthetic
from fcn_tools.synthetic import (CLASS_STYLES, SHAPES, SPLITS, _shape_mask,
                                 make_synthetic_voc, synthetic_sample)
from fcn_tools.voc_palette import read_label_indices, voc_palette


def _tree_bytes(root):
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = make_synthetic_voc(tmp_path / 'a', 5, size=(19, 23), seed=7)
    b = make_synthetic_voc(tmp_path / 'b', 5, size=(19, 23), seed=7)
    c = make_synthetic_voc(tmp_path / 'c', 5, size=(19, 23), seed=8)
    bytes_a = _tree_bytes(a)
    assert len(bytes_a) == 5 * 3 + len(SPLITS)
    assert bytes_a == _tree_bytes(b)
    other = _tree_bytes(c)
    assert other.keys() == bytes_a.keys()
    assert other['JPEGImages/2008_000000.jpg'] != \
        bytes_a['JPEGImages/2008_000000.jpg']


def test_layout_labels_and_splits(synthetic_voc):
    sets = synthetic_voc / 'ImageSets/Segmentation'
    ids = {s: (sets / f'{s}.txt').read_text().split() for s in SPLITS}
    assert len(ids['train']) == 9 and len(ids['val']) == 3
    assert not set(ids['train']) & set(ids['val'])
    assert ids['trainaug'] == ids['sbd_train'] == ids['train']
    assert ids['seg11valid'] == ids['val']
    assert ids['aug'] == ids['train'][1:]
    allowed = {0, 255, *CLASS_STYLES}
    seen = set()
    for name in ids['train'] + ids['val']:
        with Image.open(synthetic_voc / 'JPEGImages' / f'{name}.jpg') as im:
            assert (im.format, im.mode, im.size) == ('JPEG', 'RGB', (53, 37))
        with Image.open(synthetic_voc / 'SegmentationClass' /
                        f'{name}.png') as lbl:
            assert lbl.mode == 'P'
            assert lbl.getpalette()[:768] == voc_palette()
            label = np.array(lbl)
        with Image.open(synthetic_voc / 'SegmentationClassAug' /
                        f'{name}.png') as aug:
            assert aug.mode == 'L'
            np.testing.assert_array_equal(np.array(aug), label)
        values = set(np.unique(label).tolist())
        assert values <= allowed
        assert 255 in values and values & set(CLASS_STYLES)
        seen |= values
        # every object is fenced by void: no class pixel touches background
        obj = (label != 0) & (label != 255)
        bg = label == 0
        assert not (obj[:, 1:] & bg[:, :-1]).any()
        assert not (obj[1:, :] & bg[:-1, :]).any()
    assert len(seen & set(CLASS_STYLES)) >= 3


def test_objects_have_their_class_colour(synthetic_voc):
    name = '2008_000000'
    img = np.array(Image.open(synthetic_voc / 'JPEGImages' / f'{name}.jpg'))
    label = read_label_indices(synthetic_voc / 'SegmentationClass' /
                               f'{name}.png')
    for cls in set(np.unique(label).tolist()) & set(CLASS_STYLES):
        mean = img[label == cls].reshape(-1, 3).mean(0)
        assert np.abs(mean - CLASS_STYLES[cls][1]).max() < 30


def test_one_pixel_and_official_layout(tmp_path):
    voc = make_synthetic_voc(tmp_path, 1, size=(1, 1), official_only=True)
    assert sorted(p.name for p in voc.iterdir()) == [
        'ImageSets', 'JPEGImages', 'SegmentationClass'
    ]
    sets = voc / 'ImageSets/Segmentation'
    assert sorted(p.name for p in sets.iterdir()) == ['train.txt', 'val.txt']
    assert (sets / 'train.txt').read_text() == '2008_000000\n'
    label = read_label_indices(voc / 'SegmentationClass/2008_000000.png')
    assert label.shape == (1, 1)


def test_tool_writes_the_set(tmp_path):
    synthetic.main([
        '--out',
        str(tmp_path), '--num', '3', '--size', '9', '11', '--seed', '2',
        '--classes', '1', '7'
    ])
    voc = tmp_path / 'VOC2012'
    again = make_synthetic_voc(
        tmp_path / 'again', 3, size=(9, 11), seed=2, classes=(1, 7))
    assert _tree_bytes(voc) == _tree_bytes(again)
    synthetic.main([
        '--out',
        str(tmp_path / 'more'), '--num', '5', '--size', '31', '29',
        '--num-val', '2', '--objects', '2', '3', '--object-size', '0.2',
        '0.25'
    ])
    more = make_synthetic_voc(
        tmp_path / 'more2',
        5,
        size=(31, 29),
        num_val=2,
        num_objects=(2, 3),
        object_size=(0.2, 0.25))
    assert _tree_bytes(tmp_path / 'more/VOC2012') == _tree_bytes(more)
    assert _tree_bytes(more) != _tree_bytes(
        make_synthetic_voc(tmp_path / 'more3', 5, size=(31, 29), num_val=2))


@pytest.mark.parametrize('argv, message', [
    (['--num', '0'], '--num'),
    (['--num', '2', '--size', '0', '4'], '--size'),
    (['--num', '2', '--classes', '2'], '--classes'),
    (['--num', '4', '--num-val', '4'], '--num-val'),
    (['--num', '2', '--objects', '3', '2'], '--objects'),
    (['--num', '2', '--object-size', '0', '0.2'], '--object-size'),
])
def test_tool_rejects_bad_arguments(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit):
        synthetic.main(['--out', str(tmp_path)] + argv)
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'VOC2012').exists()


@pytest.mark.parametrize('shape', sorted(SHAPES))
def test_every_shape_has_corners_or_thin_parts(shape):
    """An opening with a disc 1/8 of the object's size removes a part of
    every shape (thin limbs, barbs, spikes), unlike a plain ellipse."""
    size, radius = 201, 80
    mask = _shape_mask(shape, size, size, 100, 100, radius, radius)
    assert mask[100, 100]  # the shape holds its centre
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disc)
    lost = 1 - opened.sum() / mask.sum()
    assert lost > 0.04, lost
    ellipse = _shape_mask('ellipse', size, size, 100, 100, radius, radius)
    round_lost = 1 - cv2.morphologyEx(
        ellipse.astype(np.uint8), cv2.MORPH_OPEN, disc).sum() / ellipse.sum()
    assert round_lost < 0.01


def test_rotation_and_mirroring_move_the_shape():
    base = _shape_mask('plane', 61, 61, 30, 30, 20, 20)
    turned = _shape_mask('plane', 61, 61, 30, 30, 20, 20, angle=30)
    mirrored = _shape_mask('plane', 61, 61, 30, 30, 20, 20, mirror=True)
    assert (base != turned).sum() > 50
    assert (base != mirrored).sum() > 50
    # the mirror image, up to rounding at the edges
    assert (mirrored != base[:, ::-1]).sum() <= 0.01 * base.sum()


def test_several_objects_and_their_size():
    def stats(**kwargs):
        parts, areas = [], []
        for index in range(12):
            _, label = synthetic_sample(3, index, (97, 113), **kwargs)
            objects = ((label != 0) & (label != 255)).astype(np.uint8)
            parts.append(cv2.connectedComponents(objects)[0] - 1)
            areas.append(objects.mean())
        return np.mean(parts), np.mean(areas)

    many, _ = stats(num_objects=(3, 4))
    one, small = stats(num_objects=(1, 1), object_size=(0.1, 0.12))
    _, large = stats(num_objects=(1, 1), object_size=(0.3, 0.32))
    assert many >= 2.5 and one <= 1.5
    assert large > 3 * small


def test_num_val_and_bad_settings(tmp_path):
    voc = make_synthetic_voc(tmp_path / 'a', 7, size=(13, 17), num_val=2)
    sets = voc / 'ImageSets/Segmentation'
    assert len((sets / 'train.txt').read_text().split()) == 5
    assert (sets / 'val.txt').read_text().split() == [
        '2008_000005', '2008_000006'
    ]
    for kwargs, message in ((dict(num_val=7), 'num_val'),
                            (dict(num_objects=(2, 1)), 'num_objects'),
                            (dict(object_size=(0, 0.2)), 'object_size')):
        with pytest.raises(ValueError, match=message):
            make_synthetic_voc(tmp_path / 'bad', 7, size=(13, 17), **kwargs)
    assert not (tmp_path / 'bad').exists()
