"""HHA encoding of depth (fcn_plugin/datasets/hha.py) on rendered scenes.

The scenes are a floor and a wall facing the camera, ray-cast with the
NYUDv2 camera scaled to a small odd image size, so the true gravity, heights,
normals and depths are known. ``FCN_NYUD_HHA_DIR`` (the reference's NYUDv2
folder with ``data/depth`` and ``data/hha``) adds a comparison with Gupta's
released HHA images.
"""
import os
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from scipy import ndimage

from fcn_plugin.datasets.hha import (HHA_CHANNELS, NYUD_CAMERA, NYUD_CROP_BOX,
                                     NYUD_CROP_CAMERA, DepthHolesError,
                                     camera_for_crop, compare_hha,
                                     depth_to_hha, hha_geometry, point_cloud,
                                     surface_normals)
from fcn_plugin.errors import DataFileError

#: The test image size and the factor the NYUDv2 camera is scaled down by.
SHAPE = (121, 161)
SCALE = 4.
#: Camera pose: tilted down by PITCH, rolled by ROLL, HEIGHT metres above
#: the floor; the wall is WALL metres ahead (horizontally).
PITCH, ROLL, HEIGHT, WALL = 20., 5., 1.5, 3.
#: Pixels this far (Chebyshev) from the floor/wall edge have a 7 x 7 window
#: on one plane.
EDGE = 4


def small_camera(scale: float = SCALE) -> np.ndarray:
    camera = NYUD_CAMERA.copy()
    camera[:2] /= scale
    return camera


class Scene(NamedTuple):
    depth: np.ndarray  # metres
    floor: np.ndarray  # bool, floor pixels
    height: np.ndarray  # true height above the floor, metres
    gravity: np.ndarray  # true down direction in the camera frame
    camera: np.ndarray


def render(shape=SHAPE, camera=None, pitch=PITCH, roll=ROLL, height=HEIGHT,
           wall=WALL) -> Scene:
    """Ray-casts the floor ``y = 0`` and the wall ``z = wall`` of a world
    frame with y down, the camera at ``y = -height``, with the pixel
    convention of the module (1-based pixel indices)."""
    camera = small_camera() if camera is None else camera
    p, r = np.deg2rad(pitch), np.deg2rad(roll)
    tilt = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)],
                     [0, -np.sin(p), np.cos(p)]])
    spin = np.array([[np.cos(r), -np.sin(r), 0],
                     [np.sin(r), np.cos(r), 0],
                     [0, 0, 1]])
    to_world = tilt @ spin
    h, w = shape
    u = (np.arange(1, w + 1) - camera[0, 2]) / camera[0, 0]
    v = (np.arange(1, h + 1) - camera[1, 2]) / camera[1, 1]
    rays = np.stack(np.broadcast_arrays(u[None, :], v[:, None], 1.), -1)
    rays = rays @ to_world.T  # camera z = 1, so t is the depth
    with np.errstate(divide='ignore'):
        to_floor = np.where(rays[..., 1] > 0, height / rays[..., 1], np.inf)
        to_wall = np.where(rays[..., 2] > 0, wall / rays[..., 2], np.inf)
    depth = np.minimum(to_floor, to_wall)
    assert np.isfinite(depth).all()
    return Scene(depth, to_floor < to_wall, height - depth * rays[..., 1],
                 to_world.T @ np.array([0., 1., 0.]), camera)


def away_from_edge(floor: np.ndarray, margin: int = EDGE) -> np.ndarray:
    """Pixels whose ``2 margin + 1`` window is all floor or all wall."""
    size = 2 * margin + 1
    return (ndimage.minimum_filter(floor, size) == ndimage.maximum_filter(
        floor, size))


def matlab_round(x: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(x + 0.5), 0, 255)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    return float(np.rad2deg(np.arccos(np.clip(cos, -1, 1))))


@pytest.fixture(scope='module')
def scene() -> Scene:
    return render()


@pytest.fixture(scope='module')
def hha(scene) -> np.ndarray:
    return depth_to_hha(scene.depth, scene.camera)


def test_scene_has_floor_and_wall(scene):
    # the checks below need both planes, well inside the image
    clean = away_from_edge(scene.floor)
    assert 0.2 < scene.floor.mean() < 0.6
    assert (clean & scene.floor).sum() > 2000
    assert (clean & ~scene.floor).sum() > 5000


