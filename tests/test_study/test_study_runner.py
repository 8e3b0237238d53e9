"""The study runner end to end on a tiny study: parallel stages, a kill and
a resume, then the faults of a careless or hostile user on copies of the
finished work root.

Random init and JointCon (J), HMR fine-tuning, the combined 3DPW / H36M /
MuPoTS test, the constant baselines and the frozen-backbone probes: nine
real subprocess stages through the installed entry points, on the tiny
synthetic dataset of the session, two at a time with one thread each.
"""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import time
from io import StringIO

import pytest
from study_fixtures import (WORK_ROOT, child_env, done_records,
                            make_workspace, raw_test_metrics, results_csv,
                            study_cmd, tiny_study_text, write_study)

from hpse_bench.study import StudyIntegrityError, StudyRunner

pytestmark = pytest.mark.slow

# Parallel stages, both read-outs, device profiles (the CPU one sets the
# fine-tuning batch), and a pinned code identity: other edits of the
# checkout while the tests run must not re-run the finished stages.
EXTRA = """
parallel = dict(workers=2, threads_per_stage=1)
baselines = True
probes = dict(enable=True)
code_version = 'tiny-study-test'
profiles = dict(
    cpu=dict(finetune=dict(hmr=dict(cfg_options={
        'train_dataloader.batch_size': 4}))),
    cuda=dict(finetune=dict(hmr=dict(cfg_options={
        'train_dataloader.batch_size': 8}))))
"""
STAGES = {
    'pretrain/jointcon_j/seed0', 'export/jointcon_j/seed0',
    'finetune/hmr/random_init/100p/seed0',
    'finetune/hmr/jointcon_j/100p/seed0', 'test/hmr/random_init/100p/seed0',
    'test/hmr/jointcon_j/100p/seed0', 'baseline/hmr',
    'probe/random_init/seed0', 'probe/jointcon_j/seed0'
}
RECORD_FIELDS = ('kind', 'method', 'regressor', 'fraction', 'seed',
                 'fingerprint', 'profile', 'result', 'seconds', 'command')


def _alive(pid):
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f'/proc/{pid}/status') as f:
            return 'State:\tZ' not in f.read()
    except FileNotFoundError:
        return False


def _running_stage_pids(root):
    """Pids of stages started but not finished (from their STAGE.json)."""
    pids = {}
    for dirpath, _, files in os.walk(root):
        if 'STAGE.json' in files and 'DONE.json' not in files and \
                '.stale' not in dirpath:
            with open(osp.join(dirpath, 'STAGE.json')) as f:
                marker = json.load(f)
            if marker.get('pid'):
                pids[marker['stage']] = marker['pid']
    return pids


def _wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f'timed out waiting for {what}')


