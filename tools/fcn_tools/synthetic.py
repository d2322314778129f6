"""A synthetic PASCAL VOC (and SBD release) for demos, tests and CI.

The writer of ``tools/make_synthetic_voc.py`` (its command line is
:func:`main`), of the demo's and the variant study's data and of the tests'
VOC folders.

The images are real JPEGs and the labels real VOC palette PNGs in the exact
VOC2012 layout, so every config, tool and test runs with no download. Each
image shows one to three objects of a few VOC classes on a textured
background; every class has its own shape and colour, which a small FCN
learns in minutes on a CPU. As in VOC, a band of "void" (255) pixels
surrounds each object. The output is a pure function of the arguments: the
same seed writes the same bytes.
"""
import argparse
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from .voc_palette import VOC_IGNORE_INDEX, save_palette_png

#: class index -> (shape, RGB colour) of the synthetic objects. Every shape
#: has corners and most have thin parts (wings, barbs, spikes, limbs, an
#: antenna), which a coarse (32-px stride) prediction cannot follow.
CLASS_STYLES: Dict[int, Tuple[str, Tuple[int, int, int]]] = {
    1: ('plane', (215, 45, 40)),  # aeroplane: red, thin wings and tail
    3: ('arrow', (40, 175, 60)),  # bird: green arrowhead with barbs
    7: ('car', (40, 80, 215)),  # car: blue body, cabin and antenna
    12: ('star', (235, 200, 30)),  # dog: yellow five-pointed star
    15: ('figure', (205, 60, 215)),  # person: magenta stick figure
}
#: Split files of the synthetic set (ImageSets/Segmentation/<name>.txt).
SPLITS = ('train', 'val', 'trainaug', 'aug', 'sbd_train', 'seg11valid')

PathLike = Union[str, Path]
Polygon = List[Tuple[float, float]]


def _star(points: int = 5, inner: float = 0.38) -> Polygon:
    angles = np.pi * np.arange(2 * points) / points - np.pi / 2
    radii = np.where(np.arange(2 * points) % 2 == 0, 1., inner)
    return list(zip(radii * np.cos(angles), radii * np.sin(angles)))


def _octagon(cx: float, cy: float, r: float) -> Polygon:
    angles = np.pi * np.arange(8) / 4 + np.pi / 8
    return list(zip(cx + r * np.cos(angles), cy + r * np.sin(angles)))


#: shape -> filled polygons in a unit frame (x right, y down, within
#: [-1, 1]); each contains the origin, so an object centred in the image
#: always shows.
SHAPES: Dict[str, List[Polygon]] = {
    'plane': [
        [(-1., -.12), (1., -.12), (1., .12), (-1., .12)],  # fuselage
        [(.3, 0.), (-.05, -1.), (-.3, -1.), (-.15, 0.), (-.3, 1.), (-.05, 1.)
         ],  # swept wings
        [(-.75, 0.), (-.95, -.5), (-1., -.5), (-1., .5), (-.95, .5)],  # tail
    ],
    'arrow': [[(1., 0.), (-1., -1.), (-.35, 0.), (-1., 1.)]],
    'car': [
        [(-1., -.05), (1., -.05), (1., .55), (-1., .55)],  # body
        [(-.55, -.6), (.3, -.6), (.5, -.05), (-.75, -.05)],  # cabin
        [(.62, -1.), (.72, -1.), (.72, -.05), (.62, -.05)],  # antenna
    ],
    'star': [_star()],
    'figure': [
        [(-.12, -.55), (.12, -.55), (.12, .45), (-.12, .45)],  # body
        [(-.85, -.4), (.85, -.4), (.85, -.25), (-.85, -.25)],  # arms
        [(-.12, .35), (.08, .45), (-.55, 1.), (-.75, 1.)],  # left leg
        [(.12, .35), (-.08, .45), (.55, 1.), (.75, 1.)],  # right leg
        _octagon(0., -.78, .22),  # head
    ],
}


