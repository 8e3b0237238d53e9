"""SyntheticHumanGenerator: SURREAL-like images of posed SMPL bodies with
exact labels.

Each image is a pure function of ``(seed, split, subset, index)``: people
are drawn from the pose prior, posed by hpse_bench's registered ``SMPL``
body model (the one every model and metric uses, so labels and models agree
exactly), rendered with occluders over a procedural background by the CPU
z-buffer rasteriser (``rasterizer``), shaded (``shading``) and labelled from
the same z-buffer (``labels`` lists the labels and their coordinates).
"""
import zlib
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from .backgrounds import render_background
from .labels import PersonLabels, label_person, uv_at
from .pose_prior import PosePrior
from .rasterizer import Fragments, rasterize_meshes, vertex_face_incidence
from .scene import (Camera, Light, Occluder, PersonParams, Scene, SplitStyle,
                    compose_scene, sample_camera, sample_light, sample_people)
from .shading import shade
from .splits import SPLIT_STYLES, SPLIT_SUBSETS
from .textures import BodySurface, sample_appearance
from .wardrobe import sample_wardrobe

#: Looks (``appearance`` option) and facing distributions (``facing``).
LOOKS = {'v2': sample_wardrobe, 'v1': sample_appearance}
FACINGS = ('natural', 'uniform')