@pytest.fixture(scope='module')
def finished(synthetic_root, tmp_path_factory):
    """The tiny study, SIGKILLed once mid-run and resumed to the end."""
    workspace = make_workspace(tmp_path_factory.mktemp('study'),
                               synthetic_root)
    study = write_study(workspace,
                        tiny_study_text(synthetic_root, extra=EXTRA))
    root = osp.join(workspace, WORK_ROOT)
    # First run: SIGKILL the study process alone (not its group) when
    # pre-training is done and the next stages run.
    proc = subprocess.Popen(
        study_cmd(study), cwd=workspace, env=child_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    _wait_until(
        lambda: proc.poll() is not None or
        ('pretrain/jointcon_j/seed0' in done_records(workspace) and
         _running_stage_pids(root)), 900, 'pre-training to finish')
    time.sleep(2)
    running = _running_stage_pids(root)
    if proc.poll() is not None:
        pytest.fail('the study ended before it was killed:\n' +
                    proc.communicate()[0].decode()[-5000:])
    os.kill(proc.pid, signal.SIGKILL)
    first_out = proc.communicate(timeout=60)[0].decode()
    assert running, first_out[-3000:]
    before = done_records(workspace)
    # The stages it ran were told (PR_SET_PDEATHSIG) and ended.
    _wait_until(lambda: not any(_alive(p) for p in running.values()), 60,
                f'the orphaned stages {running} to end')

    # Second run: completes, and redoes nothing that was finished.
    second = subprocess.run(
        study_cmd(study), cwd=workspace, env=child_env(),
        capture_output=True, text=True, timeout=1200)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[
        -3000:]
    after = done_records(workspace)
    # Third run: everything done; it only reports.
    third = subprocess.run(
        study_cmd(study), cwd=workspace, env=child_env(),
        capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-3000:]
    return dict(workspace=workspace, study=study, root=root,
                first_out=first_out, second=second, third=third,
                running=running, before=before, after=after)


def test_kill_and_resume_redo_nothing_finished(finished):
    assert 'pretrain/jointcon_j/seed0' in finished['before']
    for stage, (_, mtime) in finished['before'].items():
        assert finished['after'][stage][1] == mtime, f'{stage} was redone'
    assert set(finished['after']) == STAGES
    assert f'{len(finished["before"])} already done' in \
        finished['second'].stdout
    assert f'{len(STAGES)} stages, {len(STAGES)} already done, 0 run' in \
        finished['third'].stdout
    assert done_records(finished['workspace']) == finished['after']


def test_report_holds_the_logged_numbers(finished):
    workspace, root = finished['workspace'], finished['root']
    table = results_csv(workspace)
    assert len(table) == 6
    for (method, metric), mean in table.items():
        logged = raw_test_metrics(
            osp.join(root, 'test/hmr', method, '100p', 'seed0'))[metric]
        assert mean == pytest.approx(logged, abs=1e-4)
    with open(osp.join(root, 'report', 'results.md')) as f:
        md = f.read()
    assert 'JointCon (J)' in md and '**' in md
    assert osp.isfile(osp.join(root, 'report', 'curve_hmr_100p.png'))
    with open(osp.join(root, 'report', 'provenance.json')) as f:
        prov = json.load(f)
    assert prov['seeds'] == [0] and prov['hpse_bench']
    assert prov['profile'] == 'cpu'
    assert prov['code_version'] == 'tiny-study-test'
    assert set(prov['stages']) == STAGES
    assert all(v['fingerprint'] and v['profile'] == 'cpu'
               for v in prov['stages'].values())


def test_records_carry_what_made_them(finished):
    records = {k: v for k, (v, _) in finished['after'].items()}
    for name, rec in records.items():
        assert all(field in rec for field in RECORD_FIELDS), name
        assert rec['profile'] == 'cpu'
        assert rec['command'].split()[1:3] == ['-m', {
            'pretrain': 'hpse_bench.apis.train',
            'finetune': 'hpse_bench.apis.train',
            'test': 'hpse_bench.apis.test',
            'export': 'hpse_bench.apis.export_backbone',
            'baseline': 'hpse_bench.apis.baselines',
            'probe': 'hpse_bench.apis.probe'
        }[rec['kind']]]
    # The CPU profile's batch reached the fine-tuning run.
    assert 'train_dataloader.batch_size=4' in records[
        'finetune/hmr/jointcon_j/100p/seed0']['command']
    # Baseline and probe results are the files the entry points wrote.
    root = finished['root']
    with open(osp.join(root, 'baseline/hmr/baselines.json')) as f:
        assert records['baseline/hmr']['result'] == json.load(f)
    assert set(records['baseline/hmr']['result']['rows']) == {
        'mean_smpl_pose', 'train_mean_pose', 'oracle_pose_mean_shape'
    }
    for method in ('random_init', 'jointcon_j'):
        rec = records[f'probe/{method}/seed0']
        with open(osp.join(root, 'probe', method, 'seed0',
                           'probe.json')) as f:
            assert rec['result'] == json.load(f)
        assert 'probe/3d_pa_mpjpe' in rec['result']['metrics']
    backbone = records['export/jointcon_j/seed0']['result']['backbone_sha256']
    assert records['probe/jointcon_j/seed0']['fingerprint_parts']['inputs'][
        'parent'] == {'backbone': backbone}
    assert records['probe/random_init/seed0']['fingerprint_parts']['inputs'][
        'parent'] == {}


def test_independent_stages_ran_in_parallel_one_thread_each(finished):
    records = [v for v, _ in finished['after'].values()]
    spans = sorted((r['start_time'], r['end_time']) for r in records)
    overlaps = sum(1 for (s0, e0), (s1, _) in zip(spans, spans[1:])
                   if s1 < e0)
    assert overlaps >= 1
    assert '(running: 2)' in finished['first_out']
    for rec in records:
        assert rec['threads'] == 1
    for name in STAGES:
        stage_dir = osp.join(finished['root'], *name.split('/'))
        if name.startswith('export/'):
            stage_dir = osp.join(finished['root'], 'pretrain', 'jointcon_j',
                                 'seed0', 'export')
        with open(osp.join(stage_dir, 'stage.log')) as f:
            assert f.readline().startswith(
                '$ OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ')


def _copy_workspace(finished, dest):
    """A copy of the finished workspace; checkpoints are hard links (the
    runner never rewrites a checkpoint in place; the tests replace, not
    truncate, the ones they damage)."""

    def link_or_copy(src, dst):
        if src.endswith('.pth'):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(finished['workspace'], dest, symlinks=True,
                    copy_function=link_or_copy)
    return str(dest)


def _replace_truncated(path):
    with open(path, 'rb') as f:
        head = f.read(1000)
    os.remove(path)
    with open(path, 'wb') as f:
        f.write(head)


def test_changes_rerun_the_stage_and_everything_after_it(finished, tmp_path):
    workspace = _copy_workspace(finished, tmp_path / 'ws')
    root = osp.join(workspace, WORK_ROOT)
    before = done_records(workspace)
    table_before = results_csv(workspace)
    # 1. JointCon's pre-training lr changes in the study config.
    with open(finished['study']) as f:
        text = f.read()
    text = text.replace("'train_cfg.max_epochs': 1,\n",
                        "'train_cfg.max_epochs': 1,\n"
                        "                      'optim_wrapper.optimizer.lr'"
                        ": 0.5,\n", 1)
    study = write_study(workspace, text)
    # 2. Random init's fine-tuning lost its record, and its checkpoint was
    #    truncated (a full disk): it cannot resume.
    ft_dir = osp.join(root, 'finetune/hmr/random_init/100p/seed0')
    os.remove(osp.join(ft_dir, 'DONE.json'))
    ckpt = osp.join(ft_dir, 'epoch_1.pth')
    _replace_truncated(ckpt)

    out = StringIO()
    cwd = os.getcwd()
    os.chdir(workspace)
    try:
        StudyRunner(study, stream=out).run()
    finally:
        os.chdir(cwd)
    log = out.getvalue()
    after = done_records(workspace)
    rerun = {k for k in after if after[k][1] != before.get(k, (0, 0))[1]}
    assert rerun == STAGES - {'baseline/hmr', 'probe/random_init/seed0'}
    assert 'pretrain/jointcon_j/seed0: changed (config)' in log
    # (its export lived in its folder and moved aside with it)
    assert 'finetune/hmr/jointcon_j/100p/seed0: changed (config, parent ' \
        'output)' in log
    assert 'probe/jointcon_j/seed0: changed (parent output)' in log
    ckpt_rel = osp.join(WORK_ROOT, 'finetune/hmr/random_init/100p/seed0',
                        'epoch_1.pth')
    line = next(x for x in log.splitlines()
                if 'finetune/hmr/random_init/100p/seed0: cannot resume' in x)
    assert ckpt_rel in line and 'CheckpointReadError' in line
    assert 'running it again from scratch' in line
    # The new fine-tuning started from scratch: no resume in its command,
    # and the old folder (with the truncated file) was moved aside.
    assert '--resume' not in after['finetune/hmr/random_init/100p/seed0'][0][
        'command']
    stale = [
        d for d, _, files in os.walk(osp.join(root, '.stale'))
        if 'epoch_1.pth' in files and d.endswith('random_init/100p/seed0')
    ]
    assert len(stale) == 1
    assert os.path.getsize(osp.join(stale[0], 'epoch_1.pth')) == 1000
    # The table is the new runs' logs; JointCon's row changed.
    table = results_csv(workspace)
    for (method, metric), mean in table.items():
        logged = raw_test_metrics(
            osp.join(root, 'test/hmr', method, '100p', 'seed0'))[metric]
        assert mean == pytest.approx(logged, abs=1e-4)
    assert table[('jointcon_j', '3dpw/pa_mpjpe')] != table_before[(
        'jointcon_j', '3dpw/pa_mpjpe')]


def test_a_record_that_disagrees_with_its_log_is_refused(finished, tmp_path):
    workspace = _copy_workspace(finished, tmp_path / 'ws')
    done = osp.join(workspace, WORK_ROOT, 'test/hmr/jointcon_j/100p/seed0',
                    'DONE.json')
    with open(done) as f:
        record = json.load(f)
    logged = record['result']['metrics']['3dpw/pa_mpjpe']
    record['result']['metrics']['3dpw/pa_mpjpe'] = 42.0
    with open(done, 'w') as f:
        json.dump(record, f)
    before = done_records(workspace)
    stale = osp.join(workspace, WORK_ROOT, '.stale')
    stale_before = sorted(os.walk(stale))
    cwd = os.getcwd()
    os.chdir(workspace)
    try:
        with pytest.raises(StudyIntegrityError) as err:
            StudyRunner(finished['study'], stream=StringIO()).run()
    finally:
        os.chdir(cwd)
    text = str(err.value)
    assert osp.join(WORK_ROOT, 'test/hmr/jointcon_j/100p/seed0',
                    'DONE.json') in text
    assert f'result.metrics.3dpw/pa_mpjpe: 42.0 in DONE.json, {logged!r} in ' \
        'the logs' in text
    # Nothing ran, nothing moved.
    assert done_records(workspace) == before
    assert sorted(os.walk(stale)) == stale_before
    # The report refuses it too.
    result = subprocess.run(
        study_cmd(finished['study'], '--report-only'), cwd=workspace,
        env=child_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert 'disagrees with the logs of its run' in result.stderr


def _wait_for_stage(proc, root, name, old_pid):
    """The pid of stage ``name`` once ``proc`` (a study) started it."""
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f'the study ended (exit {proc.returncode}) before '
                        f'{name} started:\n{out[-3000:]}\n{err[-3000:]}')
        pid = _running_stage_pids(root).get(name)
        if pid not in (None, old_pid) and _alive(pid):
            return pid
        time.sleep(0.5)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f'{name} did not start:\n{out[-3000:]}\n{err[-3000:]}')


