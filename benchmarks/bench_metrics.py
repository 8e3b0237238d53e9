"""PA-MPJPE over a Human3.6M-sized test set: batched vs per-sample loop.

Both compute the same similarity alignment (SVD with the reflection fix) on
35,000 samples x 14 LSP joints in float64; the peer is the per-sample NumPy
loop that SPIN-style evaluation scripts run. Prints both times (best of
``--repeat`` runs), their ratio (target >= 15x), the peak memory that each
allocates (tracemalloc, measured in a separate untimed run) and the
largest difference between the two results.

Usage::

    python benchmarks/bench_metrics.py [--samples 35000] [--repeat 3]
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
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    gt = rng.normal(scale=300.0, size=(args.samples, args.joints, 3))
    pred = 1.05 * gt + rng.normal(scale=50.0, size=gt.shape) + 100.0
    pred[::7] *= np.array([-1.0, 1.0, 1.0])  # mirrored: the reflection fix

    fast, fast_value = _best_time(lambda: pa_mpjpe(pred, gt), args.repeat)
    slow, slow_value = _best_time(lambda: pa_mpjpe_loop(pred, gt), args.repeat)
    fast_mem = _peak_mib(lambda: pa_mpjpe(pred, gt))
    slow_mem = _peak_mib(lambda: pa_mpjpe_loop(pred, gt))
    print(f'PA-MPJPE, {args.samples} samples x {args.joints} joints, '
          f'float64, best of {args.repeat}')
    print(f'  batched     {fast * 1e3:9.1f} ms   peak {fast_mem:8.2f} MiB   '
          f'value {fast_value:.6f} mm')
    print(f'  loop        {slow * 1e3:9.1f} ms   peak {slow_mem:8.2f} MiB   '
          f'value {slow_value:.6f} mm')
    print(f'  speed-up    {slow / fast:9.1f} x   (target >= 15 x)')
    print(f'  |difference| {abs(fast_value - slow_value):.2e} mm')
    print(f'  inputs       {2 * gt.nbytes / 2**20:.1f} MiB')


if __name__ == '__main__':
    main()
