"""HHA encoding of depth: horizontal disparity, height, angle with gravity.

The depth input of the NYUDv2 nets of `FCN
<https://arxiv.org/abs/1605.06211>`_ (``nyud-fcn32s-hha``,
``nyud-fcn32s-color-hha``) is the geocentric encoding of Gupta, Girshick,
Arbelaez, Malik, "Learning Rich Features from RGB-D Images for Object
Detection and Segmentation", ECCV 2014 (https://arxiv.org/abs/1407.5736).
This module computes it as Gupta's MATLAB code does (`rcnn-depth
<https://github.com/s-gupta/rcnn-depth>`_: ``rcnn/saveHHA.m``,
``mcg/depth_features/processDepthImage.m``, and the RGBD utilities it
calls: ``getPointCloudFromZ.m``, ``computeNormalsSquareSupport.m``,
``getYDir.m``, ``getRMatrix.m``; the NYU hooks ``getCameraParam.m``,
``cropCamera.m``, ``cropIt.m``), in numpy and scipy:

1. The point cloud, in centimetres, of the depth and the camera matrix
   (:func:`point_cloud`): X right, Y *down* (image rows), Z forward (the
   depth), with MATLAB's 1-based pixel indices (see :data:`NYUD_CAMERA`).
2. Surface normals by a least-squares plane fit over the
   ``(2 r + 1) x (2 r + 1)`` window of every pixel (:func:`surface_normals`),
   with box sums, so the fit leaves out pixels without a measured depth;
   each normal points away from the camera. ``r = 3`` gives the normals of
   the angle channel, ``r = 10`` those for the gravity estimate
   (``processDepthImage.m``: ``normalParam.patchSize = [3 10]``).
3. Gravity (:func:`gravity_direction`), refined from the camera's down axis
   ``(0, 1, 0)`` (``yDirParam.y0``): 5 iterations that take normals within
   45 degrees of it as floor and those within 45 degrees of perpendicular
   as walls, then 5 more at 15 degrees (``yDirParam.angleThresh = [45
   15]``, ``yDirParam.iter = [5 5]``); each takes the direction that is
   most parallel to the floor normals and most perpendicular to the wall
   normals (the eigenvector of the smallest eigenvalue of
   ``sum(wall n n^T) - sum(floor n n^T)``).
4. Height above the lowest point of the scene, in cm
   (``processDepthImage.m``: ``yMin = prctile(h(:), 0)``, the 0th
   percentile, i.e. the minimum, not a low percentile; if that point is
   less than 90 cm below the camera the floor is taken to be 130 cm below
   it instead).
5. The three channels (``saveHHA.m``), rounded and clipped to 0..255 as
   MATLAB's ``uint8`` does (see :data:`DISPARITY_SCALE`,
   :data:`MIN_DEPTH_CM`, :data:`ANGLE_OFFSET`).

The channel order is that of ``saveHHA.m``'s array, ``I(:,:,1)`` disparity,
``I(:,:,2)`` height, ``I(:,:,3)`` angle, which MATLAB's ``imwrite`` stores
as the PNG's red, green and blue. So:

- :func:`depth_to_hha` returns ``(disparity, height, angle)``, the order of
  the PNG as PIL reads it (``np.asarray(Image.open(path))``) and the order
  the reference's ``nyud_layers.py`` feeds the net (it reads the PNG with
  PIL and subtracts the mean ``(132.431, 94.076, 118.477)`` without
  swapping channels).
- ``cv2.imread`` and ``mmcv.imread`` (BGR by default) give ``(angle,
  height, disparity)``: reverse the last axis (``hha[..., ::-1]``) to
  compare with this module, and write this module's output with
  ``cv2.imwrite(path, hha[..., ::-1])`` (or ``mmcv.imwrite`` likewise) to
  get a PNG like Gupta's; ``PIL.Image.fromarray(hha).save(path)`` needs no
  swap.

The HHA images the reference uses (``data/hha/img_<id>.png``, 425 x 560)
are Gupta's: made from the NYU toolbox's filled depth (``depths`` of
``nyu_depth_v2_labeled.mat``), cropped (:data:`NYUD_CROP_BOX`), with the
cropped camera (:data:`NYUD_CROP_CAMERA`), and with the pixels where the
raw depth is 0 left out of the plane fits (``missing`` of
:func:`depth_to_hha`).
"""
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np
from scipy import ndimage