MAX_ATTEMPTS = 20
#: Images are drawn in groups of consecutive indices sharing one batched
#: body-model pass (see ``generate_group``).
GROUP_SIZE = 8


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
        appearance: ``'v2'`` (``wardrobe``: face, hair on everyone,
            front/back garment designs, one-sided accessories) or ``'v1'``
            (``textures.sample_appearance``, the first format's look).
        facing: ``'natural'`` (each style's ``facing`` shares) or
            ``'uniform'`` (any heading, as in the first format).
    """

    def __init__(self,
                 smpl_root: str = 'embedded',
                 dp_points: int = 100,
                 image_sizes: Optional[Dict[str, Tuple[int, int]]] = None,
                 jpeg_quality: int = 92,
                 styles: Optional[Dict[str, SplitStyle]] = None,
                 appearance: str = 'v2',
                 facing: str = 'natural') -> None:
        if appearance not in LOOKS:
            raise ValueError(f'unknown appearance "{appearance}"; known: '
                             f'{", ".join(LOOKS)}')
        if facing not in FACINGS:
            raise ValueError(f'unknown facing "{facing}"; known: '
                             f'{", ".join(FACINGS)}')
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
        if facing == 'uniform':
            self.styles = {
                k: replace(v, facing=None)
                for k, v in self.styles.items()
            }
        self.appearance = appearance
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
        self.surface = BodySurface(self.faces, self.face_charts, self.face_uv,
                                   rest['vertices'][0],
                                   rest['joints_smpl24'][0])
        self.incidence = vertex_face_incidence(
            self.faces, len(self.surface.rest_vertices)).astype(np.float32)

    def _style(self, split: str) -> SplitStyle:
        if split not in self.styles:
            raise KeyError(f'unknown synthetic split "{split}"; known: '
                           f'{", ".join(sorted(self.styles))}')
        return self.styles[split]

    def sample_look(self, rng: np.random.Generator):
        """One person's look (``textures.Appearance``) drawn from ``rng``."""
        return LOOKS[self.appearance](rng, self.surface)

    @torch.no_grad()
    def _forward(self, betas: np.ndarray, body_pose: np.ndarray,
                 global_orient: np.ndarray) -> Dict[str, np.ndarray]:
        """Body model forward with zero translation (float32 in, float64
        out)."""
        n = len(betas)
        out = self.body_model(
            betas=torch.as_tensor(betas, dtype=torch.float32),
            body_pose=torch.as_tensor(body_pose,
                                      dtype=torch.float32).reshape(n, -1),
            global_orient=torch.as_tensor(global_orient,
                                          dtype=torch.float32).reshape(n, 3))
        return {
            k: v.detach().cpu().numpy().astype(np.float64)
            for k, v in out.items() if isinstance(v, torch.Tensor)
        }

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

    def generate(self,
                 split: str,
                 subset: str,
                 index: int,
                 seed: int = 0) -> SyntheticImage:
        """Render image ``index`` of ``split``/``subset``.

        Images are made in fixed groups of ``GROUP_SIZE`` consecutive
        indices (one batched body-model pass per group, which changes float
        rounding), so this renders the whole group of ``index``.
        """
        start = index - index % GROUP_SIZE
        group = self.generate_group(split, subset, start, [index], seed)
        return group[0]

    def generate_group(self,
                       split: str,
                       subset: str,
                       start: int,
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
        if start % GROUP_SIZE or any(not start <= i < start + GROUP_SIZE
                                     for i in indices):
            raise ValueError(f'indices {list(indices)} are not in the group '
                             f'starting at {start} (size {GROUP_SIZE})')
        prior = self.priors[split]
        rngs = [
            image_rng(seed, split, subset, start + k)
            for k in range(GROUP_SIZE)
        ]
        drafts = [self._sample_bodies(rng, style, prior) for rng in rngs]
        outputs = self._forward_many([d[1] for d in drafts])
        return [
            self._render_image(rngs[i - start], style, prior,
                               drafts[i - start], outputs[i - start])
            for i in indices
        ]

    @staticmethod
    def _sample_bodies(rng: np.random.Generator, style: SplitStyle,
                       prior: PosePrior) -> tuple:
        camera = sample_camera(rng, style)
        people, tilt = sample_people(rng, style, prior)
        return camera, people, tilt

    def _render_image(self, rng: np.random.Generator, style: SplitStyle,
                      prior: PosePrior, draft: tuple,
                      output: Dict[str, np.ndarray]) -> SyntheticImage:
        """Compose, render and label one image; redraw the people when one
        of them is too hidden to be labelled."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt > 0:
                draft = self._sample_bodies(rng, style, prior)
                output = self._forward_many([draft[1]])[0]
            scene = compose_scene(rng, style, *draft, output, self.sample_look)
            result, hidden = self._render(rng, scene, style.densepose)
            if not hidden:
                return result
        # Rare: keep the last scene without the people that are hidden.
        result, hidden = self._render(rng, scene.without(hidden),
                                      style.densepose)
        if hidden:
            raise RuntimeError('no labelled person after '
                               f'{MAX_ATTEMPTS} draws of a scene')
        return result

    def render_people(self,
                      camera: Camera,
                      people: Sequence[PersonParams],
                      occluders: Sequence[Occluder] = (),
                      split: str = 'coco',
                      seed: int = 0,
                      light: Optional[Light] = None) -> SyntheticImage:
        """Render and label a given scene (people with their ``transl``, in
        the camera frame), e.g. to check labels on a chosen configuration.
        Looks, light and background are drawn from ``seed`` in the style of
        ``split``; ``light``, when given, replaces the drawn light (the
        looks stay those of ``seed``).

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
        drawn = sample_light(rng, style)
        light = drawn if light is None else light
        looks = [self.sample_look(rng) for _ in people]
        scene = Scene(
            camera, people, posed, list(occluders), light, looks,
            render_background(style.background, rng, camera.image_size))
        result, hidden = self._render(rng, scene, style.densepose)
        if hidden:
            raise ValueError(f'people {hidden} are too hidden to be labelled '
                             'or reach behind the camera')
        return result

    def _render(
        self,
        rng: np.random.Generator,
        scene: Scene,
        with_densepose: bool = True
    ) -> Tuple[Optional[SyntheticImage], List[int]]:
        """Rasterise, shade and label a scene (DensePose too when
        ``with_densepose``). Returns the image and an empty list, or None
        and the people too hidden to be labelled (or reaching behind the
        camera)."""
        camera = scene.camera
        posed = scene.posed
        height, width = camera.image_size
        num_people = len(scene.people)
        if num_people == 0:
            return None, [0]
        # Nobody may reach behind (or touch) the camera.
        behind = np.flatnonzero(posed['vertices'][..., 2].min(1) < 0.2)
        if len(behind):
            return None, behind.tolist()

        meshes = [(v, self.faces) for v in posed['vertices']]
        meshes += [(o.vertices, o.faces) for o in scene.occluders]
        frags = rasterize_meshes(meshes, camera.focal_length,
                                 camera.principal_point, (height, width))

        person_map = np.where(frags.mesh_id < num_people, frags.mesh_id,
                              -1).astype(np.int8)
        is_person = person_map >= 0
        part_map = np.zeros((height, width), np.uint8)
        part_map[is_person] = self.face_charts[frags.face_id[is_person]]

        labels = [
            label_person(rng, i, scene.people[i], posed, camera, frags,
                         person_map, part_map, self.face_uv, self.dp_points,
                         with_densepose) for i in range(num_people)
        ]
        hidden = [i for i, person in enumerate(labels) if person is None]
        if hidden:
            return None, hidden
        image = shade(scene, frags, self.surface, self.incidence)
        return SyntheticImage(image, camera, labels, person_map, part_map,
                              frags, self.face_uv), []

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
        ok, buf = cv2.imencode('.jpg', cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError('JPEG encoding failed')
        return buf.tobytes()
