"""Draw what a config's data pipeline hands to the model.

    python tools/analysis_tools/browse_dataset.py CONFIG
        [--phase train|val|test] [--output-dir DIR] [--max-items N]
        [--seed S] [--cfg-options k=v ...]

For each of the first ``--max-items`` samples of the phase's dataset (after
its full pipeline, augmentations included) one PNG
``<output-dir>/<index>_<sample id>.png`` shows, left to right: the original
image with the crop outline, each network input (the crop, or every view
of a contrastive pre-training sample) with its keypoints, and the dense
labels the sample carries (SMPL part maps, DetCon segments, DensePose coarse
parts and points, heatmaps), with a legend and the sample id. Works for any
hpse_bench config (fine-tuning, pre-training, mmpose and mmpretrain based),
real or ``_synthetic`` (whose data are created first, as tools/train.py
does). See docs/visualization.md.
"""
import argparse
import copy
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import hpse_bench  # noqa: F401  (applies the compatibility patches first)

#: Packing transforms whose crop-space keypoints must be packed too.
_POSE_PACKERS = ('PackPoseInputs', 'PackDensePoseInputs')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the samples a config\'s pipeline produces')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--phase',
        default='train',
        choices=['train', 'val', 'test'],
        help='whose dataloader to browse')
    parser.add_argument(
        '--output-dir',
        default='browse_dataset',
        help='where to write the PNGs')
    parser.add_argument(
        '--max-items', type=int, default=20, help='samples to draw')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument(
        '--zoom',
        type=int,
        default=None,
        help='enlarge network inputs this many times (default: to about '
        '256 px high)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    return parser.parse_args(argv)


def pack_transformed_keypoints(dataset_cfg) -> None:
    """Make mmpose's packers keep the crop-space keypoints
    (``pack_transformed=True``), in every pipeline of the dataset config."""
    if isinstance(dataset_cfg, dict):
        for step in dataset_cfg.get('pipeline') or []:
            if str(step.get('type', '')).split('.')[-1] in _POSE_PACKERS:
                step['pack_transformed'] = True
        for inner in dataset_cfg.get('datasets') or []:
            pack_transformed_keypoints(inner)
        pack_transformed_keypoints(dataset_cfg.get('dataset'))


def inputs_are_bgr(cfg: Config) -> bool:
    """Whether the packed images are BGR: the model's data preprocessor
    converts them (``bgr_to_rgb`` / ``to_rgb``), as OpenMMLab loaders read
    BGR; without a preprocessor, BGR is assumed."""
    pre = (cfg.get('model') or {}).get('data_preprocessor') or {}
    return bool(pre.get('bgr_to_rgb', pre.get('to_rgb', True)))


def read_original(sample) -> Optional[np.ndarray]:
    """The sample's original image (RGB), if its file is there."""
    path = sample.metainfo.get('img_path')
    if not path or not osp.isfile(path):
        return None
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    return None if image is None else image[..., ::-1]


def _input_height(inputs) -> int:
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    return int(first.shape[-2])


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'hpse_bench'))

    from mmengine.registry import DATASETS
    from mmengine.runner import set_random_seed

    from hpse_bench.apis.launch import check_inputs, prepare_synthetic_data
    from hpse_bench.visualization import (HumanMeshVisualizer,
                                          draw_pipeline_sample)
    from hpse_bench.visualization.sample_fields import sample_id

    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError(f'the config has no {args.phase}_dataloader.dataset')
    prepare_synthetic_data(cfg)
    # A browse needs the data, not the checkpoints the config names.
    checked = copy.deepcopy(cfg)
    checked.load_from, checked.resume = None, False
    check_inputs(checked)

    dataset_cfg = loader['dataset']
    pack_transformed_keypoints(dataset_cfg)
    dataset = DATASETS.build(dataset_cfg)
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    # Seeded right before the samples are drawn, so that the seed alone
    # fixes their augmentations.
    set_random_seed(args.seed)
    meta = getattr(dataset, 'metainfo', None) or {}
    skeleton = None
    if meta.get('skeleton_links') and meta.get('num_keypoints') not in (14, 17,
                                                                        24):
        skeleton = [tuple(link) for link in meta['skeleton_links']]
    bgr = inputs_are_bgr(cfg)

    os.makedirs(args.output_dir, exist_ok=True)
    vis = HumanMeshVisualizer(name='browse_dataset')
    count = min(args.max_items, len(dataset))
    for index in range(count):
        item = dataset[index]
        sample = item['data_samples']
        zoom = args.zoom or max(1, round(256 / _input_height(item['inputs'])))
        drawn = draw_pipeline_sample(vis, item['inputs'], sample, bgr,
                                     read_original(sample), skeleton, zoom)
        path = osp.join(args.output_dir,
                        f'{index:04d}_{sample_id(sample)}.png')
        cv2.imwrite(path, drawn[..., ::-1])
        print(path)
    print(f'wrote {count} of {len(dataset)} {args.phase} samples to '
          f'{args.output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