from ..errors import DataFileError

#: The NYUDv2 Kinect colour camera, 3 x 3 (``getCameraParam('color')`` of
#: Gupta's NYU hooks; the NYU Depth V2 toolbox's ``camera_params.m``
#: ``fx_rgb``, ``fy_rgb``, ``cx_rgb``, ``cy_rgb``) for the full 480 x 640
#: frames. As in Gupta's ``getPointCloudFromZ.m`` (``meshgrid(1:W, 1:H)``),
#: the principal point is in MATLAB's 1-based pixel indices: the pixel in
#: (0-based) row ``i``, column ``j`` is at ``u = j + 1``, ``v = i + 1``.
#: A camera from a 0-based calibration (OpenCV) needs ``cx + 1, cy + 1``.
NYUD_CAMERA = np.array([[5.1885790117450188e+02, 0., 3.2558244941119034e+02],
                        [0., 5.1946961112127485e+02, 2.5373616633400465e+02],
                        [0., 0., 1.]])
#: The crop of the NYUDv2 images the reference's data has (Gupta's
#: ``cropIt.m``: ``I(46:470, 41:600, :)``): ``(top, left, height, width)``
#: in 0-based pixels, i.e. ``image[45:470, 40:600]``.
NYUD_CROP_BOX = (45, 40, 425, 560)

#: ``saveHHA.m``: ``I(:,:,1) = 31000./pc(:,:,3)``, with ``pc(:,:,3)`` the
#: depth in cm: the disparity channel is ``31000 / depth_cm`` (1.216 m and
#: nearer give 255, 10 m gives 31).
DISPARITY_SCALE = 31000.
#: ``saveHHA.m``: ``pc(:,:,3) = max(pc(:,:,3), 100)``: depths under 1 m
#: count as 1 m in the disparity (which saturates at 255 anyway).
MIN_DEPTH_CM = 100.
#: ``saveHHA.m``: ``I(:,:,3) = (angl+128-90)``: the angle channel is the
#: angle in degrees plus 38 (floors 38, walls 128, ceilings 218).
ANGLE_OFFSET = 128. - 90.
#: ``processDepthImage.m``: ``if(yMin > -90) yMin = -130; end``: if the
#: lowest point is under this many cm below the camera, the floor is taken
#: to be :data:`FALLBACK_FLOOR_CM` below it.
MIN_FLOOR_DROP_CM = 90.
#: See :data:`MIN_FLOOR_DROP_CM`.
FALLBACK_FLOOR_CM = 130.
#: ``processDepthImage.m``: ``normalParam.patchSize = [3 10]``: the window
#: radii (7 x 7 and 21 x 21) of the normals of the angle channel and of
#: those of the gravity estimate.
ANGLE_NORMAL_RADIUS = 3
#: See :data:`ANGLE_NORMAL_RADIUS`.
GRAVITY_NORMAL_RADIUS = 10
#: ``processDepthImage.m``: ``yDirParam.angleThresh = [45 15]``,
#: ``yDirParam.iter = [5 5]``: (threshold in degrees, iterations) of the
#: gravity estimate's two rounds.
GRAVITY_ROUNDS = ((45., 5), (15., 5))
#: ``processDepthImage.m``: ``yDirParam.y0 = [0 1 0]'``: the start of the
#: gravity estimate, the camera's down axis (image rows grow downwards).
CAMERA_DOWN = np.array([0., 1., 0.])
#: ``getRMatrix.m``: ``if(abs(phi) > 0.1)``: gravity within this many
#: degrees of :data:`CAMERA_DOWN` leaves the point cloud unrotated.
MIN_ROTATION_DEG = 0.1
#: Depths over this many metres (median of the valid pixels) are taken to
#: be in the wrong unit (a 16-bit NYUDv2 PNG holds millimetres).
MAX_MEDIAN_DEPTH_M = 100.
#: The channel names, in the order of the output of :func:`depth_to_hha`.
HHA_CHANNELS = ('disparity', 'height', 'angle')