def test_output_type(scene, hha):
    assert hha.shape == SHAPE + (3, ) and hha.dtype == np.uint8
    assert HHA_CHANNELS == ('disparity', 'height', 'angle')
    # float32 depth gives the same
    np.testing.assert_array_equal(
        depth_to_hha(scene.depth.astype(np.float32), scene.camera)[..., 2],
        hha[..., 2])


def test_gravity(scene):
    geometry = hha_geometry(scene.depth, scene.camera)
    assert np.isclose(np.linalg.norm(geometry.gravity), 1)
    # pointing down: a wrong sign is 180 degrees off
    assert angle_deg(geometry.gravity, scene.gravity) < 1.
    # the start (the camera's down axis) is 20.6 degrees off
    assert angle_deg(np.array([0., 1., 0.]), scene.gravity) > 20


def test_gravity_full_frame():
    # a 480 x 640 NYUDv2 frame, which also has to be fast
    full = render((480, 640), NYUD_CAMERA, pitch=10., roll=-8.)
    start = time.perf_counter()
    geometry = hha_geometry(full.depth, NYUD_CAMERA)
    seconds = time.perf_counter() - start
    print(f'480 x 640 HHA geometry: {seconds:.2f} s')
    assert angle_deg(geometry.gravity, full.gravity) < 0.5
    assert seconds < 10


def test_normals(scene):
    geometry = hha_geometry(scene.depth, scene.camera)
    clean = away_from_edge(scene.floor)
    normals = geometry.normals[clean]
    np.testing.assert_allclose(np.linalg.norm(normals, axis=-1), 1, atol=1e-6)
    # away from the camera: the floor's normal is the gravity direction, the
    # wall's the horizontal forward direction
    floor = geometry.normals[clean & scene.floor]
    assert np.all(floor @ scene.gravity > np.cos(np.deg2rad(1)))
    wall = geometry.normals[clean & ~scene.floor]
    np.testing.assert_allclose(wall @ scene.gravity, 0, atol=0.02)
    assert np.all(np.sum(wall * geometry.points[clean & ~scene.floor], -1) > 0)


def test_angle_channel(scene, hha):
    clean = away_from_edge(scene.floor)
    angle = hha[..., 2].astype(int)
    # saveHHA.m: angle in degrees + 128 - 90: 38 on floors, 128 on walls
    assert np.abs(angle[clean & scene.floor] - 38).max() <= 1
    assert np.abs(angle[clean & ~scene.floor] - 128).max() <= 1
    # the corner is in between
    assert 38 < np.median(angle[~clean]) < 128


def test_height_channel(scene, hha):
    height = hha[..., 1].astype(float)
    true_cm = scene.height * 100
    # the floor is the lowest point: 0
    assert height[scene.floor].max() <= 1
    # the wall: the height in cm above the floor
    wall = ~scene.floor
    assert true_cm[wall].max() > 150
    assert np.abs(height[wall] - true_cm[wall]).max() <= 1.5
    slope, offset = np.polyfit(true_cm[wall], height[wall], 1)
    assert abs(slope - 1) < 0.01 and abs(offset) < 1


def test_height_fallback_floor():
    # processDepthImage.m: a lowest point under 90 cm below the camera puts
    # the floor 130 cm below it
    low = render(height=0.8)
    hha = depth_to_hha(low.depth, low.camera)
    true_cm = low.height * 100
    # (no lowest point to subtract: the gravity's error of a few tenths of a
    # degree shows as up to 2 cm at 3 m)
    assert abs(np.median(hha[..., 1][low.floor]) - 50) <= 1
    assert np.abs(hha[..., 1].astype(float) - (true_cm + 50)).max() <= 2.5


def test_disparity_channel(scene, hha):
    # saveHHA.m: 31000 / depth in cm, depth at least 100 cm
    expected = matlab_round(31000 / np.maximum(scene.depth * 100, 100))
    np.testing.assert_array_equal(hha[..., 0], expected)
    assert hha[..., 0].min() < 110 and hha[..., 0].max() > 150
    # near the camera it saturates
    near = depth_to_hha(scene.depth / 4, scene.camera)
    assert near[..., 0].min() == 255


def test_holes_raise_by_default(scene):
    depth = scene.depth.copy()
    depth[10, 20] = 0
    depth[30:32, 40] = np.nan
    with pytest.raises(DepthHolesError) as info:
        depth_to_hha(depth, scene.camera)
    message = str(info.value)
    assert f'3 of {depth.size} pixels' in message
    assert '1 zero, 2 NaN' in message
    assert "holes='fill'" in message and "'depths'" in message
    assert (info.value.zeros, info.value.nans) == (1, 2)
    assert isinstance(info.value, DataFileError)


