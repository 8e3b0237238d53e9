"""SMPL forward with hpse_bench's keypoints vs plain smplx, and build time.

The peer is ``smplx.SMPL`` on the same file (vertices and joints only);
``hpse_bench.body_models.SMPL`` adds the COCO-17, H36M-17 and LSP-14
keypoints every regressor and label generator uses. Prints the best time of
``--repeat`` runs of each, their ratio (target <= 1.3x) and the time to build
the embedded model from scratch (target < 10 s).

Second pair, forward + backward as in a training step: ``SMPL.keypoints_only``
(the keypoints without posing the mesh, what the regressors use when no loss
reads vertices) against ``SMPL.forward`` on the same rotation matrices, both
reduced to the sum of their keypoints (target <= 0.25x).

Usage::

    python benchmarks/bench_smpl.py [--batch 64] [--repeat 20]
        [--smpl-root embedded]
"""
import argparse
import contextlib
import io
import tempfile
import time

import smplx
import torch

from hpse_bench.body_models import SMPL, build_embedded_smpl, smpl_model_file


def best_time(fn, repeat: int) -> float:
    fn()  # warm-up
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--smpl-root', default='embedded')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    ours = SMPL(smpl_root=args.smpl_root)
    with contextlib.redirect_stdout(io.StringIO()):
        peer = smplx.SMPL(
            model_path=smpl_model_file(ours.smpl_root),
            create_betas=False,
            create_global_orient=False,
            create_body_pose=False,
            create_transl=False)
    gen = torch.Generator().manual_seed(0)
    betas = torch.randn(args.batch, 10, generator=gen)
    pose = 0.3 * torch.randn(args.batch, 69, generator=gen)
    orient = torch.randn(args.batch, 3, generator=gen)
    with torch.no_grad():
        t_ours = best_time(lambda: ours(betas, pose, orient), args.repeat)
        t_peer = best_time(
            lambda: peer(betas=betas, body_pose=pose, global_orient=orient),
            args.repeat)
    print(f'batch {args.batch}, {args.threads} thread(s)')
    print(f'smplx.SMPL forward          {1000 * t_peer:8.2f} ms')
    print(f'hpse_bench SMPL + keypoints {1000 * t_ours:8.2f} ms')
    print(f'ratio                       {t_ours / t_peer:8.2f}x '
          '(target <= 1.3x)')
    rotmat = torch.matrix_exp(
        torch.linalg.cross(
            torch.eye(3).expand(args.batch, 24, 3, 3),
            0.3 * torch.randn(args.batch, 24, 1, 3, generator=gen),
            dim=-1)).detach()

    def step(keypoints_only: bool) -> None:
        r = rotmat.clone().requires_grad_(True)
        b = betas.clone().requires_grad_(True)
        if keypoints_only:
            out = ours.keypoints_only(b, r)
        else:
            out = ours(b, r[:, 1:], r[:, :1], pose2rot=False)
        loss = sum(out[k].sum()
                   for k in ('keypoints_coco17', 'keypoints_h36m17'))
        loss.backward()

    t_full = best_time(lambda: step(False), args.repeat)
    t_kp = best_time(lambda: step(True), args.repeat)
    print(f'SMPL forward+backward       {1000 * t_full:8.2f} ms')
    print(f'keypoints_only fwd+bwd      {1000 * t_kp:8.2f} ms')
    print(f'ratio                       {t_kp / t_full:8.2f}x '
          '(target <= 0.25x)')
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build_embedded_smpl(tmp)
        print(f'build_embedded_smpl         {time.perf_counter() - start:8.2f}'
              ' s (target < 10 s)')


if __name__ == '__main__':
    main()
