"""configs/study/demo_synthetic.py, the README's main job, as the runner
expands it on each device profile: the cells that carry the contrasts,
three seeds, baselines and probes, equal fine-tuning schedules, and stage
options that every stage's config really reads (the CUDA profile cannot be
run here, so its overrides are checked against the configs they target)."""
import os.path as osp
from collections import Counter

import pytest
from mmengine.config import Config

from hpse_bench.apis.launch import merge_cfg_options
from hpse_bench.study.spec import build_stages
from hpse_bench.study.study_config import load_study

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDY = osp.join(REPO, 'configs', 'study', 'demo_synthetic.py')
METHODS = {'random_init', 'pose2d', 'jointcon_j', 'densepose', 'simclr'}


def _resolved(stage) -> Config:
    cfg = Config.fromfile(osp.join(REPO, stage.config))
    merge_cfg_options(cfg, stage.cfg_options)
    return cfg


@pytest.mark.parametrize('profile', ['cpu', 'cuda'])
def test_default_study_expands_to_its_cells(profile, monkeypatch):
    monkeypatch.chdir(REPO)
    study, name = load_study(STUDY, profile=profile)
    assert name == profile
    stages = build_stages(study)
    assert Counter(s.kind for s in stages) == dict(
        pretrain=12, export=12, finetune=15, test=15, probe=15, baseline=1)
    assert set(study.pretrain) == METHODS
    assert len(study.seeds) >= 3
    finetunes = [s for s in stages if s.kind == 'finetune']
    assert {s.method for s in finetunes} == METHODS
    iters, widths = set(), set()
    for stage in stages:
        if stage.kind not in ('pretrain', 'finetune') or stage.seed != 0:
            continue
        # Raises on an option no part of the config reads.
        cfg = _resolved(stage)
        widths.add(cfg.model.backbone.base_channels)
        if stage.kind == 'finetune':
            iters.add(cfg.train_cfg.max_iters)
            # The cosine decay ends with the run.
            assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters
    # One schedule for every initialisation; one width per profile.
    assert len(iters) == 1 and len(widths) == 1
    assert widths == ({16} if profile == 'cpu' else {64})