class DepthHolesError(DataFileError):
    """A depth map has pixels without a depth (0 or NaN).

    Args:
        zeros (int): How many pixels are 0.
        nans (int): How many pixels are NaN.
        total (int): How many pixels the map has.
        hint (str): What to do, appended to the message.
    """

    def __init__(self, zeros: int, nans: int, total: int, hint: str) -> None:
        self.zeros = zeros
        self.nans = nans
        self.total = total
        super().__init__(
            f'the depth map has {zeros + nans} of {total} pixels without a '
            f'depth ({zeros} zero, {nans} NaN); {hint}')


class HHAGeometry(NamedTuple):
    """What the HHA channels are made of (:func:`hha_geometry`).

    Attributes:
        points (np.ndarray): H x W x 3 point cloud in cm, camera frame (X
            right, Y down, Z forward), of the depth after filling holes.
        normals (np.ndarray): H x W x 3 unit normals of the 7 x 7 plane fits,
            pointing away from the camera; NaN where the window had too few
            measured pixels for a plane.
        gravity (np.ndarray): (3,) unit vector pointing down (the direction
            of gravity) in the camera frame.
        height (np.ndarray): H x W height in cm above the floor level.
        angle (np.ndarray): H x W angle in degrees between the normal and
            :attr:`gravity` (0 floor, 90 wall, 180 ceiling); 180 where the
            normal is NaN, as in MATLAB (see :func:`hha_geometry`).
        filled (np.ndarray): H x W bool, the holes that were filled.
    """

    points: np.ndarray
    normals: np.ndarray
    gravity: np.ndarray
    height: np.ndarray
    angle: np.ndarray
    filled: np.ndarray


def _check_camera(camera: np.ndarray) -> np.ndarray:
    """The camera matrix as float64, checked."""
    camera = np.asarray(camera, dtype=np.float64)
    if camera.shape != (3, 3) or not np.isfinite(camera).all():
        raise ValueError(
            f'the camera matrix must be 3 x 3 and finite, got {camera!r}')
    if camera[0, 0] <= 0 or camera[1, 1] <= 0:
        raise ValueError(
            'the camera matrix must have positive focal lengths fx = '
            f'camera[0, 0] and fy = camera[1, 1], got {camera!r}')
    return camera


def camera_for_crop(camera: np.ndarray, top: int, left: int) -> np.ndarray:
    """The camera matrix of a crop of the image.

    Shifts the principal point by the crop's offset (Gupta's
    ``cropCamera.m`` does ``cx - 40``, ``cy - 45`` for the NYUDv2 crop).

    Args:
        camera (np.ndarray): 3 x 3 camera matrix of the full image.
        top (int): First row of the crop (0-based), e.g. 45.
        left (int): First column of the crop (0-based), e.g. 40.

    Returns:
        np.ndarray: A new 3 x 3 float64 matrix with ``cx - left`` and
        ``cy - top``.
    """
    cropped = _check_camera(camera).copy()
    cropped[0, 2] -= left
    cropped[1, 2] -= top
    return cropped


#: :data:`NYUD_CAMERA` for the 425 x 560 crop :data:`NYUD_CROP_BOX` (Gupta's
#: ``cropCamera(getCameraParam('color'))``), the camera of the reference's
#: ``data/depth`` and ``data/hha`` images.
NYUD_CROP_CAMERA = camera_for_crop(NYUD_CAMERA, *NYUD_CROP_BOX[:2])


