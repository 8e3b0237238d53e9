"""MMEngine visualiser of people: meshes, keypoints, part maps, DensePose."""
from typing import List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from hpse_bench.registry import VISUALIZERS
from .label_maps import BACKGROUND_IDS, draw_iuv, overlay_labels
from .legend import Entry, append_legend, hconcat
from .mesh_rendering import Mesh, render_meshes
from .palettes import (BOX_COLORS, GT_COLOR, JOINT_NAMES, MESH_COLORS,
                       MIDDLE_COLOR, SIDE_VIEW_BACKGROUND, SKELETONS, Color,
                       label_palette, link_colors, side_color)
from .sample_fields import (Samples, as_sample_list, get_field,
                            keypoints_with_scores, prediction_mesh, sample_id,
                            to_numpy)
from .side_view import skeleton_side_view, turned_meshes


@VISUALIZERS.register_module()
class HumanMeshVisualizer(Visualizer):
    """Draws what hpse_bench predicts and learns from.

    - predicted SMPL meshes over the image, shaded, with a side view
      (:meth:`draw_meshes`, :meth:`side_view`);
    - 2D keypoints with their skeleton, left/right coloured
      (:meth:`draw_keypoints`);
    - person boxes (:meth:`draw_boxes`);
    - part maps (SMPL parts, DensePose coarse parts, DetCon segments;
      :meth:`draw_part_map`) and DensePose IUV (:meth:`draw_densepose_iuv`,
      :meth:`draw_densepose_points`);
    - a legend of everything drawn (:meth:`legend_entries`), appended beside
      the picture so that drawn coordinates stay those of the image.

    Drawing is done with OpenCV on the image held by MMEngine's
    ``Visualizer`` (RGB), so the MMEngine drawing methods and vis backends
    work as usual. ``add_datasample`` draws a prediction over the original
    image; :func:`~hpse_bench.visualization.draw_pipeline_sample` the
    network inputs of a training pipeline.

    Args:
        name: instance name.
        image: optional image to start from (RGB).
        vis_backends: MMEngine vis backend configs.
        save_dir: where the backends write.
        faces: ``(F, 3)`` mesh faces; models pass their body model's with
            :meth:`set_faces`.
        alpha: opacity of meshes over the image.
        keypoint_threshold: keypoints scoring at most this are not drawn.
        side_view_angle: degrees the side view turns the body about the
            vertical axis.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 faces: Optional[np.ndarray] = None,
                 alpha: float = 0.9,
                 keypoint_threshold: float = 0.0,
                 side_view_angle: float = 90.0) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir)
        self.faces = None if faces is None else np.asarray(faces, np.int64)
        self.alpha = alpha
        self.keypoint_threshold = keypoint_threshold
        self.side_view_angle = side_view_angle
        self._legend: List[Entry] = []

    # ------------------------------------------------------------------
    # state
    def set_faces(self, faces: np.ndarray) -> None:
        """Set the ``(F, 3)`` faces of the meshes to draw."""
        self.faces = np.asarray(to_numpy(faces), dtype=np.int64)

    def legend_entries(self) -> List[Entry]:
        """``(text, colour)`` of what was drawn since :meth:`clear_legend`."""
        return list(self._legend)

    def clear_legend(self) -> None:
        self._legend = []

    def _add_legend(self, text: Optional[str], color: Sequence[int]) -> None:
        if text and text not in [t for t, _ in self._legend]:
            self._legend.append((text, tuple(int(c) for c in color)))

    def _thickness(self) -> int:
        return max(1, int(round(min(self.height, self.width) / 250)))

    def _need_faces(self, faces: Optional[np.ndarray]) -> np.ndarray:
        faces = self.faces if faces is None else np.asarray(faces, np.int64)
        if faces is None:
            raise ValueError('no mesh faces: pass faces= or call set_faces '
                             '(e.g. with model.body_model.faces)')
        return faces

    # ------------------------------------------------------------------
    # drawing on the current image
    def draw_meshes(self,
                    meshes: Sequence[Mesh],
                    colors: Optional[Sequence[Color]] = None,
                    labels: Optional[Sequence[str]] = None,
                    alpha: Optional[float] = None,
                    faces: Optional[np.ndarray] = None) -> np.ndarray:
        """Draw meshes ``(vertices (N, 3) camera frame, K (3, 3))``.

        Returns:
            ``(H, W)`` bool mask of the pixels the meshes cover.
        """
        faces = self._need_faces(faces)
        colors = list(
            colors
            or [MESH_COLORS[i % len(MESH_COLORS)] for i in range(len(meshes))])
        image, mask = render_meshes(self.get_image(), meshes, faces, colors,
                                    self.alpha if alpha is None else alpha)
        self.set_image(image)
        for i, color in enumerate(colors[:len(meshes)]):
            self._add_legend(labels[i] if labels else None, color)
        return mask

    def draw_keypoints(
            self,
            keypoints: np.ndarray,
            scores: Optional[np.ndarray] = None,
            convention: Optional[str] = None,
            color: Optional[Color] = None,
            label: Optional[str] = None,
            links: Optional[Sequence[Tuple[int, int]]] = None) -> None:
        """Draw ``(K, 2)`` keypoints and their skeleton.

        Args:
            keypoints: pixels of the current image.
            scores: ``(K,)``; keypoints scoring at most
                ``keypoint_threshold`` are skipped with their links.
            convention: ``'coco_17'``, ``'h36m_17'``, ``'lsp_14'`` or
                ``'smpl_24'``: names the skeleton and the left/right
                colours; ``None`` draws points only (or ``links``).
            color: one colour for everything (e.g. ground truth) instead of
                the left/right/midline colours.
            label: legend text.
            links: skeleton to use instead of the convention's.
        """
        kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 2)
        score = (
            np.ones(len(kp)) if scores is None else np.asarray(
                scores, dtype=np.float64).reshape(-1))
        ok = (score > self.keypoint_threshold) & np.isfinite(kp).all(1)
        if convention is not None and len(JOINT_NAMES[convention]) != len(kp):
            raise ValueError(f'{len(kp)} keypoints given for {convention} '
                             f'({len(JOINT_NAMES[convention])} joints)')
        if links is None:
            links = SKELETONS[convention] if convention else []
            colors = link_colors(convention) if convention else []
        else:
            colors = [MIDDLE_COLOR] * len(links)
        names = JOINT_NAMES[convention] if convention else None
        image = self.get_image()
        t = self._thickness()
        for (a, b), c in zip(links, colors):
            if a < len(kp) and b < len(kp) and ok[a] and ok[b]:
                cv2.line(image, tuple(int(round(v)) for v in kp[a]),
                         tuple(int(round(v)) for v in kp[b]), color or c,
                         t + 1, cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            c = color or (side_color(names[j]) if names else MIDDLE_COLOR)
            centre = tuple(int(round(v)) for v in kp[j])
            cv2.circle(image, centre, t + 2, c, -1, cv2.LINE_AA)
            cv2.circle(image, centre, t + 2, (0, 0, 0), 1, cv2.LINE_AA)
        self.set_image(image)
        if color is not None:
            self._add_legend(label, color)
        elif label:
            self._add_legend(f'{label}: left', side_color('left'))
            self._add_legend(f'{label}: right', side_color('right'))

    def draw_boxes(self,
                   boxes: np.ndarray,
                   colors: Optional[Sequence[Color]] = None,
                   labels: Optional[Sequence[str]] = None) -> None:
        """Draw ``(N, 4)`` boxes ``x1, y1, x2, y2`` (or ``(N, 4, 2)``
        quadrilaterals, e.g. a rotated crop) as outlines."""
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.ndim == 2:
            x1, y1, x2, y2 = boxes.T
            boxes = np.stack([
                np.stack([x1, y1], 1),
                np.stack([x2, y1], 1),
                np.stack([x2, y2], 1),
                np.stack([x1, y2], 1)
            ], 1)
        image = self.get_image()
        for i, quad in enumerate(boxes):
            color = (colors[i] if colors else BOX_COLORS[i % len(BOX_COLORS)])
            cv2.polylines(image, [np.round(quad).astype(np.int32)], True,
                          tuple(color), self._thickness(), cv2.LINE_AA)
            self._add_legend(labels[i] if labels else None, color)
        self.set_image(image)

    def draw_part_map(self,
                      labels: np.ndarray,
                      names: Optional[Sequence[str]] = None,
                      alpha: float = 0.6,
                      ignore: Sequence[int] = BACKGROUND_IDS) -> None:
        """Colour a part map (``0`` background, ``k`` part ``names[k-1]``)
        over the current image, resized to it; the legend lists the parts
        present."""
        labels = np.asarray(to_numpy(labels)).astype(np.int64)
        num = max(int(labels.max(initial=0)), len(names or []))
        palette = label_palette(num)
        self.set_image(
            overlay_labels(self.get_image(), labels, palette, alpha, ignore))
        for k in np.unique(labels):
            if k in ignore or k < 0:
                continue
            name = names[k - 1] if names and k - 1 < len(names) else None
            self._add_legend(f'{k}: {name}' if name else f'label {k}',
                             palette[k])

    def draw_densepose_iuv(self,
                           charts: np.ndarray,
                           u: np.ndarray,
                           v: np.ndarray,
                           chart_names: Sequence[str],
                           alpha: float = 0.6) -> None:
        """Dense DensePose ``I`` (chart colours), ``U`` and ``V`` (iso-lines
        every 0.1) over the current image."""
        charts = np.asarray(to_numpy(charts)).astype(np.int64)
        palette = label_palette(len(chart_names))
        self.set_image(
            draw_iuv(self.get_image(), charts, to_numpy(u), to_numpy(v),
                     palette, alpha))
        for k in np.unique(charts):
            if k > 0:
                self._add_legend(f'I={k}: {chart_names[k - 1]}', palette[k])
        self._add_legend('U iso-lines (0.1)', (255, 255, 255))
        self._add_legend('V iso-lines (0.1)', (30, 30, 30))

    def draw_densepose_points(self, points: np.ndarray, charts: np.ndarray,
                              chart_names: Sequence[str]) -> None:
        """Annotated DensePose points ``(N, 2)``, coloured by chart."""
        points = np.asarray(to_numpy(points), dtype=np.float64)
        charts = np.asarray(to_numpy(charts)).astype(np.int64)
        palette = label_palette(len(chart_names))
        image = self.get_image()
        for (x, y), k in zip(points, charts):
            cv2.circle(image, (int(round(x)), int(round(y))),
                       self._thickness() + 1, palette[k], -1, cv2.LINE_AA)
        self.set_image(image)
        for k in np.unique(charts):
            if k > 0:
                self._add_legend(f'point I={k}: {chart_names[k - 1]}',
                                 palette[k])

    # ------------------------------------------------------------------
    # predictions over the original image
    def draw_predictions(self,
                         samples: Samples,
                         draw_gt: bool = True,
                         draw_pred: bool = True,
                         draw_boxes: bool = True) -> Optional[np.ndarray]:
        """Draw the people of one image over the current image.

        Ground truth: ``gt_keypoints2d_img`` (H36M-17, white). Predictions:
        the mesh of samples completed by ``add_camera_predictions``, else
        ``pred_keypoints2d_img`` (H36M-17). Boxes: metainfo ``bbox``
        (``x1, y1, x2, y2``, the given person box) when present.

        Returns:
            The ``(H, W)`` mesh mask, or ``None`` when no mesh was drawn.
        """
        samples = as_sample_list(samples)
        mask = None
        if draw_pred:
            meshes = [prediction_mesh(s) for s in samples]
            drawn = [m for m in meshes if m is not None]
            if drawn:
                mask = self.draw_meshes(
                    drawn,
                    labels=[
                        f'mesh, person {i + 1}' for i in range(len(drawn))
                    ])
            for s, mesh in zip(samples, meshes):
                kp = get_field(s, 'pred_keypoints2d_img')
                if mesh is None and kp is not None:
                    self.draw_keypoints(
                        to_numpy(kp),
                        None,
                        'h36m_17',
                        label='predicted H36M-17')
        # Ground truth on top of the meshes, so that the two compare.
        if draw_gt:
            for s in samples:
                kp = get_field(s, 'gt_keypoints2d_img')
                if kp is not None:
                    xy, score = keypoints_with_scores(kp)
                    if (score > 0).any():
                        self.draw_keypoints(xy, score, 'h36m_17', GT_COLOR,
                                            'ground truth H36M-17')
        if draw_boxes:
            boxes = [s.metainfo['bbox'] for s in samples if 'bbox' in s]
            if boxes:
                self.draw_boxes(
                    np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                    labels=[f'box, person {i + 1}' for i in range(len(boxes))])
        return mask

    def side_view(self,
                  shape: Sequence[int],
                  samples: Samples,
                  faces: Optional[np.ndarray] = None) -> np.ndarray:
        """The predicted people turned about the vertical, on a plain
        background of ``shape`` ``(H, W)``: meshes when the samples carry
        them, else the H36M-17 skeleton from ``pred_keypoints3d``."""
        samples = as_sample_list(samples)
        canvas = np.empty((int(shape[0]), int(shape[1]), 3), np.uint8)
        canvas[:] = SIDE_VIEW_BACKGROUND
        meshes = [prediction_mesh(s) for s in samples]
        turned = turned_meshes([m for m in meshes if m is not None],
                               self.side_view_angle)
        if turned:
            colors = [
                MESH_COLORS[i % len(MESH_COLORS)] for i in range(len(turned))
            ]
            canvas, _ = render_meshes(canvas, turned, self._need_faces(faces),
                                      colors, 1.0)
        saved = self._image if hasattr(self, '_image') else None
        self.set_image(canvas)
        for s, mesh in zip(samples, meshes):
            kp3d = get_field(s, 'pred_keypoints3d')
            kp2d = get_field(s, 'pred_keypoints2d_img')
            if mesh is None and kp3d is not None and kp2d is not None:
                side = skeleton_side_view(
                    to_numpy(kp3d), to_numpy(kp2d), self.side_view_angle)
                self.draw_keypoints(side, None, 'h36m_17')
        out = self.get_image()
        if saved is not None:
            self.set_image(saved)
        return out

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[Samples] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0.,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       side_view: bool = True) -> np.ndarray:
        """Draw the predictions (and labels) of one image.

        The result is ``[overlay | side view | legend]``; it is shown,
        written to ``out_file``, or else sent to the vis backends.

        Args:
            name: image name for the backends.
            image: ``(H, W, 3)`` RGB original image.
            data_sample: one sample or the samples (people) of the image.
            draw_gt / draw_pred: what to draw.
            show: display the drawing.
            wait_time: seconds to show it.
            out_file: PNG/JPEG path to write (RGB is converted).
            step: global step for the backends.
            side_view: add the side view panel.

        Returns:
            The drawn ``(H', W', 3)`` RGB picture.
        """
        self.clear_legend()
        self.set_image(image)
        samples = as_sample_list(
            data_sample) if data_sample is not None else []
        self.draw_predictions(samples, draw_gt, draw_pred)
        panels = [self.get_image()]
        if side_view and draw_pred and samples:
            panels.append(self.side_view(image.shape[:2], samples))
        title = sample_id(samples[0]) if samples else name
        drawn = append_legend(hconcat(panels), self.legend_entries(), title)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
