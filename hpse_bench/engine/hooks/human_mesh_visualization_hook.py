"""Drawing predictions during validation and testing."""
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmengine import fileio
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.structures import BaseDataElement
from mmengine.visualization import Visualizer

from hpse_bench.registry import HOOKS
from hpse_bench.visualization import (HumanMeshVisualizer,
                                      add_camera_predictions,
                                      draw_pipeline_sample, is_mesh_regressor)
from hpse_bench.visualization.sample_fields import sample_id


@HOOKS.register_module()
class HumanMeshVisualizationHook(Hook):
    """Write overlays of the predictions of validation and test batches
    (mmpose's ``PoseVisualizationHook`` for hpse_bench's models).

    SMPL regressors get their meshes drawn over the original image with a
    side view, keypoint regressors their H36M-17 skeleton, and models that
    predict in the crop (DensePose, part segmentation) their maps over the
    network input; ground-truth keypoints are added with ``draw_gt``.

    - validation: the first sample of every ``interval``-th batch goes to
      the visualiser's backends (``vis_data/vis_image/val_<id>_<iter>.png``
      with ``LocalVisBackend``; TensorBoard or W&B when configured);
    - test: every sample of every ``interval``-th batch, written to
      ``out_dir`` when given (``<work_dir>/<timestamp>/<out_dir>`` for a
      relative path, as mmpose; an absolute path is used as it is), else
      sent to the backends. ``tools/test.py --show-dir DIR`` enables this.

    The runner's visualiser must be a :class:`HumanMeshVisualizer`
    (``visualizer = dict(type='HumanMeshVisualizer', ...)``). As MMEngine's
    visualisers draw on the main process only, a distributed test draws the
    share of the samples that the first process evaluates.

    Args:
        enable: draw at all (configs keep the hook disabled by default).
        interval: draw every ``interval``-th batch.
        draw_gt: add the ground-truth keypoints.
        side_view: add the side-view panel to mesh drawings.
        out_dir: test output folder (see above).
        backend_args: MMEngine file backend arguments to read images.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 draw_gt: bool = True,
                 side_view: bool = True,
                 out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.enable = enable
        self.interval = interval
        self.draw_gt = draw_gt
        self.side_view = side_view
        self.out_dir = out_dir
        self.backend_args = backend_args
        self._test_index = 0
        self._written_dir: Optional[str] = None

    # ------------------------------------------------------------------
    def _visualizer(self, runner) -> HumanMeshVisualizer:
        vis = Visualizer.get_current_instance()
        if not isinstance(vis, HumanMeshVisualizer):
            raise TypeError(
                f'{type(self).__name__} draws with HumanMeshVisualizer, but '
                f'the runner\'s visualizer is a {type(vis).__name__}; set '
                "visualizer = dict(type='HumanMeshVisualizer', "
                "vis_backends=[dict(type='LocalVisBackend')]) in the config")
        model = self._model(runner)
        if is_mesh_regressor(model) and vis.faces is None:
            vis.set_faces(model.body_model.faces)
        return vis

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def _draw(self, runner, vis: HumanMeshVisualizer, inputs,
              sample: BaseDataElement, name: str, step: int,
              out_file: Optional[str]) -> None:
        """Draw one predicted sample (a copy: the outputs stay as they are
        for the evaluator)."""
        sample = sample.clone()
        model = self._model(runner)
        if is_mesh_regressor(model) and 'pred_cam' in sample:
            add_camera_predictions(model, [sample])
        in_image = ('pred_vertices' in sample
                    or 'pred_keypoints2d_img' in sample)
        img_path = sample.metainfo.get('img_path')
        if in_image and img_path:
            image = mmcv.imfrombytes(
                fileio.get(img_path, backend_args=self.backend_args),
                channel_order='rgb')
            vis.add_datasample(
                name,
                image,
                sample,
                draw_gt=self.draw_gt,
                out_file=out_file,
                step=step,
                side_view=self.side_view)
            return
        drawn = draw_pipeline_sample(vis, inputs, sample)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            vis.add_image(name, drawn, step)

    # ------------------------------------------------------------------
    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[BaseDataElement]) -> None:
        if (not self.enable or batch_idx % self.interval or not outputs
                or not is_main_process()):
            return
        vis = self._visualizer(runner)
        sample = outputs[0]
        self._draw(runner, vis, data_batch['inputs'][0], sample,
                   f'val_{sample_id(sample)}', runner.iter, None)

    def before_test(self, runner) -> None:
        self._test_index = 0
        self._written_dir = None
        if self.enable and self.out_dir is not None:
            self._written_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.out_dir)
            os.makedirs(self._written_dir, exist_ok=True)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[BaseDataElement]) -> None:
        if (not self.enable or batch_idx % self.interval
                or not is_main_process()):
            return
        vis = self._visualizer(runner)
        for i, sample in enumerate(outputs):
            self._test_index += 1
            name = sample_id(sample)
            out_file = None
            if self._written_dir is not None:
                stem = osp.splitext(
                    osp.basename(sample.metainfo.get('img_path') or ''))[0]
                out_file = osp.join(
                    self._written_dir,
                    f'{name}_{stem}.png' if stem else f'{name}.png')
            self._draw(runner, vis, data_batch['inputs'][i], sample,
                       f'test_{name}', self._test_index, out_file)

    @property
    def written_dir(self) -> Optional[str]:
        """The folder the last test wrote to, if any."""
        return self._written_dir
