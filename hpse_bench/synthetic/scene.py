"""Scene composition: cameras, people placement, occluders and light.

Every split has a :class:`SplitStyle` (image size, background style, number
of people, occluder and truncation rates, framing). A scene is drawn in two
steps because placing a person needs its posed extent:

1. :func:`sample_people` draws shape, pose and orientation (the camera's
   tilt folded into ``global_orient``, so that SMPL's output is directly in
   the camera frame: x right, y down, z forward);
2. after one body-model forward pass with zero translation,
   :func:`place_people` picks each person's translation (framing a single
   person like a person-centred crop, or standing several people on a
   common ground plane), and :func:`sample_occluders` puts boxes and blobs
   between the camera and the people.

:func:`compose_scene` does the second step and adds light, looks and the
background, giving a :class:`Scene` ready to render.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from .backgrounds import render_background
from .pose_prior import PosePrior
from .primitives import box_mesh, ellipsoid_mesh


@dataclass(frozen=True)
class SplitStyle:
    """How the images of one split look.

    Attributes:
        image_size: ``(H, W)``.
        background: ``backgrounds.BACKGROUNDS`` key.
        num_people: ``(choices, probabilities)`` of people per image.
        occluder_prob: chance that each person gets an occluder.
        truncation_prob: chance that a single person is shifted partly out
            of the frame.
        height_fraction: range of the person's image height over the image
            height (single-person framing).
        depth_range: camera distance of people in metres (multi-person).
        focal_range: focal length over the image width.
        pitch_range: camera pitch in degrees (positive looks down).
        activities: optional activity probabilities for the pose prior.
        lighting: 'studio' (bright, frontal) or 'natural'.
        facing: shares of people facing the camera (within
            ``FRONT_MAX_YAW``), in profile and facing away (beyond
            ``BACK_MIN_YAW``); None for any heading, uniformly.
        densepose: label DensePose (points and the 14 coarse masks, the
            costliest label at small image sizes); only the COCO-like
            split's files carry it.
    """
    image_size: Tuple[int, int] = (256, 256)
    background: str = 'clutter'
    num_people: Tuple[Tuple[int, ...], Tuple[float, ...]] = ((1, ), (1.0, ))
    occluder_prob: float = 0.3
    truncation_prob: float = 0.15
    height_fraction: Tuple[float, float] = (0.55, 0.9)
    depth_range: Tuple[float, float] = (3.0, 7.0)
    focal_range: Tuple[float, float] = (1.0, 2.0)
    pitch_range: Tuple[float, float] = (-10.0, 15.0)
    activities: Optional[Dict[str, float]] = None
    lighting: str = 'natural'
    facing: Optional[Tuple[float, float, float]] = (0.6, 0.25, 0.15)
    densepose: bool = True


@dataclass
class Camera:
    """Pinhole camera at the origin looking along +z (pixels)."""
    focal_length: float
    principal_point: np.ndarray
    image_size: Tuple[int, int]


@dataclass
class PersonParams:
    """SMPL parameters of one person (camera frame)."""
    betas: np.ndarray
    body_pose: np.ndarray
    global_orient: np.ndarray
    transl: np.ndarray = field(default_factory=lambda: np.zeros(3))


@dataclass
class Occluder:
    """A closed mesh in the camera frame with a flat colour."""
    vertices: np.ndarray
    faces: np.ndarray
    color: np.ndarray


@dataclass
class Light:
    """A directional light (unit vector towards the light) plus ambient."""
    direction: np.ndarray
    ambient: float
    color: np.ndarray


#: Heading (degrees from facing the camera) up to which a person faces the
#: camera, and from which on it faces away; in between it is in profile.
FRONT_MAX_YAW, BACK_MIN_YAW = 45.0, 135.0

# SMPL's rest frame has y up and faces +z; the camera frame has y down and
# looks along +z, so an upright person facing the camera is SMPL's body
# turned by 180 degrees about x.
SMPL_TO_CAMERA = Rotation.from_euler('x', 180, degrees=True)


def sample_camera(rng: np.random.Generator, style: SplitStyle) -> Camera:
    """Focal length and principal point (the image centre)."""
    height, width = style.image_size
    focal = float(rng.uniform(*style.focal_range) * width)
    return Camera(focal, np.array([width / 2.0, height / 2.0]),
                  (height, width))


def sample_people(rng: np.random.Generator, style: SplitStyle,
                  prior: PosePrior) -> Tuple[List[PersonParams], Rotation]:
    """Shape, pose and camera-frame orientation of each person.

    Returns:
        The people (``transl`` still zero) and the camera tilt (pitch and
        roll) that maps the level world frame to the camera frame.
    """
    counts, probs = style.num_people
    num = int(rng.choice(counts, p=np.asarray(probs) / np.sum(probs)))
    pitch = rng.uniform(*style.pitch_range)
    roll = rng.normal(0.0, 3.0)
    # Looking down by `pitch` maps world vectors through Rx(+pitch).
    tilt = Rotation.from_euler('xz', [pitch, roll], degrees=True)
    people = []
    for _ in range(num):
        # A heading, and a small lean so not everyone is plumb upright.
        yaw = sample_yaw(rng, style.facing)
        lean = rng.normal(0.0, 4.0, 2)
        body = Rotation.from_euler(
            'yxz', [yaw, lean[0], lean[1]], degrees=True)
        orient = tilt * SMPL_TO_CAMERA * body
        people.append(
            PersonParams(
                betas=prior.sample_betas(rng),
                body_pose=prior.sample_body_pose(rng),
                global_orient=orient.as_rotvec()))
    return people, tilt


def sample_yaw(rng: np.random.Generator,
               facing: Optional[Tuple[float, float, float]]) -> float:
    """A heading in degrees in ``[-180, 180)``, 0 facing the camera.

    Args:
        rng: random generator.
        facing: ``(front, profile, back)`` shares (``SplitStyle.facing``):
            uniform within ``|yaw| <= FRONT_MAX_YAW``, ``FRONT_MAX_YAW <
            |yaw| <= BACK_MIN_YAW`` and beyond; None: uniform over the
            circle.
    """
    if facing is None:
        return rng.uniform(-180, 180)
    band = rng.choice(3, p=np.asarray(facing) / np.sum(facing))
    if band == 0:
        return rng.uniform(-FRONT_MAX_YAW, FRONT_MAX_YAW)
    if band == 1:
        return rng.choice([-1.0, 1.0]) * rng.uniform(FRONT_MAX_YAW,
                                                     BACK_MIN_YAW)
    yaw = rng.uniform(BACK_MIN_YAW, 360.0 - BACK_MIN_YAW)
    return (yaw + 180.0) % 360.0 - 180.0


def place_people(rng: np.random.Generator, style: SplitStyle, camera: Camera,
                 tilt: Rotation, vertices: List[np.ndarray],
                 pelvis: List[np.ndarray]) -> List[np.ndarray]:
    """Choose each person's SMPL ``transl``.

    Args:
        vertices: per person, ``(V, 3)`` posed vertices with zero ``transl``
            (camera orientation applied).
        pelvis: per person, ``(3,)`` root joint with zero ``transl``.

    Returns:
        One ``(3,)`` translation per person.
    """
    if len(vertices) == 1:
        return [_frame_single(rng, style, camera, vertices[0])]
    return _stand_on_ground(rng, style, camera, tilt, vertices, pelvis)


def _frame_single(rng: np.random.Generator, style: SplitStyle, camera: Camera,
                  vertices: np.ndarray) -> np.ndarray:
    """Frame one person like a person-centred crop (SPIN-style)."""
    height, width = camera.image_size
    f = camera.focal_length
    lo, hi = vertices.min(0), vertices.max(0)
    extent = hi - lo
    center = (lo + hi) / 2
    # Depth so that the taller image side of the person fills the fraction.
    frac = rng.uniform(*style.height_fraction)
    size_px = frac * min(height, width)
    depth = f * max(extent[1], extent[0] * height / width) / size_px
    depth = max(depth, extent[2] + 0.5)
    target = np.array(camera.principal_point, dtype=np.float64)
    target += rng.normal(0.0, 0.05, 2) * np.array([width, height])
    if rng.random() < style.truncation_prob:
        # Push the person partly out through a random side.
        side = rng.integers(4)
        shift = rng.uniform(0.25, 0.45) * size_px
        target[side % 2] += shift if side < 2 else -shift
    # Place the box centre on the ray through the target pixel.
    ray = np.array([(target[0] - camera.principal_point[0]) / f,
                    (target[1] - camera.principal_point[1]) / f, 1.0])
    return ray * depth - center


def _stand_on_ground(rng: np.random.Generator, style: SplitStyle,
                     camera: Camera, tilt: Rotation,
                     vertices: List[np.ndarray],
                     pelvis: List[np.ndarray]) -> List[np.ndarray]:
    """Stand people on a ground plane below the camera, spread across the
    image from left to right, overlapping sometimes."""
    width = camera.image_size[1]
    f = camera.focal_length
    down = tilt.apply([0.0, 1.0, 0.0])
    right = tilt.apply([1.0, 0.0, 0.0])
    forward = tilt.apply([0.0, 0.0, 1.0])
    camera_height = rng.uniform(0.9, 1.7)
    num = len(vertices)
    # Horizontal image positions: evenly spread slots with jitter.
    slots = (np.arange(num) + 0.5) / num
    slots = slots + rng.uniform(-0.35, 0.35, num) / num
    order = rng.permutation(num)
    out = []
    for k in range(num):
        v = vertices[k] - pelvis[k]
        depth = rng.uniform(*style.depth_range)
        u = (slots[order[k]] * 0.8 + 0.1) * width
        lateral = (u - camera.principal_point[0]) / f * depth
        # Lowest point of the body (largest extent along 'down').
        foot = (v @ down).max()
        position = (
            lateral * right + (camera_height - foot) * down + depth * forward)
        out.append(position - pelvis[k])
    return out


def sample_occluders(rng: np.random.Generator, style: SplitStyle,
                     vertices: List[np.ndarray]) -> List[Occluder]:
    """Boxes and blobs between the camera and some of the people."""
    occluders = []
    for v in vertices:
        if rng.random() >= style.occluder_prob:
            continue
        center = v.mean(0)
        size = v.max(0) - v.min(0)
        # Somewhere in front of the person, over a random part of it.
        t = rng.uniform(0.5, 0.85)
        spot = v[rng.integers(len(v))]
        position = spot * t
        scale = t * rng.uniform(0.2, 0.5) * max(size[0], size[1])
        half = scale * rng.uniform(0.3, 1.0, 3)
        half[2] = min(half[2], 0.2 * t * center[2])
        rotation = Rotation.from_euler(
            'xyz', rng.uniform(-30, 30, 3), degrees=True).as_matrix()
        if rng.random() < 0.6:
            verts, faces = box_mesh(position, half, rotation)
        else:
            verts, faces = ellipsoid_mesh(position, half, rotation)
        brightness = rng.uniform(0.2, 0.9)
        color = rng.uniform(0.1, 1.0, 3) * brightness
        occluders.append(Occluder(verts, faces, color.astype(np.float32)))
    return occluders


def sample_light(rng: np.random.Generator, style: SplitStyle) -> Light:
    """A light from the camera's side of the scene, above more often."""
    direction = np.array([
        rng.uniform(-0.8, 0.8),
        rng.uniform(-0.9, 0.2),  # y down: negative is above
        -rng.uniform(0.4, 1.0)  # towards the camera
    ])
    direction /= np.linalg.norm(direction)
    if style.lighting == 'studio':
        ambient = rng.uniform(0.45, 0.6)
        color = np.full(3, rng.uniform(0.5, 0.7))
    else:
        ambient = rng.uniform(0.3, 0.5)
        warm = rng.uniform(-0.08, 0.08)
        color = rng.uniform(0.5, 0.8) * np.array([1 + warm, 1.0, 1 - warm])
    return Light(direction, float(ambient), color)


