"""JointCon and PeCLR against their peers: time and memory per iteration.

Two pairs, measured in one run:

* JointCon (joint sampling, projection, supervised contrastive loss) vs
  mmpose's ``TopdownPoseEstimator`` + ``HeatmapHead`` (the 2D-pose
  pre-training it replaces). Both push the same number of images through
  the same backbone: JointCon takes ``batch / 2`` crops of two views each.
  Target: <= 1.10x the pose model's time.
* PeCLR vs mmpretrain's ``SimCLR``: the same backbone, ``batch`` crops of
  two views each; each with its paper's projection (PeCLR 2048-512-128,
  SimCLR 2048-2048-128). Target: <= 1.05x SimCLR's time.

Forward + backward per iteration, timed in interleaved repetitions (the
order rotates every repetition, so load from other processes hits all
models alike); the median is reported. Peak memory: on a GPU,
``torch.cuda.max_memory_allocated`` over one iteration; on CPU, the growth
of the resident set (``VmHWM`` after resetting it through
``/proc/self/clear_refs``) over one iteration, in a fresh forked process per
model so that no allocator cache of an earlier iteration hides it.

Usage::

    python benchmarks/bench_pretrain_contrastive.py [--depth 50] [--batch 8]
        [--input 256x192] [--reps 5] [--warmup 1] [--threads 1]
"""
import argparse
import logging
import multiprocessing as mp
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS as MMPOSE_MODELS
from mmpose.structures import PoseDataSample
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

import hpse_bench
from hpse_bench.registry import MODELS
from hpse_bench.structures import HumanDataSample

NUM_JOINTS = 17
PAIRS = (('jointcon', 'pose2d', 1.10), ('peclr', 'simclr', 1.05))
LABELS = dict(
    jointcon='JointCon-J (hpse_bench)',
    pose2d='2D pose (mmpose TopdownPoseEstimator)',
    peclr='PeCLR (hpse_bench)',
    simclr='SimCLR (mmpretrain)')


def build_models(depth: int, input_hw: Tuple[int, int],
                 norm: str) -> Dict[str, torch.nn.Module]:
    """The four models on one backbone config (mmpretrain's ResNet)."""
    channels = 2048 if depth >= 50 else 512
    h, w = input_hw
    backbone = dict(type='ResNet', depth=depth, norm_cfg=dict(type=norm))
    norm1d = 'SyncBN' if norm == 'SyncBN' else 'BN1d'
    with DefaultScope.overwrite_default_scope('mmpose'):
        pose2d = MMPOSE_MODELS.build(
            dict(
                type='TopdownPoseEstimator',
                backbone=dict(backbone, type='mmpretrain.ResNet'),
                head=dict(
                    type='HeatmapHead',
                    in_channels=channels,
                    out_channels=NUM_JOINTS,
                    loss=dict(type='KeypointMSELoss', use_target_weight=True),
                    decoder=dict(
                        type='MSRAHeatmap',
                        input_size=(w, h),
                        heatmap_size=(w // 4, h // 4),
                        sigma=2))))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        simclr = MMPRETRAIN_MODELS.build(
            dict(
                type='SimCLR',
                backbone=backbone,
                neck=dict(
                    type='NonLinearNeck',
                    in_channels=channels,
                    hid_channels=2048,
                    out_channels=128,
                    num_layers=2,
                    with_avg_pool=True,
                    norm_cfg=dict(type=norm1d)),
                head=dict(
                    type='ContrastiveHead',
                    loss=dict(type='CrossEntropyLoss'),
                    temperature=0.1)))
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        ours_backbone = dict(backbone, type='mmpretrain.ResNet')
        jointcon = MODELS.build(
            dict(
                type='JointCon',
                positive='joint',
                backbone=ours_backbone,
                neck=dict(
                    type='ProjectionMLP',
                    in_channels=channels,
                    hid_channels=2048,
                    out_channels=128),
                head=dict(type='SupConHead', temperature=0.1)))
        peclr = MODELS.build(
            dict(
                type='PeCLR',
                backbone=ours_backbone,
                neck=dict(
                    type='mmpretrain.NonLinearNeck',
                    in_channels=channels,
                    hid_channels=512,
                    out_channels=128,
                    with_bias=True,
                    with_last_bn=False,
                    norm_cfg=dict(type=norm1d)),
                head=dict(type='SupConHead', temperature=0.5)))
    models = dict(jointcon=jointcon, pose2d=pose2d, peclr=peclr, simclr=simclr)
    for model in models.values():
        model.init_weights()
        model.train()
    return models


def make_batches(batch: int, input_hw: Tuple[int, int],
                 device: torch.device) -> Dict[str, tuple]:
    """Normalised inputs and the ground truth each model reads (random)."""
    gen = torch.Generator().manual_seed(0)
    h, w = input_hw

    def images(n):
        return torch.randn(n, 3, h, w, generator=gen).to(device)

    def view_samples(n):
        samples = []
        for _ in range(n):
            s = HumanDataSample()
            kpts = torch.rand(2, NUM_JOINTS, 3, generator=gen)
            kpts[..., 0] *= w - 1
            kpts[..., 1] *= h - 1
            kpts[..., 2] = (kpts[..., 2] < 0.8).float()  # ~80 % visible
            s.gt_keypoints2d = kpts
            s.view_rotation = torch.rand(2, generator=gen) * 90 - 45
            s.view_translation = torch.rand(2, 2, generator=gen) * .2 - .1
            samples.append(s.to(device))
        return samples

    pose_samples = []
    for _ in range(batch):
        s = PoseDataSample(metainfo=dict(input_size=(w, h)))
        s.gt_fields = PixelData(
            heatmaps=torch.rand(NUM_JOINTS, h // 4, w //
                                4, generator=gen).to(device))
        s.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, NUM_JOINTS).to(device))
        pose_samples.append(s)
    half = batch // 2
    return dict(
        pose2d=(images(batch), pose_samples),
        jointcon=([images(half), images(half)], view_samples(half)),
        peclr=([images(batch), images(batch)], view_samples(batch)),
        simclr=([images(batch), images(batch)], [None] * batch))


