"""SyntheticHumanGenerator: SURREAL-like images of posed SMPL bodies with
exact labels.

Each image is a pure function of ``(seed, split, subset, index)``: people
are drawn from the pose prior, posed by hpse_bench's registered ``SMPL``
body model (the one every model and metric uses, so labels and models agree
exactly), rendered with occluders over a procedural background by the CPU
z-buffer rasteriser, shaded (Lambert) and labelled from the same z-buffer:

- ``bbox``/``area``/``segmentation``: the person's visible pixels;
- COCO-17 keypoints with COCO visibility: 2 visible, 1 labelled but hidden
  (by the person's own body or by another person or object), 0 outside the
  image (then x = y = 0). A keypoint is visible when the surface at its
  pixel belongs to this person, to a body part adjacent to the joint, and
  lies no deeper in front of the joint than the part's thickness;
- DensePose: up to ``dp_points`` random visible pixels with chart ``dp_I``
  and ``dp_U``/``dp_V``, and the 14 coarse part masks in the 256x256 box
  frame (``writers`` documents the format);
- SMPL parameters, the camera (focal length, principal point, the person's
  ``transl``) and 3D joints (SMPL-24, COCO-17, H36M-17, LSP-14) in the
  camera frame.

Coordinates: keypoints are in pixel-index coordinates (the centre of pixel
``(row, col)`` is ``(x, y) = (col, row)``, as mmpose and OpenCV use); boxes
and DensePose points are in COCO's continuous coordinates, where that pixel
covers ``[col, col + 1) x [row, row + 1)``.
"""
import zlib
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.structures.cameras import perspective_projection
from hpse_bench.structures.conventions import (COCO_17,
                                               DENSEPOSE_CHART_TO_COARSE,
                                               DENSEPOSE_CHARTS,
                                               NUM_DENSEPOSE_COARSE)
from .backgrounds import render_background
from .pose_prior import PosePrior
from .rasterizer import (Fragments, rasterize_meshes, vertex_face_incidence,
                         vertex_normals)
from .scene import (Camera, Occluder, PersonParams, SplitStyle, place_people,
                    sample_camera, sample_light, sample_occluders,
                    sample_people)
from .textures import (BodySurface, albedo, fabric_noise, lambert,
                       sample_appearance)

#: Subsets of every split (``docs/data_contract.md``).
SPLIT_SUBSETS: Dict[str, Tuple[str, ...]] = {
    'coco': ('train', 'val'),
    'h36m': ('train', 'test'),
    'pw3d': ('test', ),
    'mupots': ('test', ),
}

#: The look of every split.
SPLIT_STYLES: Dict[str, SplitStyle] = {
    # Varied scenes, clutter, occluders, truncation, sometimes two people.
    'coco':
    SplitStyle(
        image_size=(256, 256),
        background='clutter',
        num_people=((1, 2), (0.85, 0.15)),
        occluder_prob=0.3,
        truncation_prob=0.2),
    # A capture studio: one person, fully visible, bright even light.
    'h36m':
    SplitStyle(
        image_size=(256, 256),
        background='studio',
        occluder_prob=0.0,
        truncation_prob=0.0,
        height_fraction=(0.6, 0.85),
        focal_range=(1.3, 2.2),
        pitch_range=(0.0, 15.0),
        activities=dict(
            standing=0.3, walking=0.3, crouching=0.15, gesturing=0.2,
            free=0.05),
        lighting='studio'),
    # In the wild: city backgrounds, some occlusion.
    'pw3d':
    SplitStyle(
        image_size=(256, 256),
        background='outdoor',
        num_people=((1, 2), (0.8, 0.2)),
        occluder_prob=0.2,
        truncation_prob=0.1,
        activities=dict(
            standing=0.3, walking=0.45, crouching=0.05, gesturing=0.15,
            free=0.05)),
    # Several people standing on one ground plane, occluding each other.
    'mupots':
    SplitStyle(
        image_size=(320, 320),
        background='outdoor',
        num_people=((2, 3, 4), (0.4, 0.35, 0.25)),
        occluder_prob=0.15,
        truncation_prob=0.0,
        depth_range=(3.0, 6.5),
        focal_range=(1.0, 1.6),
        pitch_range=(-5.0, 12.0)),
}