def _start_study(study, workspace):
    return subprocess.Popen(
        study_cmd(study), cwd=workspace, env=child_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def test_one_study_per_work_root_and_signals_reach_the_stage(
        finished, tmp_path):
    workspace = _copy_workspace(finished, tmp_path / 'ws')
    root = osp.join(workspace, WORK_ROOT)
    name = 'test/hmr/random_init/100p/seed0'
    test_dir = osp.join(root, name)
    os.remove(osp.join(test_dir, 'DONE.json'))
    for signum in (signal.SIGTERM, signal.SIGINT):
        old = _running_stage_pids(root).get(name)
        first = _start_study(finished['study'], workspace)
        pid = _wait_for_stage(first, root, name, old)
        if signum == signal.SIGTERM:
            second = subprocess.run(
                study_cmd(finished['study']), cwd=workspace,
                env=child_env(), capture_output=True, text=True,
                timeout=300)
            assert second.returncode == 1
            assert f'another study process (pid {first.pid} ' in \
                second.stderr
            assert 'is running on the work root' in second.stderr
        os.kill(first.pid, signum)
        _, err = first.communicate(timeout=120)
        assert first.returncode == 128 + signum, err[-3000:]
        assert f'interrupted by {signal.Signals(signum).name}; stopped ' \
            f'{name}' in err
        assert not _alive(pid)
        # The stage's folder keeps its marker: the next run restarts it.
        with open(osp.join(test_dir, 'STAGE.json')) as f:
            assert json.load(f)['pid'] == pid


def test_malformed_command_line_options_name_the_key(finished, tmp_path):
    for options, message in (
        (['foo'], '--cfg-options: "foo" is not KEY=VALUE'),
        (['seeds=abc'], "seeds: expected a list of integers (e.g. seeds = "
         "[0, 1, 2]), got 'abc'"),
        (['pretrain.random_init=3'], 'pretrain.random_init: expected a dict'),
    ):
        result = subprocess.run(
            study_cmd(finished['study'], '--work-root', str(tmp_path),
                      '--cfg-options', *options),
            cwd=finished['workspace'], env=child_env(), capture_output=True,
            text=True, timeout=300)
        assert result.returncode == 2, result.stderr[-2000:]
        assert message in result.stderr
