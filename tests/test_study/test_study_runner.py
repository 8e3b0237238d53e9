"""The study runner end to end on a tiny study, killed and resumed.

Two pre-training methods (random init and JointCon), HMR fine-tuning and
the combined 3DPW / H36M / MuPoTS test, all through tools/*.py subprocesses
on the tiny synthetic dataset of the session.
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _flat_synthetic_options(synthetic_root):
    """Options that make every stage ask for exactly the session's tiny
    dataset (as recorded in its manifest), so none regenerates it."""
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    out = {'synthetic_data.root': 'data/synthetic',
           'synthetic_data.seed': manifest['seed']}
    for split, subsets in manifest['num_images'].items():
        for subset, n in subsets.items():
            out[f'synthetic_data.num_images.{split}.{subset}'] = n
    return out


def _write_study(workspace, synthetic_root, fractions=(1.0, )):
    cfg = f"""
study_name = 'tiny'
work_root = 'work_dirs/study/tiny'
seeds = [0]
fractions = {list(fractions)!r}
stage_cfg_options = {_flat_synthetic_options(synthetic_root)!r}
pretrain = dict(
    random_init=dict(label='Random init', data='-'),
    jointcon_j=dict(
        label='JointCon (J)',
        data='synthetic COCO',
        config={osp.join(REPO, 'configs/pretrain/jointcon-j_r18_1xb8-2e_coco_synthetic.py')!r},
        cfg_options={{'train_cfg.max_epochs': 1,
                      'train_dataloader.batch_size': 4,
                      'train_dataloader.num_workers': 0,
                      'train_dataloader.persistent_workers': False}},
        annotation='bbox+pose'))
finetune = dict(
    hmr=dict(
        config={osp.join(REPO, 'configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')!r},
        cfg_options={{'train_cfg.max_epochs': 1,
                      'default_hooks.checkpoint.interval': 1,
                      'train_dataloader.batch_size': 4,
                      'train_dataloader.num_workers': 0,
                      'train_dataloader.persistent_workers': False,
                      'val_dataloader.num_workers': 0,
                      'val_dataloader.persistent_workers': False,
                      'test_dataloader.num_workers': 0,
                      'test_dataloader.persistent_workers': False}},
        test_cfg_options={{'test_dataloader.num_workers': 0,
                           'test_dataloader.persistent_workers': False}}))
table = dict(columns=[
    dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True),
    dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
    dict(key='mupots/pck_all', name='MuPoTS 3DPCK', lower_is_better=False)],
    curve_metric='3dpw/pa_mpjpe')
"""
    path = osp.join(workspace, 'tiny_study.py')
    with open(path, 'w') as f:
        f.write(cfg)
    return path


@pytest.fixture()
def workspace(tmp_path, synthetic_root):
    os.makedirs(tmp_path / 'data')
    os.symlink(synthetic_root, tmp_path / 'data' / 'synthetic')
    return str(tmp_path), synthetic_root


def _study_cmd(study):
    return [sys.executable, osp.join(REPO, 'tools', 'study.py'), study]


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    return env


def _done_records(workspace):
    out = {}
    for path in glob.glob(
            osp.join(workspace, 'work_dirs/study/tiny/**/DONE.json'),
            recursive=True):
        with open(path) as f:
            rec = json.load(f)
        out[rec['stage']] = (rec, os.stat(path).st_mtime_ns)
    return out


def _raw_test_metrics(test_dir):
    """The metrics line MMEngine's LoggerHook wrote, read independently."""
    runs = sorted(d for d in glob.glob(osp.join(test_dir, '2*'))
                  if osp.isdir(d))
    with open(osp.join(runs[-1], osp.basename(runs[-1]) + '.json')) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    return lines[-1]


@pytest.mark.slow
def test_study_runs_is_resumable_and_reports_the_logged_numbers(workspace):
    workspace, synthetic_root = workspace
    study = _write_study(workspace, synthetic_root)

    # First run: kill it (the whole process group) as soon as the
    # pre-training stage has finished and the next one is under way.
    proc = subprocess.Popen(
        _study_cmd(study), cwd=workspace, env=_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.time() + 600
    killed = False
    while time.time() < deadline and proc.poll() is None:
        if 'pretrain/jointcon_j/seed0' in _done_records(workspace):
            time.sleep(3)
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(1)
    proc.wait(timeout=60)
    out = proc.stdout.read().decode()
    assert killed, f'pre-training never finished:\n{out[-3000:]}'
    before = _done_records(workspace)
    assert 'pretrain/jointcon_j/seed0' in before
    assert not any(k.startswith('test/') for k in before)

    # Second run: completes, and does not redo what was finished.
    result = subprocess.run(
        _study_cmd(study), cwd=workspace, env=_env(),
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    assert 'already done' in result.stdout
    after = _done_records(workspace)
    for stage, (_, mtime) in before.items():
        assert after[stage][1] == mtime, f'{stage} was redone'
    expected_stages = {
        'pretrain/jointcon_j/seed0', 'export/jointcon_j/seed0',
        'finetune/hmr/random_init/100p/seed0',
        'finetune/hmr/jointcon_j/100p/seed0',
        'test/hmr/random_init/100p/seed0', 'test/hmr/jointcon_j/100p/seed0'
    }
    assert set(after) == expected_stages

    # The report's numbers are the numbers in the test runs' own logs.
    report = osp.join(workspace, 'work_dirs/study/tiny/report')
    with open(osp.join(report, 'results.csv')) as f:
        rows = [line.rstrip('\n').split(',') for line in f][1:]
    header, rows = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    checked = 0
    for row in rows:
        method, metric, mean = row[col['method']], row[col['metric']], row[
            col['mean']]
        test_dir = osp.join(workspace, 'work_dirs/study/tiny/test/hmr',
                            method, '100p', 'seed0')
        logged = _raw_test_metrics(test_dir)[metric]
        assert float(mean) == pytest.approx(logged, abs=1e-4)
        checked += 1
    assert checked == 6
    with open(osp.join(report, 'results.md')) as f:
        md = f.read()
    assert 'JointCon (J)' in md and '**' in md
    assert glob.glob(osp.join(report, 'curve_hmr_100p.png'))
    prov = json.load(open(osp.join(report, 'provenance.json')))
    assert prov['seeds'] == [0] and prov['hpse_bench']
    assert all(v['fingerprint'] for v in prov['stages'].values())

    # A third run finds everything done and only reports.
    result = subprocess.run(
        _study_cmd(study), cwd=workspace, env=_env(),
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0
    assert '6 stages, 6 already done' in result.stdout