def _rng(seed: int, index: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, salt])


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A greyish gradient with mild noise, duller than any object."""
    base = rng.integers(70, 131) + rng.integers(-12, 13, 3)
    slope = rng.uniform(-20, 20, (2, 3))
    ys = np.linspace(0, 1, h)[:, None, None]
    xs = np.linspace(0, 1, w)[None, :, None]
    img = base + ys * slope[0] + xs * slope[1]
    img = img + rng.normal(0, 8, (h, w, 3))
    return img


def _simple_mask(shape: str, mask: np.ndarray, cy: int, cx: int, ry: int,
                 rx: int) -> bool:
    """Draw one of the plain shapes of earlier versions; False if unknown."""
    if shape == 'ellipse':
        cv2.ellipse(mask, (cx, cy), (rx, ry), 0, 0, 360, 1, -1)
    elif shape == 'rectangle':
        cv2.rectangle(mask, (cx - rx, cy - ry), (cx + rx, cy + ry), 1, -1)
    elif shape == 'triangle':
        pts = [(cx, cy - ry), (cx - rx, cy + ry), (cx + rx, cy + ry)]
        cv2.fillPoly(mask, [np.array(pts, np.int32)], 1)
    elif shape == 'diamond':
        pts = [(cx, cy - ry), (cx + rx, cy), (cx, cy + ry), (cx - rx, cy)]
        cv2.fillPoly(mask, [np.array(pts, np.int32)], 1)
    elif shape == 'cross':
        ty, tx = max(ry // 3, 0), max(rx // 3, 0)
        cv2.rectangle(mask, (cx - rx, cy - ty), (cx + rx, cy + ty), 1, -1)
        cv2.rectangle(mask, (cx - tx, cy - ry), (cx + tx, cy + ry), 1, -1)
    else:
        return False
    return True


def _shape_mask(shape: str,
                h: int,
                w: int,
                cy: int,
                cx: int,
                ry: int,
                rx: int,
                angle: float = 0.,
                mirror: bool = False) -> np.ndarray:
    """A filled shape as a boolean ``(h, w)`` mask.

    Args:
        shape (str): A key of :data:`SHAPES` (or one of the plain shapes
            ``ellipse``, ``rectangle``, ``triangle``, ``diamond``,
            ``cross``, which ignore ``angle`` and ``mirror``).
        h (int): Mask height.
        w (int): Mask width.
        cy (int): Centre row.
        cx (int): Centre column.
        ry (int): Half-height of the unrotated shape.
        rx (int): Half-width of the unrotated shape.
        angle (float): Rotation in degrees (counter-clockwise on screen).
        mirror (bool): Mirror the shape left-right before rotating.
    """
    mask = np.zeros((h, w), np.uint8)
    if shape in SHAPES:
        theta = np.deg2rad(angle)
        cos, sin = np.cos(theta), np.sin(theta)
        polys = []
        for poly in SHAPES[shape]:
            pts = np.asarray(poly, np.float64) * (-1. if mirror else 1., 1.)
            x, y = pts[:, 0] * rx, pts[:, 1] * ry
            xr, yr = cx + x * cos + y * sin, cy - x * sin + y * cos
            polys.append(np.stack([xr, yr], 1).round().astype(np.int32))
        for poly in polys:  # one at a time: overlaps stay filled
            cv2.fillPoly(mask, [poly], 1)
    elif not _simple_mask(shape, mask, cy, cx, ry, rx):
        raise ValueError(f'unknown synthetic shape {shape!r}')
    return mask.astype(bool)


def _check_drawing(num_objects: Tuple[int, int],
                   object_size: Tuple[float, float]) -> None:
    low, high = num_objects
    if not 1 <= low <= high:
        raise ValueError(f'num_objects must be (least, most) with '
                         f'1 <= least <= most, got {num_objects}')
    small, large = object_size
    if not 0 < small <= large:
        raise ValueError(f'object_size must be (least, most) with '
                         f'0 < least <= most, got {object_size}')


def synthetic_sample(
        seed: int,
        index: int,
        size: Tuple[int, int],
        classes: Sequence[int] = tuple(CLASS_STYLES),
        void_width: int = 1,
        salt: int = 0,
        num_objects: Tuple[int, int] = (1, 3),
        object_size: Tuple[float, float] = (0.15, 0.3),
        max_angle: float = 30.) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one synthetic image and its label.

    Objects are drawn one over the other (later ones occlude earlier
    ones), each at a random place, size, aspect, rotation and mirroring,
    in its class colour with a random tint and noise.

    Args:
        seed (int): The data set seed.
        index (int): The image number; each image has its own random stream.
        size (tuple[int, int]): ``(H, W)`` of the image.
        classes (Sequence[int]): VOC class indices to draw from; each must be
            a key of :data:`CLASS_STYLES`.
        void_width (int): Half-width in pixels of the 255 band drawn on both
            sides of every object boundary (0 for none).
        salt (int): Extra stream selector, so a second set (e.g. a synthetic
            SBD) draws different pictures for the same ids.
        num_objects (tuple[int, int]): Least and most objects per image.
            Defaults to (1, 3).
        object_size (tuple[float, float]): Range of an object's half-size
            as a fraction of the image's height and width. Defaults to
            (0.15, 0.3).
        max_angle (float): Largest rotation in degrees. Defaults to 30.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(H, W, 3)`` uint8 RGB image and
        ``(H, W)`` uint8 label (0 background, class indices, 255 void).
    """
    h, w = size
    if h < 1 or w < 1:
        raise ValueError(f'synthetic image size must be positive, got {size}')
    unknown = [c for c in classes if c not in CLASS_STYLES]
    if unknown or not classes:
        raise ValueError(f'synthetic classes must be a non-empty subset of '
                         f'{sorted(CLASS_STYLES)}, got {list(classes)}')
    _check_drawing(num_objects, object_size)
    low, high = num_objects
    small, large = object_size
    rng = _rng(seed, index, salt)
    img = _background(rng, h, w)
    label = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(low, high + 1))):
        cls = int(classes[int(rng.integers(len(classes)))])
        shape, colour = CLASS_STYLES[cls]
        ry = max(int(h * rng.uniform(small, large)), 1)
        rx = max(int(w * rng.uniform(small, large)), 1)
        cy = int(rng.integers(0, h))
        cx = int(rng.integers(0, w))
        angle = rng.uniform(-max_angle, max_angle)
        mirror = bool(rng.integers(2))
        mask = _shape_mask(shape, h, w, cy, cx, ry, rx, angle, mirror)
        mask[cy, cx] = True  # a tiny object still shows
        tint = np.asarray(colour) + rng.integers(-15, 16, 3)
        img[mask] = tint + rng.normal(0, 6, (int(mask.sum()), 3))
        label[mask] = cls
    if void_width > 0 and min(h, w) > 1:
        kernel = np.ones((2 * void_width + 1, ) * 2, np.uint8)
        edge = cv2.dilate(label, kernel) != cv2.erode(label, kernel)
        label[edge] = VOC_IGNORE_INDEX
    return np.clip(img, 0, 255).round().astype(np.uint8), label