def point_cloud(depth: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """Back-projects a depth map (``getPointCloudFromZ.m``).

    Args:
        depth (np.ndarray): H x W depth (distance along the optical axis).
        camera (np.ndarray): 3 x 3 camera matrix with a principal point in
            1-based pixel indices (:data:`NYUD_CAMERA`); only ``fx, fy, cx,
            cy`` are used.

    Returns:
        np.ndarray: H x W x 3 float64 ``(X, Y, Z)`` in the unit of
        ``depth``: X right, Y down, Z forward; ``X = (j + 1 - cx) Z / fx``
        and ``Y = (i + 1 - cy) Z / fy`` at row ``i``, column ``j``.
    """
    camera = _check_camera(camera)
    z = np.asarray(depth, dtype=np.float64)
    h, w = z.shape
    u = (np.arange(1, w + 1) - camera[0, 2]) / camera[0, 0]
    v = (np.arange(1, h + 1) - camera[1, 2]) / camera[1, 1]
    return np.stack([u[None, :] * z, v[:, None] * z, z], axis=-1)


def surface_normals(points: np.ndarray,
                    radius: int,
                    valid: Optional[np.ndarray] = None) -> np.ndarray:
    """Normals of least-squares planes over square windows.

    ``computeNormalsSquareSupport.m`` (without superpixels): at each pixel,
    the plane ``n . P = 1`` fitted to the valid points of the ``(2 radius +
    1)`` square window (cut at the image border) in inverse depth, i.e. the
    least-squares solution of ``n1 X/Z + n2 Y/Z + n3 = 1/Z``. The window sums
    are box filters, and ``n`` is the adjugate of the normal equations'
    matrix times their right side (the MATLAB's ``invertIt`` and
    ``mutiplyIt``), normalised. Each normal is then turned to point away
    from the camera (``n . P >= 0``, ``P`` the pixel's point).

    Args:
        points (np.ndarray): H x W x 3 point cloud (:func:`point_cloud`),
            Z > 0 wherever ``valid``.
        radius (int): Window radius ``r`` (window ``2 r + 1`` square).
        valid (np.ndarray, optional): H x W bool, the pixels the fits may
            use. Defaults to all.

    Returns:
        np.ndarray: H x W x 3 unit normals, NaN where the window has fewer
        than 3 valid pixels. (Valid pixels all on one image line leave the
        plane undetermined and the normal ill-defined, as in the MATLAB.)
    """
    points = np.asarray(points, dtype=np.float64)
    if valid is None:
        valid = np.ones(points.shape[:2], dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    one = valid.astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        inv_z = np.where(valid, 1. / points[..., 2], 0.)
        a = np.where(valid, points[..., 0] * inv_z, 0.)  # X/Z
        b = np.where(valid, points[..., 1] * inv_z, 0.)  # Y/Z
    size = 2 * radius + 1

    def box(f: np.ndarray) -> np.ndarray:
        # filter2(ones(size), f): zero padding at the border
        return ndimage.uniform_filter(
            f, size=size, mode='constant', cval=0.) * (size * size)

    s_aa, s_ab, s_a = box(a * a), box(a * b), box(a)
    s_bb, s_b, s_1 = box(b * b), box(b), box(one)
    t_a, t_b, t_1 = box(a * inv_z), box(b * inv_z), box(inv_z)
    # adjugate of [[s_aa, s_ab, s_a], [s_ab, s_bb, s_b], [s_a, s_b, s_1]]
    c11 = s_bb * s_1 - s_b * s_b
    c12 = s_a * s_b - s_ab * s_1
    c13 = s_ab * s_b - s_a * s_bb
    c22 = s_aa * s_1 - s_a * s_a
    c23 = s_ab * s_a - s_aa * s_b
    c33 = s_aa * s_bb - s_ab * s_ab
    n = [
        c11 * t_a + c12 * t_b + c13 * t_1,
        c12 * t_a + c22 * t_b + c23 * t_1,
        c13 * t_a + c23 * t_b + c33 * t_1,
    ]
    n = np.stack(n, axis=-1)
    norm = np.sqrt(np.sum(n * n, axis=-1, keepdims=True))
    # fewer than 3 points fit no plane: the MATLAB's exact window sums then
    # give n = 0, i.e. NaN; the box filter's rounding would not
    enough = _box_count(valid, radius)[..., None] >= 3
    with np.errstate(divide='ignore', invalid='ignore'):
        n = np.where(enough & (norm > 0), n / norm, np.nan)
    # point away from the camera, as computeNormalsSquareSupport.m: first
    # Z >= 0, then n . P >= 0 (P of the filled depth; a sign of 0 is +1)
    n *= np.where(n[..., 2:] < 0, -1., 1.)
    towards = np.sum(n * points, axis=-1, keepdims=True) < 0
    n *= np.where(towards, -1., 1.)
    return n


def gravity_direction(
        normals: np.ndarray,
        start: np.ndarray = CAMERA_DOWN,
        rounds: Tuple[Tuple[float, int], ...] = GRAVITY_ROUNDS) -> np.ndarray:
    """The direction of gravity from surface normals (``getYDir.m``).

    Each iteration takes the normals within ``t`` degrees of the current
    estimate ``g`` (``|n . g| > cos t``) as floor (and ceiling) and those
    within ``t`` degrees of perpendicular (``|n . g| < sin t``) as walls,
    and takes as the new ``g`` the unit vector that minimises ``sum_wall
    (n . g)^2 - sum_floor (n . g)^2``, with the sign of the previous one.

    Args:
        normals (np.ndarray): ... x 3 unit normals; NaN rows are left out.
        start (np.ndarray): The first estimate, (3,). Defaults to the
            camera's down axis ``(0, 1, 0)``.
        rounds (tuple): ``(threshold in degrees, iterations)`` pairs.
            Defaults to ``((45, 5), (15, 5))``.

    Returns:
        np.ndarray: (3,) unit vector. With no normal near the floor or wall
        sets, the estimate is left as it is (the MATLAB then gives NaN).
    """
    n = np.asarray(normals, dtype=np.float64).reshape(-1, 3)
    n = n[~np.isnan(n).any(axis=1)]
    g = np.asarray(start, dtype=np.float64)
    g = g / np.linalg.norm(g)
    for threshold, iterations in rounds:
        cos_t = np.cos(np.deg2rad(threshold))
        sin_t = np.sin(np.deg2rad(threshold))
        for _ in range(iterations):
            c = np.abs(n @ g)
            weight = (c < sin_t).astype(np.float64) - (c > cos_t)
            if not weight.any():
                break
            scatter = (n * weight[:, None]).T @ n
            _, vectors = np.linalg.eigh(scatter)
            new = vectors[:, 0]  # smallest eigenvalue
            g = new if new @ g >= 0 else -new
    return g


def hha_geometry(depth: np.ndarray,
                 camera: np.ndarray = NYUD_CAMERA,
                 holes: str = 'error',
                 *,
                 missing: Optional[np.ndarray] = None) -> HHAGeometry:
    """Point cloud, normals, gravity, height and angle of a depth map.

    ``processDepthImage.m`` and the angle of ``saveHHA.m``; see
    :func:`depth_to_hha` for the arguments. Where a 7 x 7 window has too few
    measured pixels for a plane (inside holes wider than 7 pixels), the
    normal is NaN and the angle is 180 degrees, as Gupta's MATLAB gives
    (``acosd(min(1, max(-1, NaN)))``: MATLAB's ``max`` drops the NaN).

    Returns:
        HHAGeometry: The geometry; :func:`encode_hha` makes the channels.
    """
    z, filled = _check_depth(depth, holes)
    camera = _check_camera(camera)
    valid = ~filled
    if missing is not None:
        missing = np.asarray(missing)
        if missing.shape != z.shape:
            raise ValueError(
                f'missing has shape {missing.shape}, the depth {z.shape}')
        valid &= ~missing.astype(bool)
        if not valid.any():
            raise DataFileError(
                f'missing and the holes cover all {z.size} pixels: no pixel '
                'has a measured depth to fit surface normals to')
    points = point_cloud(z * 100., camera)  # cm, as Gupta's code
    normals = surface_normals(points, ANGLE_NORMAL_RADIUS, valid)
    gravity = gravity_direction(
        surface_normals(points, GRAVITY_NORMAL_RADIUS, valid))
    # processDepthImage.m rotates the cloud by getRMatrix(y0, yDir)' and
    # takes h = -Y, which is -(yDir . P); getRMatrix leaves it unrotated
    # (h = -Y) when yDir is within 0.1 degrees of y0
    turn = np.rad2deg(np.arccos(np.clip(gravity @ CAMERA_DOWN, -1., 1.)))
    down = gravity if turn > MIN_ROTATION_DEG else CAMERA_DOWN
    height = -(points @ down)
    floor = height.min()  # prctile(h(:), 0)
    if floor > -MIN_FLOOR_DROP_CM:
        floor = -FALLBACK_FLOOR_CM
    height -= floor
    cos = normals @ gravity
    cos = np.where(np.isnan(cos), -1., np.clip(cos, -1., 1.))
    angle = np.rad2deg(np.arccos(cos))
    return HHAGeometry(points, normals, gravity, height, angle, filled)


def encode_hha(geometry: HHAGeometry) -> np.ndarray:
    """The three uint8 channels of ``saveHHA.m``.

    Args:
        geometry (HHAGeometry): From :func:`hha_geometry`.

    Returns:
        np.ndarray: H x W x 3 uint8 ``(disparity, height, angle)``:
        ``31000 / max(depth_cm, 100)``, height in cm, angle in degrees +
        38; rounded half away from zero and clipped to 0..255 (MATLAB's
        ``uint8``).
    """
    depth_cm = np.maximum(geometry.points[..., 2], MIN_DEPTH_CM)
    channels = (DISPARITY_SCALE / depth_cm, geometry.height,
                geometry.angle + ANGLE_OFFSET)
    return _matlab_uint8(np.stack(channels, axis=-1))


def depth_to_hha(depth: np.ndarray,
                 camera: np.ndarray = NYUD_CAMERA,
                 holes: str = 'error',
                 *,
                 missing: Optional[np.ndarray] = None) -> np.ndarray:
    """HHA encoding of a depth map, as Gupta's ``saveHHA.m``.

    Args:
        depth (np.ndarray): H x W float depth in metres (distance along the
            optical axis). 0 and NaN mark holes (no return).
        camera (np.ndarray): 3 x 3 camera matrix, principal point in 1-based
            pixel indices. Defaults to :data:`NYUD_CAMERA` (full 480 x 640
            frames); use :data:`NYUD_CROP_CAMERA` for the reference's 425 x
            560 images, :func:`camera_for_crop` for other crops.
        holes (str): ``'error'`` (default) raises :class:`DepthHolesError`
            if any pixel is 0 or NaN. ``'fill'`` gives each hole the depth of
            its nearest valid pixel (Euclidean distance in pixels) and
            leaves the holes out of the normals' plane fits, as Gupta does
            with the raw depth's zeros; the HHA inside a filled hole is an
            estimate.
        missing (np.ndarray, optional): H x W bool, pixels whose depth is an
            estimate (e.g. ``raw == 0`` with the NYU toolbox's filled depth,
            which is how Gupta made the reference's HHA images); left out of
            the plane fits but kept for disparity and height.

    Returns:
        np.ndarray: H x W x 3 uint8 ``(disparity, height, angle)``: the
        order of Gupta's PNG files as PIL reads them (R, G, B); cv2 and mmcv
        read the same file as ``(angle, height, disparity)``.

    Raises:
        DepthHolesError: Holes with ``holes='error'``, or no pixel with a
            depth at all.
        DataFileError: Negative or infinite depth, or a median depth over
            100 m (not metres).
        TypeError: ``depth`` is not a float array.
        ValueError: A wrong shape, camera or ``holes``.
    """
    return encode_hha(hha_geometry(depth, camera, holes, missing=missing))


def compare_hha(ours: np.ndarray,
                theirs: np.ndarray,
                mask: Optional[np.ndarray] = None) -> Dict[str, float]:
    """Mean absolute difference per channel of two HHA images.

    Args:
        ours (np.ndarray): H x W x 3 HHA, ``(disparity, height, angle)``.
        theirs (np.ndarray): The same, in the same order (a PNG read with
            PIL; one read with cv2 or mmcv needs ``[..., ::-1]`` first).
        mask (np.ndarray, optional): H x W bool, the pixels to compare.
            Defaults to all.

    Returns:
        dict: ``{'disparity': ..., 'height': ..., 'angle': ...}``, the mean
        of ``|ours - theirs|`` over the pixels, in channel units (1/255 of
        the range).
    """
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape or ours.ndim != 3 or ours.shape[2] != 3:
        raise ValueError(
            f'HHA images of shapes {ours.shape} and {theirs.shape}: both '
            'must be H x W x 3 and alike')
    diff = np.abs(ours - theirs)
    if mask is not None:
        diff = diff[np.asarray(mask, dtype=bool)]
    diff = diff.reshape(-1, 3)
    if not len(diff):
        raise ValueError('the mask leaves no pixel to compare')
    return {
        name: float(diff[:, k].mean())
        for k, name in enumerate(HHA_CHANNELS)
    }


def _box_count(mask: np.ndarray, radius: int) -> np.ndarray:
    """How many pixels of ``mask`` each ``2 radius + 1`` window holds."""
    padded = np.pad(mask.astype(np.int64), radius + 1)
    c = padded.cumsum(axis=0).cumsum(axis=1)
    size = 2 * radius + 1
    h, w = mask.shape
    return (c[size:size + h, size:size + w] - c[:h, size:size + w] -
            c[size:size + h, :w] + c[:h, :w])


def _matlab_uint8(x: np.ndarray) -> np.ndarray:
    """MATLAB's ``uint8(x)``: round half away from zero, clip, NaN -> 0."""
    x = np.nan_to_num(x, nan=0., posinf=255., neginf=0.)
    return np.floor(np.clip(x, 0., 255.) + 0.5).astype(np.uint8)


def _check_depth(depth: np.ndarray,
                 holes: str) -> Tuple[np.ndarray, np.ndarray]:
    """The depth as float64 metres with holes filled, and the holes."""
    if holes not in ('error', 'fill'):
        raise ValueError(f"holes must be 'error' or 'fill', got {holes!r}")
    depth = np.asarray(depth)
    if not np.issubdtype(depth.dtype, np.floating):
        raise TypeError(
            f'the depth map must be a float array in metres, got '
            f'{depth.dtype} (a 16-bit NYUDv2 depth PNG holds millimetres: '
            'pass png.astype(np.float64) / 1000)')
    if depth.ndim != 2:
        raise ValueError(
            f'the depth map must be H x W, got shape {depth.shape}')
    z = depth.astype(np.float64)
    nan = np.isnan(z)
    bad = ~nan & ((z < 0) | np.isinf(z))
    if bad.any():
        raise DataFileError(
            f'the depth map has {int(bad.sum())} of {z.size} pixels with a '
            'negative or infinite depth: depths are distances in metres, '
            '0 or NaN where there is none')
    zero = z == 0
    filled = nan | zero
    if filled.all():
        raise DepthHolesError(
            int(zero.sum()), int(nan.sum()), z.size,
            'no pixel has a depth, so there is nothing to encode')
    median = float(np.median(z[~filled]))
    if median > MAX_MEDIAN_DEPTH_M:
        raise DataFileError(
            f'the depth map has a median depth of {median:g} m: depths must '
            'be in metres (a 16-bit NYUDv2 depth PNG holds millimetres: '
            'divide by 1000)')
    if filled.any():
        if holes == 'error':
            raise DepthHolesError(
                int(zero.sum()), int(nan.sum()), z.size,
                "HHA needs a depth at every pixel: use the filled depth "
                "(NYUDv2: 'depths' of nyu_depth_v2_labeled.mat, not "
                "'rawDepths'; the reference's data/depth PNGs), or pass "
                "holes='fill' to give each hole the depth of its nearest "
                'valid pixel (the HHA there is then an estimate)')
        nearest = ndimage.distance_transform_edt(
            filled, return_distances=False, return_indices=True)
        z = z[tuple(nearest)]
    return z, filled