# Body parts (DensePose chart name fragments) a keypoint may be seen on,
# and how far (metres) in front of the joint the surface may lie.
_KEYPOINT_PARTS: Dict[str, Tuple[Tuple[str, ...], float]] = {
    'nose': (('head', ), 0.05),
    'eye': (('head', ), 0.05),
    'ear': (('head', ), 0.06),
    'shoulder': (('torso', 'upper_arm_{s}'), 0.12),
    'elbow': (('upper_arm_{s}', 'lower_arm_{s}'), 0.09),
    'wrist': (('lower_arm_{s}', '{s}_hand'), 0.07),
    'hip': (('torso', 'upper_leg_{s}'), 0.16),
    'knee': (('upper_leg_{s}', 'lower_leg_{s}'), 0.10),
    'ankle': (('lower_leg_{s}', '{s}_foot'), 0.09),
}
MIN_VISIBLE_PIXELS = 150
MIN_VISIBLE_KEYPOINTS = 3
MAX_ATTEMPTS = 20
#: Images are drawn in groups of consecutive indices sharing one batched
#: body-model pass (see ``generate_group``).
GROUP_SIZE = 8


def _keypoint_visibility_tables() -> Tuple[np.ndarray, np.ndarray]:
    """``(17, 25)`` bool: charts (index 0..24) each COCO keypoint may be
    seen on; ``(17,)`` depth tolerance in metres."""
    allowed = np.zeros((len(COCO_17), len(DENSEPOSE_CHARTS) + 1), bool)
    tolerance = np.zeros(len(COCO_17))
    for k, name in enumerate(COCO_17):
        side, _, joint = name.rpartition('_')
        parts, tol = _KEYPOINT_PARTS[joint]
        tolerance[k] = tol
        for part in parts:
            part = part.format(s=side)
            for c, chart in enumerate(DENSEPOSE_CHARTS):
                if part in chart:
                    allowed[k, c + 1] = True
    return allowed, tolerance


KEYPOINT_CHARTS, KEYPOINT_DEPTH_TOLERANCE = _keypoint_visibility_tables()


@dataclass
class PersonLabels:
    """Labels of one person; coordinates as in the module docstring."""
    bbox: np.ndarray
    area: int
    segmentation: Dict[str, object]
    keypoints: np.ndarray
    densepose: Dict[str, list]
    smpl: Dict[str, np.ndarray]
    keypoints3d: Dict[str, np.ndarray]
    keypoints2d: Dict[str, np.ndarray]
    vertices: np.ndarray


@dataclass
class SyntheticImage:
    """One rendered image, its people and its per-pixel maps.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB.
        camera: the camera.
        people: labels of every person.
        person_map: ``(H, W)`` int8, index of the person seen at each pixel,
            -1 for background and occluders.
        part_map: ``(H, W)`` uint8 DensePose chart 1..24 seen at each pixel,
            0 elsewhere (``uv_map`` gives U, V).
        fragments: the rasteriser output (mesh ids: people first, then
            occluders).
        face_uv: ``(F, 3, 2)`` the body model's DensePose U, V per face
            corner (what ``uv_map`` interpolates).
    """
    image: np.ndarray
    camera: Camera
    people: List[PersonLabels]
    person_map: np.ndarray
    part_map: np.ndarray
    fragments: Fragments
    face_uv: np.ndarray

    def uv_map(self) -> np.ndarray:
        """``(H, W, 2)`` float32 DensePose U, V where a person is seen, 0
        elsewhere (interpolated from the body model's per-corner U, V)."""
        out = np.zeros(self.part_map.shape + (2, ), np.float32)
        sel = self.person_map >= 0
        out[sel] = uv_at(self.fragments, self.face_uv, *np.nonzero(sel))
        return out


def uv_at(frags: Fragments, face_uv: np.ndarray, rows: np.ndarray,
          cols: np.ndarray) -> np.ndarray:
    """DensePose ``(N, 2)`` U, V at pixels of the body mesh: the face's
    per-corner U, V interpolated with the pixel's barycentrics."""
    face = frags.face_id[rows, cols]
    return np.einsum('nk,nkc->nc', frags.bary[rows, cols], face_uv[face])