def _write_list(path: Path, ids: Sequence[str]) -> None:
    path.write_text(''.join(f'{i}\n' for i in ids))


def _split_ids(num_images: int,
               num_val: Optional[int] = None) -> Tuple[List[str], List[str]]:
    ids = [f'2008_{i:06d}' for i in range(num_images)]
    if num_images == 1:
        return ids, ids
    if num_val is None:
        num_val = max(1, num_images // 4)
    if not 1 <= num_val < num_images:
        raise ValueError(f'num_val must be between 1 and num_images - 1 '
                         f'({num_images - 1}), got {num_val}')
    return ids[:-num_val], ids[-num_val:]


def make_synthetic_voc(out_dir: PathLike,
                       num_images: int,
                       size: Tuple[int, int] = (64, 96),
                       seed: int = 0,
                       classes: Sequence[int] = tuple(CLASS_STYLES),
                       void_width: int = 1,
                       official_only: bool = False,
                       jpeg_quality: int = 90,
                       num_val: Optional[int] = None,
                       num_objects: Tuple[int, int] = (1, 3),
                       object_size: Tuple[float, float] = (0.15, 0.3),
                       max_angle: float = 30.) -> Path:
    """Write a synthetic VOC data set in the VOC2012 layout.

    ``out_dir/VOC2012`` receives ``JPEGImages/<id>.jpg``,
    ``SegmentationClass/<id>.png`` (VOC palette PNGs) and
    ``ImageSets/Segmentation/{train,val}.txt``; unless ``official_only``,
    also ``SegmentationClassAug/<id>.png`` (single-channel PNGs, as
    ``tools/prepare_voc.py`` writes them) and the split files ``trainaug``,
    ``aug``, ``sbd_train`` and ``seg11valid``. The last quarter of the ids
    (at least one) is ``val``; ``trainaug`` and ``sbd_train`` equal
    ``train``, ``seg11valid`` equals ``val`` and ``aug`` is ``train`` minus
    its first id (empty with a single image). See :func:`synthetic_sample`
    for the pictures.

    Args:
        out_dir (str | Path): Folder to create ``VOC2012`` in (typically
            ``.../VOCdevkit``).
        num_images (int): Number of images (at least 1).
        size (tuple[int, int]): ``(H, W)`` of every image.
        seed (int): Random seed; the output is byte-identical for a seed.
        classes (Sequence[int]): VOC class indices to draw.
        void_width (int): Half-width of the void band around objects.
        official_only (bool): Write only what the official VOC2012 trainval
            archive has (to feed ``tools/prepare_voc.py``).
        jpeg_quality (int): JPEG quality of the images.
        num_val (int, optional): Number of ``val`` images (the last ids).
            Defaults to a quarter of ``num_images``, at least one.
        num_objects (tuple[int, int]): Least and most objects per image.
        object_size (tuple[float, float]): Range of an object's half-size
            as a fraction of the image's height and width.
        max_angle (float): Largest rotation of an object in degrees.

    Returns:
        Path: The ``VOC2012`` folder.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be at least 1, got {num_images}')
    train, val = _split_ids(num_images, num_val)
    _check_drawing(num_objects, object_size)
    voc = Path(out_dir) / 'VOC2012'
    sets = voc / 'ImageSets' / 'Segmentation'
    subdirs = ['JPEGImages', 'SegmentationClass']
    if not official_only:
        subdirs.append('SegmentationClassAug')
    for sub in subdirs:
        (voc / sub).mkdir(parents=True, exist_ok=True)
    sets.mkdir(parents=True, exist_ok=True)
    ids = list(dict.fromkeys(train + val))
    for index, name in enumerate(ids):
        img, label = synthetic_sample(
            seed,
            index,
            tuple(size),
            classes,
            void_width,
            num_objects=tuple(num_objects),
            object_size=tuple(object_size),
            max_angle=max_angle)
        Image.fromarray(img).save(
            voc / 'JPEGImages' / f'{name}.jpg', quality=jpeg_quality)
        save_palette_png(label, voc / 'SegmentationClass' / f'{name}.png')
        if not official_only:
            Image.fromarray(label).save(voc / 'SegmentationClassAug' /
                                        f'{name}.png')
    lists = dict(train=train, val=val)
    if not official_only:
        lists.update(
            trainaug=train, aug=train[1:], sbd_train=train, seg11valid=val)
    for split, split_ids in lists.items():
        _write_list(sets / f'{split}.txt', split_ids)
    return voc


def make_synthetic_sbd(out_dir: PathLike,
                       train_ids: Sequence[str],
                       val_ids: Sequence[str],
                       size: Tuple[int, int] = (64, 96),
                       seed: int = 0,
                       images: Optional[Sequence[str]] = None) -> Path:
    """Write a miniature SBD release (``benchmark_RELEASE/dataset``).

    ``cls/<id>.mat`` holds a MATLAB struct ``GTcls`` whose ``Segmentation``
    field is the ``uint8`` label (no void band, like SBD); ``train.txt`` and
    ``val.txt`` list the ids; ``img/<id>.jpg`` holds the images listed in
    ``images`` (default: all ids). The pictures differ from those
    :func:`make_synthetic_voc` draws for the same ids.

    Args:
        out_dir (str | Path): Folder to create ``benchmark_RELEASE`` in.
        train_ids (Sequence[str]): SBD train ids.
        val_ids (Sequence[str]): SBD val ids.
        size (tuple[int, int]): ``(H, W)`` of every image.
        seed (int): Random seed.
        images (Sequence[str], optional): Ids that get an ``img`` JPEG.

    Returns:
        Path: The ``benchmark_RELEASE`` folder.
    """
    from scipy.io import savemat
    root = Path(out_dir) / 'benchmark_RELEASE'
    data = root / 'dataset'
    for sub in ('cls', 'img'):
        (data / sub).mkdir(parents=True, exist_ok=True)
    ids = list(dict.fromkeys(list(train_ids) + list(val_ids)))
    with_img = set(ids if images is None else images)
    for index, name in enumerate(ids):
        img, label = synthetic_sample(
            seed, index, tuple(size), void_width=0, salt=1)
        gtcls = dict(
            Segmentation=label,
            Boundaries=np.zeros((1, 1), np.uint8),
            CategoriesPresent=np.unique(label[label > 0]).astype(np.uint8))
        savemat(data / 'cls' / f'{name}.mat', dict(GTcls=gtcls))
        if name in with_img:
            Image.fromarray(img).save(data / 'img' / f'{name}.jpg', quality=90)
    _write_list(data / 'train.txt', train_ids)
    _write_list(data / 'val.txt', val_ids)
    return root


# ------------------------------------------- tools/make_synthetic_voc.py


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic VOC2012-layout data set.')
    parser.add_argument(
        '--out', required=True, help='folder to create VOC2012/ in')
    parser.add_argument(
        '--num',
        type=int,
        required=True,
        help='number of images (a quarter, at least one, '
        'is val)')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(64, 96),
        metavar=('H', 'W'),
        help='image size')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--classes',
        type=int,
        nargs='+',
        default=list(CLASS_STYLES),
        help=f'VOC class indices to draw, from {sorted(CLASS_STYLES)}')
    parser.add_argument(
        '--num-val',
        type=int,
        help='number of val images, the last ids (default: a quarter)')
    parser.add_argument(
        '--objects',
        type=int,
        nargs=2,
        default=(1, 3),
        metavar=('LEAST', 'MOST'),
        help='objects per image (default: 1 3)')
    parser.add_argument(
        '--object-size',
        type=float,
        nargs=2,
        default=(0.15, 0.3),
        metavar=('LEAST', 'MOST'),
        help='half-size of an object as a fraction of the image size '
        '(default: 0.15 0.3)')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num must be at least 1, got {args.num}')
    if args.num_val is not None and not 1 <= args.num_val < args.num:
        parser.error(f'--num-val must be between 1 and --num - 1, got '
                     f'{args.num_val}')
    if not 1 <= args.objects[0] <= args.objects[1]:
        parser.error(f'--objects must be LEAST MOST with 1 <= LEAST <= '
                     f'MOST, got {args.objects}')
    if not 0 < args.object_size[0] <= args.object_size[1]:
        parser.error(f'--object-size must be LEAST MOST with 0 < LEAST <= '
                     f'MOST, got {args.object_size}')
    if min(args.size) < 1:
        parser.error(f'--size must be positive, got {args.size}')
    bad = sorted(set(args.classes) - set(CLASS_STYLES))
    if bad:
        parser.error(f'--classes {bad} are not drawable; choose from '
                     f'{sorted(CLASS_STYLES)}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """The command line of ``tools/make_synthetic_voc.py``."""
    args = parse_args(argv)
    root = make_synthetic_voc(
        args.out,
        args.num,
        size=tuple(args.size),
        seed=args.seed,
        classes=args.classes,
        num_val=args.num_val,
        num_objects=tuple(args.objects),
        object_size=tuple(args.object_size))
    print(f'wrote {args.num} images to {root}')