@dataclass
class Scene:
    """Everything one image shows, in the camera frame.

    Attributes:
        camera: the camera.
        people: SMPL parameters of every person (``transl`` set).
        posed: body-model outputs of every person (``(P, V, 3)`` vertices,
            ``(P, J, 3)`` joints), translated into place.
        occluders: boxes and blobs.
        light: the light.
        appearances: one look per person (``textures.Appearance``).
        background: ``(H, W, 3)`` uint8 RGB.
    """
    camera: Camera
    people: List[PersonParams]
    posed: Dict[str, np.ndarray]
    occluders: List[Occluder]
    light: Light
    appearances: list
    background: np.ndarray

    def without(self, drop: Sequence[int]) -> 'Scene':
        """The same scene without the people ``drop``."""
        keep = [i for i in range(len(self.people)) if i not in drop]
        return Scene(
            camera=self.camera,
            people=[self.people[i] for i in keep],
            posed={
                k: v[keep]
                for k, v in self.posed.items()
            },
            occluders=self.occluders,
            light=self.light,
            appearances=[self.appearances[i] for i in keep],
            background=self.background)


def compose_scene(
        rng: np.random.Generator, style: SplitStyle, camera: Camera,
        people: List[PersonParams], tilt: Rotation, out: Dict[str, np.ndarray],
        sample_look: Callable[[np.random.Generator], object]) -> Scene:
    """Place the posed people, add occluders, light, looks and the
    background.

    Args:
        rng: the image's random generator.
        style: the split's style.
        camera, people, tilt: from :func:`sample_camera` and
            :func:`sample_people`.
        out: the body-model outputs of the people with zero translation.
        sample_look: draws one person's look from ``rng``.
    """
    vertices = list(out['vertices'])
    pelvis = list(out['joints_smpl24'][:, 0])
    transl = place_people(rng, style, camera, tilt, vertices, pelvis)
    for p, t in zip(people, transl):
        p.transl = t
    posed = {
        k: v + np.stack(transl)[:, None]
        for k, v in out.items() if v.ndim == 3
    }
    occluders = sample_occluders(rng, style, list(posed['vertices']))
    light = sample_light(rng, style)
    appearances = [sample_look(rng) for _ in people]
    # The ground's vanishing line: where the level forward direction (at
    # infinity) projects.
    forward = tilt.apply([0.0, 0.0, 1.0])
    horizon = (
        camera.principal_point[1] +
        camera.focal_length * forward[1] / max(forward[2], 1e-6))
    background = render_background(style.background, rng, style.image_size,
                                   horizon)
    return Scene(camera, people, posed, occluders, light, appearances,
                 background)