def project(points: np.ndarray, focal_length: float,
            principal_point: np.ndarray) -> np.ndarray:
    """``(N, 3)`` camera-frame points to ``(N, 2)`` pixels with the body
    models' ``perspective_projection``."""
    pts = torch.as_tensor(points, dtype=torch.float64)[None]
    return perspective_projection(
        pts, float(focal_length),
        torch.as_tensor(principal_point, dtype=torch.float64))[0].numpy()


def image_rng(seed: int, split: str, subset: str,
              index: int) -> np.random.Generator:
    """The random generator of one image, from ``(seed, split, subset,
    index)`` only, so images are the same whatever the worker count."""
    entropy = [
        int(seed),
        zlib.crc32(split.encode()),
        zlib.crc32(subset.encode()),
        int(index)
    ]
    return np.random.default_rng(np.random.SeedSequence(entropy))


class SyntheticHumanGenerator:
    """Render SURREAL-like synthetic people with exact labels.

    Args:
        smpl_root: body model folder, ``'embedded'`` for hpse_bench's own.
        dp_points: DensePose points per person (at most).
        image_sizes: optional ``{split: (H, W)}`` overriding the split
            styles' image sizes.
        jpeg_quality: JPEG quality of :meth:`encode_jpeg`.
        styles: optional extra or replacement ``{split: SplitStyle}``
            (a new split accepts any subset name).
    """

    def __init__(self,
                 smpl_root: str = 'embedded',
                 dp_points: int = 100,
                 image_sizes: Optional[Dict[str, Tuple[int, int]]] = None,
                 jpeg_quality: int = 92,
                 styles: Optional[Dict[str, SplitStyle]] = None) -> None:
        from hpse_bench.body_models import SMPL, get_smpl_root
        self.smpl_root = get_smpl_root(smpl_root)
        self.body_model = SMPL(smpl_root=smpl_root)
        self.body_model.eval()
        self.dp_points = int(dp_points)
        self.jpeg_quality = int(jpeg_quality)
        self.styles = dict(SPLIT_STYLES, **(styles or {}))
        for split, size in (image_sizes or {}).items():
            self.styles[split] = replace(
                self._style(split), image_size=(int(size[0]), int(size[1])))
        self.priors = {
            split: PosePrior(style.activities)
            for split, style in self.styles.items()
        }

        dp = np.load(f'{self.smpl_root}/densepose_uv.npz')
        self.face_charts = dp['face_charts'].astype(np.int64)
        self.face_uv = dp['face_uv'].astype(np.float32)
        self.faces = np.asarray(self.body_model.faces, dtype=np.int64)
        rest = self._forward(
            np.zeros((1, 10)), np.zeros((1, 23, 3)), np.zeros((1, 3)))
        self.surface = BodySurface(self.faces, self.face_charts,
                                   self.face_uv, rest['vertices'][0],
                                   rest['joints_smpl24'][0])
        self.incidence = vertex_face_incidence(
            self.faces, len(self.surface.rest_vertices)).astype(np.float32)

    def _style(self, split: str) -> SplitStyle:
        if split not in self.styles:
            raise KeyError(f'unknown synthetic split "{split}"; known: '
                           f'{", ".join(sorted(self.styles))}')
        return self.styles[split]

    @torch.no_grad()
    def _forward(self, betas: np.ndarray, body_pose: np.ndarray,
                 global_orient: np.ndarray) -> Dict[str, np.ndarray]:
        """Body model forward with zero translation (float32 in, float64
        out)."""
        n = len(betas)
        out = self.body_model(
            betas=torch.as_tensor(betas, dtype=torch.float32),
            body_pose=torch.as_tensor(body_pose, dtype=torch.float32).reshape(
                n, -1),
            global_orient=torch.as_tensor(
                global_orient, dtype=torch.float32).reshape(n, 3))
        return {
            k: v.detach().cpu().numpy().astype(np.float64)
            for k, v in out.items() if isinstance(v, torch.Tensor)
        }

    def generate(self, split: str, subset: str, index: int,
                 seed: int = 0) -> SyntheticImage:
        """Render image ``index`` of ``split``/``subset``.

        Images are made in fixed groups of ``GROUP_SIZE`` consecutive
        indices (one batched body-model pass per group, which changes float
        rounding), so this renders the whole group of ``index``.
        """
        start = index - index % GROUP_SIZE
        group = self.generate_group(split, subset, start, [index], seed)
        return group[0]

    def generate_group(self, split: str, subset: str, start: int,
                       indices: Sequence[int],
                       seed: int = 0) -> List[SyntheticImage]:
        """Render some images of the group ``[start, start + GROUP_SIZE)``.

        The first draw of every image of the group goes through one batched
        body-model pass whatever ``indices`` asks for, so an image is the
        same bytes however the work is split.

        Args:
            split, subset: e.g. ``'coco'``, ``'train'``.
            start: first index of the group, a multiple of ``GROUP_SIZE``.
            indices: the images to render, inside the group.
            seed: data seed.
        """
        style = self._style(split)
        if split in SPLIT_SUBSETS and subset not in SPLIT_SUBSETS[split]:
            raise KeyError(f'split "{split}" has subsets '
                           f'{", ".join(SPLIT_SUBSETS[split])}, not '
                           f'"{subset}"')
        if start % GROUP_SIZE or any(
                not start <= i < start + GROUP_SIZE for i in indices):
            raise ValueError(f'indices {list(indices)} are not in the group '
                             f'starting at {start} (size {GROUP_SIZE})')
        prior = self.priors[split]
        rngs = [
            image_rng(seed, split, subset, start + k)
            for k in range(GROUP_SIZE)
        ]
        drafts = [self._sample_bodies(rng, style, prior) for rng in rngs]
        outputs = self._forward_many([d[1] for d in drafts])
        results = []
        for i in indices:
            k = i - start
            results.append(
                self._render_image(rngs[k], style, prior, drafts[k],
                                   outputs[k]))
        return results

    def _render_image(self, rng: np.random.Generator, style: SplitStyle,
                      prior: PosePrior, draft: tuple,
                      output: Dict[str, np.ndarray]) -> SyntheticImage:
        """Compose, render and label one image; redraw the people when one
        of them is too hidden to be labelled."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt > 0:
                draft = self._sample_bodies(rng, style, prior)
                output = self._forward_many([draft[1]])[0]
            scene = self._compose(rng, style, *draft, output)
            result, hidden = self._render(rng, scene)
            if not hidden:
                return result
        # Rare: keep the last scene without the people that are hidden.
        scene = self._drop_people(scene, hidden)
        result, hidden = self._render(rng, scene)
        if hidden:
            raise RuntimeError('no labelled person after '
                               f'{MAX_ATTEMPTS} draws of a scene')
        return result

    @staticmethod
    def _sample_bodies(rng: np.random.Generator, style: SplitStyle,
                       prior: PosePrior) -> tuple:
        camera = sample_camera(rng, style)
        people, tilt = sample_people(rng, style, prior)
        return camera, people, tilt

    def _forward_many(
            self,
            groups: List[List[PersonParams]]) -> List[Dict[str, np.ndarray]]:
        """One body-model pass over the people of several images."""
        people = [p for g in groups for p in g]
        out = self._forward(
            np.stack([p.betas for p in people]),
            np.stack([p.body_pose for p in people]),
            np.stack([p.global_orient for p in people]))
        split, begin = [], 0
        for g in groups:
            split.append({k: v[begin:begin + len(g)] for k, v in out.items()})
            begin += len(g)
        return split

    def _compose(self, rng: np.random.Generator, style: SplitStyle,
                 camera: Camera, people: List[PersonParams], tilt: Rotation,
                 out: Dict[str, np.ndarray]) -> dict:
        """Place the posed people, add occluders, light, looks and the
        background."""
        vertices = list(out['vertices'])
        pelvis = list(out['joints_smpl24'][:, 0])
        transl = place_people(rng, style, camera, tilt, vertices, pelvis)
        for p, t in zip(people, transl):
            p.transl = t
        posed = {k: v + np.stack(transl)[:, None] for k, v in out.items()
                 if v.ndim == 3}
        occluders = sample_occluders(rng, style, list(posed['vertices']))
        light = sample_light(rng, style)
        appearances = [sample_appearance(rng, self.surface) for _ in people]
        # The ground's vanishing line: where the level forward direction
        # (at infinity) projects.
        forward = tilt.apply([0.0, 0.0, 1.0])
        horizon = (camera.principal_point[1] +
                   camera.focal_length * forward[1] / max(forward[2], 1e-6))
        background = render_background(style.background, rng,
                                       style.image_size, horizon)
        return dict(
            camera=camera,
            people=people,
            posed=posed,
            occluders=occluders,
            light=light,
            appearances=appearances,
            background=background)

    def render_people(self,
                      camera: Camera,
                      people: Sequence[PersonParams],
                      occluders: Sequence[Occluder] = (),
                      split: str = 'coco',
                      seed: int = 0) -> SyntheticImage:
        """Render and label a given scene (people with their ``transl``, in
        the camera frame), e.g. to check labels on a chosen configuration.
        Looks, light and background are drawn from ``seed`` in the style of
        ``split``.

        Raises:
            ValueError: a person is too hidden to be labelled (fewer than
                ``MIN_VISIBLE_PIXELS`` pixels or ``MIN_VISIBLE_KEYPOINTS``
                visible keypoints) or reaches behind the camera.
        """
        style = replace(self._style(split), image_size=camera.image_size)
        rng = np.random.default_rng(seed)
        people = list(people)
        out = self._forward_many([people])[0]
        transl = np.stack([np.asarray(p.transl, np.float64) for p in people])
        posed = {k: v + transl[:, None] for k, v in out.items() if v.ndim == 3}
        scene = dict(
            camera=camera,
            people=people,
            posed=posed,
            occluders=list(occluders),
            light=sample_light(rng, style),
            appearances=[sample_appearance(rng, self.surface)
                         for _ in people],
            background=render_background(style.background, rng,
                                         camera.image_size))
        result, hidden = self._render(rng, scene)
        if hidden:
            raise ValueError(f'people {hidden} are too hidden to be labelled '
                             'or reach behind the camera')
        return result

    @staticmethod
    def _drop_people(scene: dict, drop: List[int]) -> dict:
        keep = [i for i in range(len(scene['people'])) if i not in drop]
        scene = dict(scene)
        scene['people'] = [scene['people'][i] for i in keep]
        scene['appearances'] = [scene['appearances'][i] for i in keep]
        scene['posed'] = {k: v[keep] for k, v in scene['posed'].items()}
        return scene

    def _render(self, rng: np.random.Generator,
                scene: dict) -> Tuple[Optional[SyntheticImage], List[int]]:
        """Rasterise, shade and label a scene. Returns the image and an
        empty list, or None and the people too hidden to be labelled (or
        reaching behind the camera)."""
        camera: Camera = scene['camera']
        posed = scene['posed']
        people: List[PersonParams] = scene['people']
        height, width = camera.image_size
        num_people = len(people)
        if num_people == 0:
            return None, [0]
        # Nobody may reach behind (or touch) the camera.
        behind = np.flatnonzero(posed['vertices'][..., 2].min(1) < 0.2)
        if len(behind):
            return None, behind.tolist()

        meshes = [(v, self.faces) for v in posed['vertices']]
        meshes += [(o.vertices, o.faces) for o in scene['occluders']]
        frags = rasterize_meshes(meshes, camera.focal_length,
                                 camera.principal_point, (height, width))

        person_map = np.where(frags.mesh_id < num_people, frags.mesh_id,
                              -1).astype(np.int8)
        is_person = person_map >= 0
        part_map = np.zeros((height, width), np.uint8)
        part_map[is_person] = self.face_charts[frags.face_id[is_person]]

        labels, hidden = [], []
        for i in range(num_people):
            person = self._label_person(rng, i, people[i], posed, camera,
                                        frags, person_map, part_map)
            if person is None:
                hidden.append(i)
            labels.append(person)
        if hidden:
            return None, hidden

        image = self._shade(scene, frags, num_people)
        return SyntheticImage(image, camera, labels, person_map, part_map,
                              frags, self.face_uv), []

    def _label_person(self, rng: np.random.Generator, i: int,
                      params: PersonParams, posed: Dict[str, np.ndarray],
                      camera: Camera, frags: Fragments,
                      person_map: np.ndarray,
                      part_map: np.ndarray) -> Optional[PersonLabels]:
        height, width = camera.image_size
        mask = person_map == i
        area = int(mask.sum())
        if area < MIN_VISIBLE_PIXELS:
            return None
        rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
        bbox = mask_utils.toBbox(rle).astype(np.float64)
        rle['counts'] = rle['counts'].decode('ascii')

        f, c = camera.focal_length, camera.principal_point
        kp3d = {
            'smpl_24': posed['joints_smpl24'][i],
            'coco_17': posed['keypoints_coco17'][i],
            'h36m_17': posed['keypoints_h36m17'][i],
            'lsp_14': posed['keypoints_lsp14'][i],
        }
        kp2d = {
            k: project(v, f, c)
            for k, v in kp3d.items() if k != 'lsp_14'
        }
        keypoints = self._coco_keypoints(i, kp3d['coco_17'],
                                         kp2d['coco_17'], frags, person_map,
                                         part_map, (height, width))
        if (keypoints[:, 2] == 2).sum() < MIN_VISIBLE_KEYPOINTS:
            return None
        densepose = self._densepose(rng, mask, bbox, part_map, frags)
        return PersonLabels(
            bbox=bbox,
            area=area,
            segmentation=rle,
            keypoints=keypoints,
            densepose=densepose,
            smpl=dict(
                betas=params.betas.astype(np.float32),
                body_pose=params.body_pose.astype(np.float32),
                global_orient=params.global_orient.astype(np.float32),
                transl=params.transl.astype(np.float32)),
            keypoints3d=kp3d,
            keypoints2d=kp2d,
            vertices=posed['vertices'][i])

    @staticmethod
    def _coco_keypoints(i: int, joints3d: np.ndarray, joints2d: np.ndarray,
                        frags: Fragments, person_map: np.ndarray,
                        part_map: np.ndarray,
                        size: Tuple[int, int]) -> np.ndarray:
        """COCO ``(17, 3)`` keypoints ``x, y, v`` decided with the
        z-buffer."""
        height, width = size
        col = np.floor(joints2d[:, 0] + 0.5).astype(np.int64)
        row = np.floor(joints2d[:, 1] + 0.5).astype(np.int64)
        inside = ((col >= 0) & (col < width) & (row >= 0) & (row < height) &
                  (joints3d[:, 2] > 0))
        r, cc = np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)
        own = person_map[r, cc] == i
        chart_ok = KEYPOINT_CHARTS[np.arange(len(COCO_17)), part_map[r, cc]]
        depth_ok = frags.depth[r, cc] >= (
            joints3d[:, 2] - KEYPOINT_DEPTH_TOLERANCE)
        visible = inside & own & chart_ok & depth_ok
        out = np.zeros((len(COCO_17), 3))
        out[inside, :2] = joints2d[inside]
        out[inside, 2] = 1
        out[visible, 2] = 2
        return out

    def _densepose(self, rng: np.random.Generator, mask: np.ndarray,
                   bbox: np.ndarray, part_map: np.ndarray,
                   frags: Fragments) -> Dict[str, list]:
        """COCO-DensePose fields of one person (box frame 256x256)."""
        x0, y0, w, h = bbox
        rows, cols = np.nonzero(mask)
        n = min(self.dp_points, len(rows))
        pick = np.sort(rng.choice(len(rows), size=n, replace=False))
        rows, cols = rows[pick], cols[pick]
        # Pixel (row, col) covers [col, col + 1): its centre is col + 0.5.
        dp_x = (cols + 0.5 - x0) * 256.0 / w
        dp_y = (rows + 0.5 - y0) * 256.0 / h
        uv = uv_at(frags, self.face_uv, rows, cols)
        # Coarse part masks: sample the part map at the 256x256 cell
        # centres of the box.
        cell = (np.arange(256) + 0.5) / 256.0
        grid_c = np.clip(np.floor(x0 + cell * w).astype(np.int64), 0,
                         mask.shape[1] - 1)
        grid_r = np.clip(np.floor(y0 + cell * h).astype(np.int64), 0,
                         mask.shape[0] - 1)
        box_parts = part_map[grid_r[:, None], grid_c[None, :]]
        box_parts = np.where(mask[grid_r[:, None], grid_c[None, :]],
                             box_parts, 0)
        coarse = np.asarray(DENSEPOSE_CHART_TO_COARSE, np.uint8)[box_parts]
        parts = np.arange(1, NUM_DENSEPOSE_COARSE + 1, dtype=np.uint8)
        # All 14 masks in one (256, 256, 14) Fortran array, one RLE call.
        stack = (np.ascontiguousarray(coarse.T)[None] == parts[:, None, None]
                 ).view(np.uint8).T
        present = stack.any(axis=(0, 1))
        rles = mask_utils.encode(stack)
        dp_masks = [{
            'size': [256, 256],
            'counts': rle['counts'].decode('ascii')
        } if present[k] else [] for k, rle in enumerate(rles)]
        return {
            'dp_x': dp_x.tolist(),
            'dp_y': dp_y.tolist(),
            'dp_I': part_map[rows, cols].astype(np.float64).tolist(),
            'dp_U': uv[:, 0].astype(np.float64).tolist(),
            'dp_V': uv[:, 1].astype(np.float64).tolist(),
            'dp_masks': dp_masks,
        }

    def _shade(self, scene: dict, frags: Fragments,
               num_people: int) -> np.ndarray:
        """Composite background, shaded people and occluders."""
        image = scene['background'].astype(np.float32) * (1 / 255.0)
        light = scene['light']
        posed = scene['posed']
        flat_mesh = frags.mesh_id.reshape(-1)
        out = image.reshape(-1, 3)
        for i in range(num_people):
            sel = np.flatnonzero(flat_mesh == i)
            if len(sel) == 0:
                continue
            app = scene['appearances'][i]
            # Smooth quantities are computed per vertex (Gouraud) and
            # interpolated; patterns need the per-pixel rest position.
            normals = vertex_normals(
                posed['vertices'][i].astype(np.float32), self.faces,
                self.incidence)
            per_vertex = np.concatenate([
                self.surface.rest_vertices,
                fabric_noise(app, self.surface.rest_vertices)[:, None],
                lambert(normals, light.direction, light.ambient, light.color)
            ], axis=1).astype(np.float32)
            face = frags.face_id.reshape(-1)[sel]
            bary = frags.bary.reshape(-1, 3)[sel]
            values = np.einsum('nk,nkc->nc', bary,
                               per_vertex[self.faces[face]])
            rgb = albedo(app, app.face_region[face], values[:, :3],
                         values[:, 3])
            out[sel] = rgb * values[:, 4:]
        for k, occ in enumerate(scene['occluders']):
            sel = np.flatnonzero(flat_mesh == num_people + k)
            if len(sel) == 0:
                continue
            tri = occ.vertices[occ.faces[frags.face_id.reshape(-1)[sel]]]
            n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            out[sel] = occ.color * lambert(n, light.direction, light.ambient,
                                           light.color)
        # A slight blur stands in for anti-aliasing at silhouettes.
        image = cv2.GaussianBlur(image, (0, 0), 0.6)
        return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def encode_part_png(self, result: SyntheticImage) -> bytes:
        """PNG of the 24-chart part segmentation of every person: channel
        0 the chart (1..24), channel 1 the person (1-based), 0 elsewhere."""
        height, width = result.part_map.shape
        label = np.zeros((height, width, 3), np.uint8)
        label[..., 0] = result.part_map
        label[..., 1] = result.person_map + 1
        # OpenCV writes BGR: reverse so that the file's R is the chart.
        ok, buf = cv2.imencode('.png', label[..., ::-1],
                               [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise RuntimeError('PNG encoding failed')
        return buf.tobytes()

    def encode_jpeg(self, image: np.ndarray) -> bytes:
        """JPEG bytes of an RGB image (deterministic for the same input)."""
        ok, buf = cv2.imencode(
            '.jpg', cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError('JPEG encoding failed')
        return buf.tobytes()
