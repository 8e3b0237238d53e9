"""DensePose and part-segmentation pre-training vs mmpose's 2D pose model.

Forward + backward time per iteration and peak memory of hpse_bench's
``TopdownDenseEstimator`` with ``DensePoseHead`` (coarse parts, charts,
U, V; ``DensePoseLoss``) and with ``PartSegmentationHead``, against mmpose's
``TopdownPoseEstimator`` with ``HeatmapHead`` (SimpleBaseline, the 2D pose
pre-training), all with the same backbone, batch and input size, in one
run. Timed iterations are interleaved (the order rotates every repetition)
so that load from other processes hits all models alike; on CPU the clock is
the process's CPU time, which other processes on the same cores do not
inflate (wall-clock on a GPU). The median and the best time are reported
with their ratios to mmpose's (target: median ratio <= 1.10x).

Peak memory of one iteration (after an untimed one): on a GPU,
``torch.cuda.max_memory_allocated``; on CPU, the largest total of the
PyTorch profiler's memory timeline (tensor memory by category, from every
allocation and free), so that the allocator's caching does not blur it.

Usage::

    python benchmarks/bench_pretrain_dense.py [--depth 50] [--batch 8]
        [--input 256x192] [--reps 5] [--threads 1] [--points 100]
"""
import argparse
import json
import logging
import os.path as osp
import statistics
import tempfile
import time
import warnings
from typing import Callable

import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS as MMPOSE_MODELS
from mmpose.structures import PoseDataSample
from torch.profiler import ProfilerActivity, profile

import hpse_bench
from hpse_bench.registry import MODELS
from hpse_bench.structures import DensePoseTarget

NUM_KEYPOINTS = 17
TARGET_RATIO = 1.10


