"""Study configs expand into the right stages; reports rank correctly."""
import math

import pytest
from mmengine.config import Config

from hpse_bench.study.report import (_mean_std, _rank_marks,
                                     epochs_to_converge)
from hpse_bench.study.spec import build_stages, fraction_tag


def _study(**kw):
    base = dict(
        work_root='w',
        fractions=[1.0, 0.1],
        seeds=[0, 1],
        pretrain=dict(
            scratch=dict(),
            a=dict(config='configs/_base_/default_runtime.py')),
        finetune=dict(r=dict(config='configs/_base_/default_runtime.py')),
        table=dict(columns=[dict(key='m', name='M')]))
    base.update(kw)
    return Config(base)


def test_stage_matrix_and_dependencies():
    stages = build_stages(_study())
    names = [s.name for s in stages]
    # 2 seeds x (pretrain + export) for 'a'; 2 methods x 2 fractions x 2
    # seeds x (finetune + test).
    assert len(stages) == 2 * 2 + 2 * 2 * 2 * 2
    assert len(set(names)) == len(names)
    by_name = {s.name: s for s in stages}
    for s in stages:
        for dep in s.depends:
            assert names.index(dep) < names.index(s.name)
    ft = by_name['finetune/r/a/10p/seed1']
    assert ft.depends == ['export/a/seed1']
    assert ft.cfg_options['train_dataloader.dataset.fraction'] == 0.1
    assert ft.cfg_options['randomness.seed'] == 1
    assert by_name['finetune/r/scratch/100p/seed0'].depends == []
    assert by_name['finetune/r/scratch/100p/seed0'].extra['backbone'] is None


def test_regressor_pairs_only_with_listed_methods():
    stages = build_stages(
        _study(finetune=dict(
            r=dict(config='configs/_base_/default_runtime.py',
                   pretrain=['a']))))
    assert not any('scratch' in s.name for s in stages)
    with pytest.raises(KeyError, match='nope'):
        build_stages(
            _study(finetune=dict(
                r=dict(config='configs/_base_/default_runtime.py',
                       pretrain=['nope']))))


def test_fingerprint_follows_options():
    a = build_stages(_study())[0]
    b = build_stages(
        _study(pretrain=dict(
            scratch=dict(),
            a=dict(
                config='configs/_base_/default_runtime.py',
                cfg_options={'train_cfg.max_epochs': 3}))))[0]
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == build_stages(_study())[0].fingerprint()


def test_rank_marks_and_statistics():
    assert _rank_marks([3.0, 1.0, 2.0, float('nan')], True) == [
        '', 'best', 'second', ''
    ]
    assert _rank_marks([3.0, 1.0, 2.0], False) == ['best', '', 'second']
    mean, std = _mean_std([1.0, 3.0])
    assert mean == 2.0 and std == pytest.approx(math.sqrt(2.0))
    assert _mean_std([5.0])[1] is None
    assert fraction_tag(0.1) == '10p' and fraction_tag(1.0) == '100p'


def test_epochs_to_converge():
    curve = [[1, 100.0], [2, 60.0], [3, 52.0], [4, 50.0]]
    # within 5 % of the final 50: first value <= 52.5 is epoch 3
    assert epochs_to_converge(curve, 0.05, True) == 3
    assert epochs_to_converge([[1, 10.0], [2, 95.0], [3, 100.0]], 0.05,
                              False) == 2
