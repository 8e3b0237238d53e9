"""Inference on images: build a fine-tuned model, predict people in boxes.

In the manner of mmpose's ``init_model`` / ``inference_topdown``::

    from hpse_bench.apis.inference import inference_mesh, init_model
    model = init_model('configs/finetune/hmr_r50_1xb64-120e_h36m-coco_100p.py',
                       'work_dirs/hmr/epoch_120.pth')
    samples = inference_mesh(model, 'photo.jpg', bboxes=[[10, 20, 200, 400]])
    samples[0].pred_vertices2d_img     # (6890, 2) the mesh in image pixels

Each box is cropped by the config's own test pipeline (so crops are made
exactly as in testing) and predicted in one batch.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from hpse_bench.checkpoint import (CheckpointMismatchError, extract_state_dict,
                                   format_keys, load_checkpoint_file,
                                   strip_wrapper_prefix)
from hpse_bench.registry import MODELS
from hpse_bench.structures import HumanDataSample
from hpse_bench.visualization import add_camera_predictions, is_mesh_regressor

ImageType = Union[str, np.ndarray]
#: Transforms that read ``img_path``; skipped when an array is given.
_LOADERS = ('LoadHumanImage', 'LoadImage', 'LoadImageFromFile')


def load_model_weights(model: torch.nn.Module, checkpoint: str) -> None:
    """Load every tensor of ``checkpoint`` into ``model``, strictly.

    Raises:
        CheckpointMismatchError: keys are missing or unexpected, or shapes
            differ; the message names the file and examples of each.
    """
    state, _ = extract_state_dict(load_checkpoint_file(checkpoint))
    state, _ = strip_wrapper_prefix(state)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f'{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        raise CheckpointMismatchError(
            f'{checkpoint} does not fit the model of the config '
            f'({type(model).__name__}): {len(missing)} missing, '
            f'{len(unexpected)} unexpected, {len(shapes)} of another shape.' +
            (f'\n  missing: {format_keys(missing)}' if missing else '') +
            (f'\n  unexpected: {format_keys(unexpected)}' if unexpected else ''
             ) +
            (f'\n  shapes (file vs model): {shapes[:5]}' if shapes else ''))
    model.load_state_dict(state, strict=True)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a model from a config and load its weights.

    Args:
        config: config file or ``Config`` (a fine-tuning config: HMR/SPIN,
            PARE, PyMAF or the integral regressor).
        checkpoint: weights to load (a training checkpoint or a bare state
            dict); ``None`` keeps the initial weights (the backbone's
            ``init_cfg`` is not applied, as in mmpose's ``init_model``).
        device: where the model runs.
        cfg_options: overrides merged into the config.

    Returns:
        The model in eval mode, with the config as ``model.cfg``.
    """
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'hpse_bench'))
    model = revert_sync_batchnorm(MODELS.build(config.model))
    if checkpoint is not None:
        load_model_weights(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()


def inference_pipeline_config(cfg: Config) -> List[dict]:
    """The top-down test pipeline of a fine-tuning config.

    ``test_pipeline`` when the config names one, else the pipeline of the
    (first) test dataset.

    Raises:
        ValueError: no pipeline, or one without ``TopdownHumanAffine``.
    """
    pipeline = cfg.get('test_pipeline')
    dataset = (cfg.get('test_dataloader') or {}).get('dataset')
    while pipeline is None and isinstance(dataset, dict):
        pipeline = dataset.get('pipeline')
        inner = dataset.get('datasets') or [dataset.get('dataset')]
        dataset = inner[0]
    if pipeline is None:
        raise ValueError('the config has no test_pipeline and no test '
                         'dataset pipeline to crop people with')
    types = [str(t.get('type', '')).split('.')[-1] for t in pipeline]
    if 'TopdownHumanAffine' not in types:
        raise ValueError('inference needs a top-down human pipeline '
                         f'(TopdownHumanAffine); the config has {types}')
    return [dict(t) for t in pipeline]


def person_boxes(bboxes, image_shape: Sequence[int]) -> np.ndarray:
    """``(N, 4)`` boxes ``x1, y1, x2, y2``; the whole image when ``None``.

    Raises:
        ValueError: a box has the wrong shape or no area.
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    if bboxes is None or len(bboxes) == 0:
        return np.array([[0.0, 0.0, w, h]])
    boxes = np.asarray(bboxes, dtype=np.float64)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] < 4:
        raise ValueError('bboxes must be (4,) or (N, 4) as x1, y1, x2, y2; '
                         f'got shape {boxes.shape}')
    boxes = boxes[:, :4]
    bad = np.flatnonzero((boxes[:, 2] <= boxes[:, 0])
                         | (boxes[:, 3] <= boxes[:, 1]))
    if len(bad):
        raise ValueError(f'box {boxes[bad[0]].tolist()} has no area (x1, y1,'
                         ' x2, y2 with x2 > x1 and y2 > y1)')
    return boxes


def _read_image(img: ImageType) -> np.ndarray:
    if isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'expected an (H, W, 3) BGR image, got shape '
                             f'{img.shape}')
        return img
    import mmcv
    if not osp.isfile(img):
        raise FileNotFoundError(f'image not found: {img}')
    array = mmcv.imread(img)
    if array is None:
        raise ValueError(f'cannot decode image {img}')
    return array


@torch.no_grad()
def inference_mesh(model: torch.nn.Module,
                   img: ImageType,
                   bboxes=None,
                   bbox_scale_factor: float = 1.2) -> List[HumanDataSample]:
    """Predict the person in each box of an image.

    Args:
        model: from :func:`init_model`.
        img: image file, or ``(H, W, 3)`` uint8 BGR array (OpenMMLab's
            order).
        bboxes: ``(4,)`` or ``(N, 4)`` person boxes ``x1, y1, x2, y2`` in
            pixels; ``None`` takes the whole image as one box.
        bbox_scale_factor: the crop is the square around the box's centre of
            side ``max(w, h) * bbox_scale_factor`` (SPIN's 1.2, as the
            preprocessed training data); the whole-image box is not
            enlarged.

    Returns:
        One data sample per box, with metainfo ``bbox`` (the box given),
        ``ori_shape`` and the crop (``bbox_center``, ``bbox_scale``,
        ``warp_mat``), and the predictions of ``docs/data_contract.md``:
        ``pred_keypoints3d`` (H36M-17, pelvis-relative metres) and
        ``pred_keypoints2d_img`` (H36M-17, image pixels); SMPL regressors
        add ``pred_smpl_pose``, ``pred_smpl_betas``, ``pred_cam``
        (``s, tx, ty``), ``pred_vertices`` (pelvis-relative) and, from
        :func:`~hpse_bench.visualization.add_camera_predictions`,
        ``pred_vertices_cam``, ``pred_keypoints3d_cam``, ``pred_cam_t``,
        ``pred_camera_intrinsics`` and ``pred_vertices2d_img``.
    """
    image = _read_image(img)
    whole = bboxes is None or len(bboxes) == 0
    boxes = person_boxes(bboxes, image.shape[:2])
    steps = inference_pipeline_config(model.cfg)
    path = img if isinstance(img, str) else None
    if path is None:
        steps = [
            t for t in steps
            if str(t.get('type', '')).split('.')[-1] not in _LOADERS
        ]
    pipeline = Compose(steps)
    factor = 1.0 if whole else float(bbox_scale_factor)
    items = []
    for i, box in enumerate(boxes):
        x1, y1, x2, y2 = box
        side = max(x2 - x1, y2 - y1) * factor
        info = dict(
            img_path=path,
            sample_idx=i,
            dataset_name='inference',
            image_id=0,
            bbox_center=np.array([(x1 + x2) / 2, (y1 + y2) / 2], np.float32),
            bbox_scale=np.array([side, side], np.float32),
            flip=False,
            rotation=0.0)
        if path is None:
            info.update(
                img=image.copy(),
                img_shape=image.shape[:2],
                ori_shape=image.shape[:2])
        items.append(pipeline(info))
    samples = model.test_step(pseudo_collate(items))
    for box, sample in zip(boxes, samples):
        sample.set_metainfo(
            dict(bbox=box.astype(np.float32), ori_shape=image.shape[:2]))
    if is_mesh_regressor(model):
        add_camera_predictions(model, samples)
    return samples
