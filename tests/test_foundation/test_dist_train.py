"""tools/dist_train.sh CONFIG 2 trains on the CPU and the ranks agree; the
real (SyncBN) configs run there too, and a frozen rank ends the run within
the collective timeout, with a message."""
import json
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import time

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
@pytest.mark.dist
def test_dist_train_two_cpu_processes_end_with_identical_weights(
        tmp_path, synthetic_root):
    os.makedirs(tmp_path / 'data')
    os.symlink(synthetic_root, tmp_path / 'data' / 'synthetic')
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    base = osp.join(REPO, 'configs', 'pretrain',
                    'jointcon-j_r18_1xb8-2e_coco_synthetic.py')
    config = tmp_path / 'jointcon_dist.py'
    config.write_text(
        f'_base_ = [{base!r}]\n'
        f"synthetic_data = dict(root='data/synthetic', "
        f"num_images={manifest['num_images']!r}, seed={manifest['seed']})\n"
        'train_dataloader = dict(batch_size=2, num_workers=0, '
        'persistent_workers=False)\n'
        'train_cfg = dict(max_epochs=1)\n'
        "custom_hooks = [dict(type='ReplicaConsistencyHook')]\n")
    env = dict(os.environ)
    env['PORT'] = str(random.randint(29600, 39999))
    env['OMP_NUM_THREADS'] = '1'
    # dist_train.sh runs the `python` on PATH: make it this interpreter.
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(config), '2',
         '--work-dir', str(work_dir)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    log = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, log
    assert 'Distributed training: True' in result.stdout + result.stderr
    with open(work_dir / 'replica_digests.json') as f:
        digests = json.load(f)
    assert len(digests['digests']) == 2, digests
    assert digests['consistent'], digests
    # Training happened: a checkpoint of the last epoch exists.
    assert (work_dir / 'epoch_1.pth').is_file()


def test_train_names_a_missing_data_root(tmp_path):
    config = osp.join(REPO, 'configs', 'finetune',
                      'hmr_r50_1xb64-120e_h36m-coco_100p.py')
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
         '--work-dir', str(tmp_path / 'w')],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    err = result.stderr
    assert 'missing inputs' in err
    assert "data_root: folder \"data/\" does not exist" in err
    assert str(tmp_path) in err  # where it looked


def test_train_names_a_missing_config(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'),
         str(tmp_path / 'nope.py')],
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'config file not found' in result.stderr
    assert 'nope.py' in result.stderr


def _dist_env(**extra):
    env = dict(os.environ)
    env['PORT'] = str(random.randint(29600, 39999))
    env['OMP_NUM_THREADS'] = '1'
    # dist_train.sh runs the `python` on PATH: make it this interpreter.
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env.update(extra)
    return env


def _descendants(pid):
    """Every process below ``pid`` (torchrun starts its workers in sessions
    of their own, so killing the launcher's group does not reach them)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _run_group(args, cwd, env, timeout):
    """Run ``args``; kill it and every process below it if it is still
    running after ``timeout`` s (a stopped rank must not outlive the test).

    Returns ``(returncode or None when killed, output, seconds)``.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        for pid in _descendants(proc.pid) + [proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out, _ = proc.communicate(timeout=60)
        code = None
    return code, out, time.monotonic() - start


@pytest.mark.slow
@pytest.mark.dist
def test_real_syncbn_config_trains_on_two_cpu_processes(
        tmp_path, synthetic_root):
    """The user's command on the real JointCon config (SyncBN), shrunk to
    one iteration on the tiny synthetic COCO split."""
    coco = osp.join(synthetic_root, 'coco', '')
    work_dir = tmp_path / 'work'
    code, out, _ = _run_group(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
         osp.join(REPO, 'configs', 'pretrain', 'jointcon.py'), '2',
         '--work-dir', str(work_dir), '--cfg-options',
         f'train_dataloader.dataset.data_root={coco}',
         'train_dataloader.dataset.ann_file='
         'annotations/person_keypoints_train.json',
         'train_dataloader.dataset.data_prefix.img=images/train/',
         'train_dataloader.dataset.indices=4',
         'train_dataloader.dataset.pipeline.1.input_size=(48,64)',
         'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1'],
        cwd=tmp_path, env=_dist_env(), timeout=600)
    assert code == 0, out[-6000:]
    assert 'Distributed training: True' in out
    assert 'SyncBN (model.backbone.norm_cfg.type) runs as BatchNorm' in out
    assert 'SyncBatchNorm layers run as BatchNorm on CPU' in out
    assert (work_dir / 'epoch_1.pth').is_file()


FREEZE_HOOK = """
import os
import signal

from mmengine.hooks import Hook

from hpse_bench.registry import HOOKS


@HOOKS.register_module()
class FreezeRankHook(Hook):
    # Rank 1 stops itself (SIGSTOP) before its second iteration.
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.rank == 1 and runner.iter == 1:
            os.kill(os.getpid(), signal.SIGSTOP)
"""


@pytest.mark.slow
@pytest.mark.dist
def test_frozen_rank_ends_the_run_within_the_timeout(tmp_path,
                                                     synthetic_root):
    (tmp_path / 'freeze_rank.py').write_text(FREEZE_HOOK)
    base = osp.join(REPO, 'configs', 'pretrain',
                    'jointcon-j_r18_1xb8-2e_coco_synthetic.py')
    config = tmp_path / 'jointcon_freeze.py'
    config.write_text(
        f'_base_ = [{base!r}]\n'
        'custom_imports = dict(imports=["hpse_bench", "freeze_rank"], '
        'allow_failed_imports=False)\n'
        'synthetic_data = None\n'
        f'train_dataloader = dict(batch_size=2, num_workers=0, '
        f'persistent_workers=False, dataset=dict(indices=8, '
        f'data_root={osp.join(synthetic_root, "coco", "")!r}))\n'
        'train_cfg = dict(max_epochs=1)\n'
        'custom_hooks = [dict(type="FreezeRankHook")]\n')
    timeout = 10
    env = _dist_env(
        HPSE_DIST_TIMEOUT=str(timeout),
        # torchrun's wait for a worker to leave after SIGTERM (a stopped
        # process cannot), 30 s by default.
        TORCH_ELASTIC_SHUTDOWN_TIMEOUT='5',
        PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get(
            'PYTHONPATH', ''))
    code, out, seconds = _run_group(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(config), '2',
         '--work-dir', str(tmp_path / 'work')],
        cwd=tmp_path, env=env, timeout=180)
    assert code is not None, 'the run hung: ' + out[-3000:]
    assert code != 0
    assert (f'a collective operation timed out after {timeout} s: another '
            'rank stopped responding') in out, out[-6000:]
    assert 'HPSE_DIST_TIMEOUT' in out
    assert seconds < 150, seconds
