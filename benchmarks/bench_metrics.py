"""PA-MPJPE over a Human3.6M-sized test set: hpse_bench vs a per-sample loop.

All three compute the same similarity alignment (Umeyama, with the
reflection fix) on 35,000 samples x 14 LSP joints in float64, one in seven
predictions mirrored:

- ``hpse_bench``: :func:`hpse_bench.evaluation.functional.pa_mpjpe`
  (batched; Horn's quaternion for the rotations, the SVD only for
  ill-separated samples);
- ``loop``: the peer, one 3x3 SVD per sample in a Python loop, as
  SPIN-style evaluation scripts do;
- ``batched SVD``: one ``np.linalg.svd`` call on all samples (the previous
  implementation), for reference.

The machine may be shared and busy, so the timings are taken in
``--rounds`` interleaved rounds (``hpse_bench`` and the batched SVD: best of
``--repeat`` runs per round; the loop: one run per round), and the speed-up
over the loop is printed for every round with its range. Target: >= 25x.
Also printed: the peak memory that each allocates (tracemalloc, separate
untimed runs) and the largest difference between the results.

Usage::

    python benchmarks/bench_metrics.py [--samples 35000] [--rounds 5]
"""
import argparse
import os
import time
import tracemalloc

# One BLAS thread: the comparison is about vectorisation, not threads.
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402

from hpse_bench.evaluation.functional import pa_mpjpe  # noqa: E402

TARGET = 25.0


def pa_mpjpe_loop(pred: np.ndarray, gt: np.ndarray) -> float:
    """Per-sample PA-MPJPE: one 3x3 SVD per sample in a Python loop."""
    total = 0.0
    for p, g in zip(pred, gt):
        mu_p, mu_g = p.mean(axis=0), g.mean(axis=0)
        p0, g0 = p - mu_p, g - mu_g
        u, s, vt = np.linalg.svd(p0.T @ g0)
        d = np.sign(np.linalg.det(vt.T @ u.T))
        rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
        scale = (s[0] + s[1] + d * s[2]) / (p0**2).sum()
        aligned = scale * p0 @ rot.T + mu_g
        total += np.linalg.norm(aligned - g, axis=1).mean()
    return total / len(pred)


def pa_mpjpe_batched_svd(pred: np.ndarray, gt: np.ndarray) -> float:
    """PA-MPJPE with one batched SVD of all (N, 3, 3) cross-covariances."""
    p0 = pred - pred.mean(axis=1, keepdims=True)
    mu_g = gt.mean(axis=1, keepdims=True)
    u, s, vt = np.linalg.svd(np.matmul(p0.transpose(0, 2, 1), gt - mu_g))
    v = vt.transpose(0, 2, 1)
    d = np.sign(np.linalg.det(np.matmul(v, u.transpose(0, 2, 1))))
    v[:, :, 2] *= d[:, None]
    rot = np.matmul(v, u.transpose(0, 2, 1))
    scale = (s[:, 0] + s[:, 1] + d * s[:, 2]) / (p0**2).sum(axis=(1, 2))
    aligned = scale[:, None, None] * np.matmul(p0, rot.transpose(0, 2,
                                                                 1)) + mu_g
    return float(np.linalg.norm(aligned - gt, axis=-1).mean())


def _best_time(fn, repeat):
    best, value = float('inf'), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def _peak_mib(fn):
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--samples', type=int, default=35000)
    parser.add_argument('--joints', type=int, default=14)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    gt = rng.normal(scale=300.0, size=(args.samples, args.joints, 3))
    pred = 1.05 * gt + rng.normal(scale=50.0, size=gt.shape) + 100.0
    pred[::7] *= np.array([-1.0, 1.0, 1.0])  # mirrored: the reflection fix

    runs = dict(
        hpse_bench=lambda: pa_mpjpe(pred, gt),
        loop=lambda: pa_mpjpe_loop(pred, gt),
        batched_svd=lambda: pa_mpjpe_batched_svd(pred, gt))
    times = {name: [] for name in runs}
    values = {}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            seconds, values[name] = _best_time(
                fn, 1 if name == 'loop' else args.repeat)
            times[name].append(seconds)
    ratios = np.array(times['loop']) / np.array(times['hpse_bench'])
    svd_ratios = np.array(times['batched_svd']) / np.array(times['hpse_bench'])

    print(f'PA-MPJPE, {args.samples} samples x {args.joints} joints, '
          f'float64, {args.rounds} rounds')
    for name, fn in runs.items():
        print(f'  {name:12s} best {min(times[name]) * 1e3:8.1f} ms   '
              f'median {np.median(times[name]) * 1e3:8.1f} ms   '
              f'peak {_peak_mib(fn):7.2f} MiB   value {values[name]:.6f} mm')
    print('  speed-up over the loop, per round: ' + ' '.join(f'{r:.1f}'
                                                             for r in ratios))
    missed = int((ratios < TARGET).sum())
    verdict = ('met in every round' if not missed else
               f'missed in {missed} of {len(ratios)} rounds')
    print(f'  speed-up over the loop: min {ratios.min():.1f} x, median '
          f'{np.median(ratios):.1f} x, max {ratios.max():.1f} x   '
          f'(target >= {TARGET:.0f} x: {verdict})')
    print(f'  speed-up over the batched SVD: median '
          f'{np.median(svd_ratios):.1f} x')
    print('  |difference| to the loop: '
          f'{abs(values["hpse_bench"] - values["loop"]):.2e} mm')
    print(f'  inputs       {2 * gt.nbytes / 2**20:.1f} MiB')


if __name__ == '__main__':
    main()