@pytest.mark.parametrize('holes', ['error', 'fill'])
def test_no_depth_at_all(holes):
    with pytest.raises(DepthHolesError, match='no pixel has a depth'):
        depth_to_hha(np.zeros(SHAPE), small_camera(), holes)
    with pytest.raises(DepthHolesError, match='no pixel has a depth'):
        depth_to_hha(np.full(SHAPE, np.nan), small_camera(), holes)


@pytest.mark.parametrize('bad', [-1., np.inf, -np.inf])
def test_negative_or_infinite_depth(scene, bad):
    depth = scene.depth.copy()
    depth[5, 5] = bad
    with pytest.raises(DataFileError, match='1 of .* negative or infinite'):
        depth_to_hha(depth, scene.camera, 'fill')


def test_wrong_input(scene):
    with pytest.raises(TypeError, match='millimetres'):
        depth_to_hha((scene.depth * 1000).astype(np.uint16), scene.camera)
    with pytest.raises(DataFileError, match='in metres'):
        depth_to_hha(scene.depth * 1000, scene.camera)
    with pytest.raises(ValueError, match='H x W'):
        depth_to_hha(scene.depth[..., None], scene.camera)
    with pytest.raises(ValueError, match="'error' or 'fill'"):
        depth_to_hha(scene.depth, scene.camera, 'nearest')
    with pytest.raises(ValueError, match='3 x 3'):
        depth_to_hha(scene.depth, scene.camera[:2])
    with pytest.raises(ValueError, match='missing has shape'):
        depth_to_hha(scene.depth, scene.camera, missing=scene.floor[1:])
    with pytest.raises(DataFileError, match='cover all'):
        depth_to_hha(scene.depth, scene.camera, missing=np.ones(SHAPE))


def test_fill_holes(scene, hha):
    depth = scene.depth.copy()
    hole = np.zeros(SHAPE, dtype=bool)
    hole[30:35, 60:65] = True  # on the wall
    assert not (scene.floor & ndimage.binary_dilation(hole, iterations=8)
                ).any()
    depth[hole] = 0
    depth[31, 61] = np.nan
    filled = depth_to_hha(depth, scene.camera, holes='fill')
    # away from the hole (beyond the 21 x 21 windows of the gravity
    # normals) the values hardly move (gravity moves a little)
    far = ~ndimage.binary_dilation(hole, np.ones((23, 23)))
    diff = np.abs(filled.astype(int) - hha)[far]
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    # in the hole: an estimate, still a wall
    assert np.abs(filled[..., 2][hole].astype(int) - 128).max() <= 2
    # the hole's disparity is that of its nearest valid pixel
    assert np.abs(filled[..., 0][hole].astype(int) -
                  hha[..., 0][hole]).max() <= 2


def test_missing_mask_is_left_out_of_the_fits(scene):
    # Gupta's saveHHA.m: filled depth, raw zeros left out of the normals
    hole = np.zeros(SHAPE, dtype=bool)
    hole[40:45, 100:105] = True
    holed = scene.depth.copy()
    holed[hole] = 0
    filled = depth_to_hha(holed, scene.camera, 'fill')
    masked = depth_to_hha(scene.depth, scene.camera, missing=hole)
    np.testing.assert_array_equal(filled[..., 2], masked[..., 2])
    np.testing.assert_array_equal(filled[~hole], masked[~hole])
    # the true depth is kept for the disparity
    np.testing.assert_array_equal(
        masked[..., 0], depth_to_hha(scene.depth, scene.camera)[..., 0])


def test_wide_hole_angle_is_matlab_nan(scene):
    # no measured pixel in the 7 x 7 window: no normal; Gupta's MATLAB
    # gives 180 degrees (acosd(min(1, max(-1, NaN))) = 180), i.e. 218
    depth = scene.depth.copy()
    depth[20:31, 70:81] = 0
    hha = depth_to_hha(depth, scene.camera, 'fill')
    assert (hha[23:28, 73:78, 2] == 218).all()
    assert hha[20, 70, 2] != 218


