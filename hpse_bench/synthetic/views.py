"""Chosen views of one person: the same body and look turned to a given
heading or mirrored, and the square person crop a top-down pipeline feeds
a network. Used to check what the images show (``tools/data/
browse_synthetic.py --views``, the generator's tests)."""
from typing import Optional, Sequence

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from hpse_bench.structures.conventions import flip_smpl_pose
from .generator import SyntheticHumanGenerator, SyntheticImage
from .scene import SMPL_TO_CAMERA, Camera, Light, PersonParams

#: A light from straight behind the camera: mirrored scenes stay mirrored.
FRONT_LIGHT = Light(
    direction=np.array([0.0, -0.3, -1.0]) / np.sqrt(1.09),
    ambient=0.45,
    color=np.full(3, 0.6))


def render_view(gen: SyntheticHumanGenerator,
                betas: np.ndarray,
                body_pose: np.ndarray,
                yaw: float,
                seed: int,
                mirror: bool = False,
                image_size: int = 128,
                split: str = 'h36m',
                light: Optional[Light] = FRONT_LIGHT,
                height_fraction: float = 0.8) -> SyntheticImage:
    """One upright person at heading ``yaw``, centred in a square image.

    Args:
        gen: the generator (its ``appearance`` option sets the look).
        betas: ``(10,)`` shape.
        body_pose: ``(23, 3)`` axis-angle pose.
        yaw: heading in degrees, 0 facing the camera.
        seed: draws the look, light and background (``render_people``);
            the same seed gives the same look in every view.
        mirror: render the mirror image of the person's pose and heading
            (``flip_smpl_pose``) with the same look: what a flipped image's
            labels describe.
        image_size: image side in pixels.
        split: style of the background.
        light: the light; None draws it from ``seed``.
        height_fraction: the person's image height over the image height.
    """
    body = Rotation.from_euler('y', yaw, degrees=True)
    orient = (SMPL_TO_CAMERA * body).as_rotvec()
    pose = np.concatenate([orient, np.asarray(body_pose).reshape(-1)])
    if mirror:
        pose = flip_smpl_pose(pose)
    person = PersonParams(
        betas=np.asarray(betas, np.float64),
        body_pose=pose[3:].reshape(23, 3),
        global_orient=pose[:3])
    vertices = gen._forward_many([[person]])[0]['vertices'][0]
    focal = 2.0 * image_size
    lo, hi = vertices.min(0), vertices.max(0)
    depth = focal * max(hi[:2] - lo[:2]) / (height_fraction * image_size)
    centre = (lo + hi) / 2
    person.transl = np.array([-centre[0], -centre[1], depth - centre[2]])
    camera = Camera(focal, np.full(2, image_size / 2.0),
                    (image_size, image_size))
    return gen.render_people(
        camera, [person], split=split, seed=seed, light=light)


def crop_person(image: np.ndarray,
                bbox: Sequence[float],
                size: int,
                padding: float = 1.25,
                interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """The square crop around a box (``x, y, w, h``), ``padding`` times its
    longer side, resized to ``size`` x ``size`` by one bilinear affine warp
    as mmpose's ``TopdownAffine`` does (outside the image is black;
    ``cv2.INTER_NEAREST`` crops label maps)."""
    x, y, w, h = bbox[:4]
    scale = size / (max(w, h) * padding)
    # The box centre (continuous coordinates) to the crop's centre.
    cx, cy = x + w / 2 - 0.5, y + h / 2 - 0.5
    warp = np.array([[scale, 0, (size - 1) / 2 - cx * scale],
                     [0, scale, (size - 1) / 2 - cy * scale]])
    return cv2.warpAffine(image, warp, (size, size), flags=interpolation)
