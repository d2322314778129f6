"""The synthetic VOC generator and its command-line tool."""
import numpy as np
import pytest
from PIL import Image

from fcn_plugin.datasets import (make_synthetic_voc, read_label_indices,
                                 voc_palette)
from fcn_plugin.datasets.synthetic import CLASS_STYLES, SPLITS
from .conftest import load_tool


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
    tool = load_tool('make_synthetic_voc')
    tool.main([
        '--out',
        str(tmp_path), '--num', '3', '--size', '9', '11', '--seed', '2',
        '--classes', '1', '7'
    ])
    voc = tmp_path / 'VOC2012'
    again = make_synthetic_voc(
        tmp_path / 'again', 3, size=(9, 11), seed=2, classes=(1, 7))
    assert _tree_bytes(voc) == _tree_bytes(again)


@pytest.mark.parametrize('argv, message', [
    (['--num', '0'], '--num'),
    (['--num', '2', '--size', '0', '4'], '--size'),
    (['--num', '2', '--classes', '2'], '--classes'),
])
def test_tool_rejects_bad_arguments(tmp_path, capsys, argv, message):
    tool = load_tool('make_synthetic_voc')
    with pytest.raises(SystemExit):
        tool.main(['--out', str(tmp_path)] + argv)
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'VOC2012').exists()