def build_model(name: str, depth: int, input_hw) -> torch.nn.Module:
    """One of the three estimators; all share the backbone config
    (torchvision's key layout) and the input size."""
    channels = 2048 if depth >= 50 else 512
    h, w = input_hw
    if name == 'pose2d':
        codec = dict(
            type='MSRAHeatmap',
            input_size=(w, h),
            heatmap_size=(w // 4, h // 4),
            sigma=2)
        with DefaultScope.overwrite_default_scope('mmpose'):
            model = MMPOSE_MODELS.build(
                dict(
                    type='TopdownPoseEstimator',
                    backbone=dict(type='ResNet', depth=depth),
                    head=dict(
                        type='HeatmapHead',
                        in_channels=channels,
                        out_channels=NUM_KEYPOINTS,
                        loss=dict(
                            type='KeypointMSELoss', use_target_weight=True),
                        decoder=codec)))
    else:
        head = dict(
            densepose=dict(type='DensePoseHead', in_channels=channels),
            partseg=dict(type='PartSegmentationHead', in_channels=channels))
        with DefaultScope.overwrite_default_scope('hpse_bench'):
            model = MODELS.build(
                dict(
                    type='TopdownDenseEstimator',
                    backbone=dict(type='mmpose.ResNet', depth=depth),
                    head=head[name]))
    # init_weights logs every parameter at INFO level.
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model.train()


def make_batch(batch: int, input_hw, num_points: int, device):
    """Inputs and the ground truth each model reads, all random."""
    gen = torch.Generator().manual_seed(0)
    h, w = input_hw
    inputs = torch.randn(batch, 3, h, w, generator=gen).to(device)
    pose_samples, dense_samples = [], []
    for _ in range(batch):
        s = PoseDataSample(metainfo=dict(input_size=(w, h)))
        s.gt_fields = PixelData(
            heatmaps=torch.rand(
                NUM_KEYPOINTS, h // 4, w // 4, generator=gen).to(device))
        s.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, NUM_KEYPOINTS).to(device))
        pose_samples.append(s)
        d = PoseDataSample(metainfo=dict(input_size=(w, h)))
        d.gt_densepose = DensePoseTarget(
            points=(torch.rand(num_points, 2, generator=gen) *
                    torch.tensor([w - 1.0, h - 1.0])).to(device),
            charts=torch.randint(
                1, 25, (num_points, ), generator=gen).to(device),
            u=torch.rand(num_points, generator=gen).to(device),
            v=torch.rand(num_points, generator=gen).to(device),
            coarse_segm=torch.randint(
                0, 15, (h, w), generator=gen, dtype=torch.uint8).to(device),
            has_densepose=torch.tensor(True))
        dense_samples.append(d)
    return inputs, dict(
        pose2d=pose_samples, densepose=dense_samples, partseg=dense_samples)


def select(batch, name):
    inputs, samples = batch
    return inputs, samples[name]


def make_step(model, inputs, samples) -> Callable[[], None]:
    """One forward + backward of ``model`` in loss mode."""

    def step():
        model.zero_grad(set_to_none=True)
        losses = model(inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        loss.backward()

    return step


def synchronize(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def cpu_peak_memory_mib(step) -> float:
    """Peak of the memory held by tensors during one iteration: the largest
    total of the PyTorch profiler's memory timeline (every allocation and
    free of the CPU allocator, by category)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'memory.json')
        with profile(
                activities=[ProfilerActivity.CPU],
                profile_memory=True,
                record_shapes=True,
                with_stack=True) as prof:
            step()
        with warnings.catch_warnings():
            # Deprecated in favour of a CUDA-only recorder; the CPU timeline
            # has no replacement yet.
            warnings.simplefilter('ignore', FutureWarning)
            prof.export_memory_timeline(path, device='cpu')
        with open(path) as f:
            _, sizes = json.load(f)
    return max(sum(s) for s in sizes) / 2**20


def cuda_peak_memory_mib(step, device) -> float:
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    step()
    synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - base) / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--depth', type=int, default=50)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--input', default='256x192', help='HxW')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--points', type=int, default=100, help='DensePose points per crop')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    hpse_bench.register_all_modules(init_default_scope=False)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    names = ['pose2d', 'densepose', 'partseg']
    input_hw = tuple(int(v) for v in args.input.split('x'))
    batch = make_batch(args.batch, input_hw, args.points, device)
    steps = {
        name: make_step(
            build_model(name, args.depth, input_hw).to(device),
            *select(batch, name))
        for name in names
    }
    # One untimed iteration each, then the memory of the next one.
    for step in steps.values():
        step()
    synchronize(device)
    peaks = {
        name: (cuda_peak_memory_mib(step, device) if device.type == 'cuda'
               else cpu_peak_memory_mib(step))
        for name, step in steps.items()
    }

    for _ in range(args.warmup):
        for step in steps.values():
            step()
    synchronize(device)
    # On CPU, the CPU time of this process: other processes sharing the
    # cores slow the wall clock, not the work done here.
    clock = time.perf_counter if device.type == 'cuda' else time.process_time
    times = {name: [] for name in names}
    for rep in range(args.reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            synchronize(device)
            start = clock()
            steps[name]()
            synchronize(device)
            times[name].append(clock() - start)

    where = (f'{torch.cuda.get_device_name(device)}, wall-clock time'
             if device.type == 'cuda' else
             f'CPU, {args.threads} thread(s), process CPU time')
    print(f'forward+backward, ResNet-{args.depth} (mmpose.ResNet), batch '
          f'{args.batch}, input {args.input}, {args.points} DensePose '
          f'points/crop, {where}, median of {args.reps} interleaved '
          f'repetitions')
    med = {n: statistics.median(t) for n, t in times.items()}
    best = {n: min(t) for n, t in times.items()}
    labels = dict(
        pose2d='2D pose (mmpose TopdownPoseEstimator + HeatmapHead)',
        densepose='DensePose (TopdownDenseEstimator + DensePoseHead)',
        partseg='part segmentation (+ PartSegmentationHead)')
    print(f'  {"model":52s} {"median ms":>9s} {"x 2D":>6s} {"best ms":>9s} '
          f'{"x 2D":>6s} {"peak MiB":>9s} {"x 2D":>6s}')
    ok = True
    for name in names:
        ratios = (med[name] / med['pose2d'], best[name] / best['pose2d'],
                  peaks[name] / peaks['pose2d'])
        if name != 'pose2d':
            ok &= ratios[0] <= TARGET_RATIO
        print(f'  {labels[name]:52s} {med[name] * 1e3:9.1f} {ratios[0]:6.3f} '
              f'{best[name] * 1e3:9.1f} {ratios[1]:6.3f} '
              f'{peaks[name]:9.1f} {ratios[2]:6.3f}')
    print(f'target: median time ratio <= {TARGET_RATIO:.2f}x -> '
          f'{"met" if ok else "NOT met"}')


if __name__ == '__main__':
    main()