def make_step(model, inputs, samples) -> Callable[[], None]:
    """One forward + backward of ``model`` in loss mode."""

    def step():
        model.zero_grad(set_to_none=True)
        losses = model(inputs, samples, mode='loss')
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()

    return step


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _status_kib(key: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{key} is not in /proc/self/status')


def _cpu_peak_child(step, conn) -> None:
    # The parent's OpenMP pool does not survive fork: a multi-threaded op
    # in the child would hang. One thread changes the time, not the memory.
    torch.set_num_threads(1)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # VmHWM := VmRSS
    before = _status_kib('VmRSS')
    step()
    conn.send((_status_kib('VmHWM') - before) / 1024)
    conn.close()


def peak_memory_mib(step, device: torch.device) -> float:
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        step()
        synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    ctx = mp.get_context('fork')
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_cpu_peak_child, args=(step, sender))
    proc.start()
    # Only the child holds the sending end now: if the step raises there,
    # recv() sees the pipe close instead of waiting forever.
    sender.close()
    try:
        value = receiver.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(
            'the memory measurement of one step failed in its forked '
            f'process (exit code {proc.exitcode}); its traceback is above'
        ) from None
    proc.join()
    return value


def time_interleaved(steps: Dict[str, Callable[[],
                                               None]], reps: int, warmup: int,
                     device: torch.device) -> Dict[str, List[float]]:
    names = list(steps)
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in names}
    for rep in range(reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            synchronize(device)
            start = time.perf_counter()
            steps[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--depth', type=int, default=50)
    parser.add_argument(
        '--batch', type=int, default=8, help='images per model (even)')
    parser.add_argument('--input', default='256x192', help='HxW')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    # One thread by default: on a shared, oversubscribed CPU several OpenMP
    # threads spin against each other and the timings mean little.
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    if args.batch < 2 or args.batch % 2:
        parser.error('--batch must be even: JointCon takes batch / 2 crops '
                     'of two views')

    torch.set_num_threads(args.threads)
    # init_weights reports every parameter at INFO level.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    hpse_bench.register_all_modules(init_default_scope=False)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    input_hw = tuple(int(v) for v in args.input.split('x'))
    # One process: plain BatchNorm (SyncBN would need a process group).
    models = build_models(args.depth, input_hw, norm='BN')
    batches = make_batches(args.batch, input_hw, device)
    steps = {}
    for name, model in models.items():
        model.to(device)
        steps[name] = make_step(model, *batches[name])

    # Memory first, before any iteration has grown the allocator's caches.
    peaks = {
        name: peak_memory_mib(step, device)
        for name, step in steps.items()
    }
    times = time_interleaved(steps, args.reps, args.warmup, device)

    where = (
        torch.cuda.get_device_name(device)
        if device.type == 'cuda' else f'CPU, {args.threads} threads')
    print(f'forward+backward, ResNet-{args.depth} (mmpretrain.ResNet), '
          f'{args.batch} images of {args.input} per model, {where}, median '
          f'of {args.reps} interleaved repetitions')
    print(f'  {"model":40s} {"ms/iter":>9s} {"peak MiB":>9s}')
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name in steps:
        print(f'  {LABELS[name]:40s} {medians[name] * 1e3:9.1f} '
              f'{peaks[name]:9.1f}')
    all_met = True
    for ours, peer, target in PAIRS:
        ratio = medians[ours] / medians[peer]
        mem_ratio = peaks[ours] / max(peaks[peer], 1e-9)
        met = ratio <= target
        all_met &= met
        print(f'{LABELS[ours]} / {LABELS[peer]}: time {ratio:.3f}x '
              f'(target <= {target:.2f}x: {"met" if met else "NOT met"}), '
              f'peak memory {mem_ratio:.3f}x')
    print(f'all time targets {"met" if all_met else "NOT met"}')


if __name__ == '__main__':
    main()
