"""tools/analysis_tools/analyze_logs.py on a study folder: one line per run,
labelled by its run, short runs drawn; on real MMEngine run logs."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader, TensorDataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'analyze_logs.py')
sys.path.insert(0, osp.dirname(TOOL))
import analyze_logs  # noqa: E402

# A study's training runs: method/fraction/seed, all ending in seed<k>.
RUNS = {
    'finetune/hmr/random_init/100p/seed0': 24,
    'finetune/hmr/jointcon_j/100p/seed0': 24,
    'finetune/hmr/jointcon_j/100p/seed1': 24,
    # Short: fewer logged values than the old default window of 10.
    'finetune/hmr/jointcon_j/10p/seed0': 4,
}


class _Regression(BaseModel):
    """A linear model trained by MMEngine's loop (real logs)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((out - targets)**2).mean())
        return out


def _train(work_dir: str, iters: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 4, generator=gen)
    data = TensorDataset(x, x.sum(1, keepdim=True))
    runner = Runner(
        model=_Regression(),
        work_dir=work_dir,
        experiment_name=f'run_{abs(hash(work_dir))}',
        train_dataloader=DataLoader(data, batch_size=4, shuffle=False),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.02)),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1), checkpoint=None),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=seed))
    runner.train()


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp('study')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i, (run, iters) in enumerate(RUNS.items()):
            _train(str(root / run), iters, seed=i)
    finally:
        torch.set_num_threads(threads)
    # A folder with another kind of log (a test run) is not a training run.
    os.makedirs(root / 'test/hmr/jointcon_j/100p/seed0', exist_ok=True)
    return str(root)


def test_runs_found_below_a_study_folder_and_labelled_by_run(study):
    runs = analyze_logs.find_runs([study])
    assert [d for d, _ in runs] == sorted(
        osp.join(study, r) for r in RUNS)
    assert analyze_logs.run_labels([d for d, _ in runs]) == sorted(
        r[len('finetune/hmr/'):] for r in RUNS)
    # A single named run keeps the path it was given.
    one = osp.join(study, 'finetune/hmr/random_init/100p/seed0')
    assert analyze_logs.run_labels([one]) == [one]
    with pytest.raises(SystemExit, match='no MMEngine run below it'):
        analyze_logs.find_runs([osp.join(study, 'test')])


def test_plot_curve_draws_every_run_with_its_points(study, tmp_path):
    out = str(tmp_path / 'loss.png')
    drawn = analyze_logs.plot_curve(
        analyze_logs.find_runs([osp.join(study, 'finetune')]), ['loss'], out)
    assert osp.getsize(out) > 1000
    # Four distinct labels (the folder names alone read 'seed0' three
    # times).
    assert sorted(drawn) == sorted(r[len('finetune/hmr/'):] for r in RUNS)
    for run, iters in RUNS.items():
        steps, rel = drawn[run[len('finetune/hmr/'):]]['loss']
        # One point per logged iteration, the short run included.
        assert list(steps) == list(range(1, iters + 1))
        assert rel[0] == 1.0 and np.isfinite(rel).all()


def test_moving_mean_by_hand():
    values = np.array([4.0, 2.0, 6.0, 8.0])
    # Window 2: 4, (4+2)/2, (2+6)/2, (6+8)/2.
    assert analyze_logs.moving_mean(values, 2).tolist() == [4, 3, 4, 7]
    assert analyze_logs.moving_mean(values, 1).tolist() == values.tolist()
    assert analyze_logs.auto_window(4) == 1
    assert analyze_logs.auto_window(300) == 25
    assert analyze_logs.auto_window(120) == 12


def test_command_line_on_a_study_folder(study, tmp_path, capsys):
    out = str(tmp_path / 'cli.png')
    done = subprocess.run(
        [sys.executable, TOOL, 'plot_curve', study, '--out', out],
        capture_output=True, text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'), cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert f'saved {out} ({len(RUNS)} runs)' in done.stdout
    # trend: one table row per run, labelled by its run.
    analyze_logs.main(['trend', osp.join(study, 'finetune'), '--window', '2'])
    table = capsys.readouterr().out
    for run in RUNS:
        assert f'| {run[len("finetune/hmr/"):]} ' in table
