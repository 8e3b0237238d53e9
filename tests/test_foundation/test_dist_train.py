"""tools/dist_train.sh CONFIG 2 trains on the CPU and the ranks agree."""
import json
import os
import os.path as osp
import random
import subprocess
import sys

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