def test_surface_normals_tilted_plane():
    # a plane through (0, 0, 2) with unit normal n, seen by the camera
    camera = small_camera()
    n = np.array([0.3, -0.4, -1.])
    n /= np.linalg.norm(n)
    h, w = SHAPE
    u = (np.arange(1, w + 1) - camera[0, 2]) / camera[0, 0]
    v = (np.arange(1, h + 1) - camera[1, 2]) / camera[1, 1]
    rays = np.stack(np.broadcast_arrays(u[None, :], v[:, None], 1.), -1)
    depth = (n @ [0, 0, 2.]) / (rays @ n)
    points = point_cloud(depth, camera)
    for radius in (1, 3, 10):
        normals = surface_normals(points, radius)
        # pointing away from the camera: -n
        np.testing.assert_allclose(normals, np.broadcast_to(-n, normals.shape),
                                   atol=1e-6)
    # sparse points (4 to 9 a window) fit the same plane; no points, none
    valid = np.zeros(SHAPE, dtype=bool)
    valid[::3, :100:3] = True
    normals = surface_normals(points, 3, valid)
    assert np.isnan(normals[:, 103:]).all()
    np.testing.assert_allclose(normals[:, :100],
                               np.broadcast_to(-n, (h, 100, 3)), atol=1e-6)


def test_camera_for_crop():
    top, left, height, width = NYUD_CROP_BOX
    assert (top, left, height, width) == (45, 40, 425, 560)
    camera = camera_for_crop(NYUD_CAMERA, top, left)
    # Gupta's cropCamera.m: cx - 40, cy - 45
    np.testing.assert_allclose(camera[:2, 2],
                               NYUD_CAMERA[:2, 2] - [40, 45], atol=0)
    np.testing.assert_array_equal(camera[:2, :2], NYUD_CAMERA[:2, :2])
    np.testing.assert_array_equal(NYUD_CROP_CAMERA, camera)
    assert NYUD_CAMERA[0, 2] == 3.2558244941119034e+02  # not changed
    assert NYUD_CAMERA[1, 2] == 2.5373616633400465e+02
    np.testing.assert_array_equal(
        NYUD_CAMERA[:2, :2], np.diag([5.1885790117450188e+02,
                                      5.1946961112127485e+02]))
    # the crop's point cloud is the crop of the frame's
    full = render((480, 640), NYUD_CAMERA)
    crop = (slice(top, top + height), slice(left, left + width))
    np.testing.assert_allclose(
        point_cloud(full.depth[crop], camera),
        point_cloud(full.depth, NYUD_CAMERA)[crop], rtol=1e-12)


def test_compare_hha():
    rng = np.random.default_rng(0)
    ours = rng.integers(0, 250, (5, 7, 3)).astype(np.uint8)
    theirs = ours.copy()
    theirs[..., 1] += 2
    theirs[0, 0, 2] += 35
    diffs = compare_hha(ours, theirs)
    assert list(diffs) == ['disparity', 'height', 'angle']
    assert diffs['disparity'] == 0 and diffs['height'] == 2
    assert diffs['angle'] == pytest.approx(1)
    mask = np.ones((5, 7), dtype=bool)
    mask[0, 0] = False
    assert compare_hha(ours, theirs, mask)['angle'] == 0
    with pytest.raises(ValueError, match='alike'):
        compare_hha(ours, theirs[1:])


@pytest.mark.skipif(
    not os.environ.get('FCN_NYUD_HHA_DIR'),
    reason='FCN_NYUD_HHA_DIR (the folder with data/depth and data/hha of '
    'the reference NYUDv2 data) is not set')
def test_released_hha():
    from PIL import Image
    root = Path(os.environ['FCN_NYUD_HHA_DIR'])
    data = root / 'data' if (root / 'data' / 'hha').is_dir() else root
    names = sorted(p.name for p in (data / 'hha').glob('img_*.png')
                   if (data / 'depth' / p.name).is_file())[:3]
    assert names, f'no img_*.png in both {data}/hha and {data}/depth'
    for name in names:
        depth = np.asarray(Image.open(data / 'depth' / name), np.float64)
        theirs = np.asarray(Image.open(data / 'hha' / name).convert('RGB'))
        camera = NYUD_CROP_CAMERA if depth.shape == (425, 560) else (
            NYUD_CAMERA)
        # the PNGs hold millimetres
        ours = depth_to_hha(depth / 1000, camera, 'fill')
        diffs = compare_hha(ours, theirs)
        print(name, ' '.join(f'{k} {v:.2f}' for k, v in diffs.items()))
        for k, channel in enumerate(HHA_CHANNELS):
            corr = np.corrcoef(ours[..., k].ravel(), theirs[..., k].ravel())
            assert corr[0, 1] > 0, (name, channel)
