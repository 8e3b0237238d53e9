"""Configs of the second study (2D pre-training for 3D pose): the backbone
size sweep, the 3D-only schedules against the compute rule, the
cross-dataset test sets, and the study configs' stages."""
import os.path as osp
from collections import Counter

import pytest
from mmengine.config import Config

from hpse_bench.study.compute_budget import (matched_scratch_epochs,
                                             scaled_milestones)
from hpse_bench.study.spec import build_stages

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')
DEPTHS = (18, 34, 50, 101, 152)
# Channels of ResNet's last stage: basic blocks (18, 34) end with 512,
# bottlenecks with 4 x 512.
LAST_CHANNELS = {18: 512, 34: 512, 50: 2048, 101: 2048, 152: 2048}
TRAIN_SETS = ('h36m', 'occlusion-person', 'h36m-occlusion-person')
STUDIES = ('mills_2d_pretrain', 'mills_2d_pretrain_synthetic')

_cache = {}


def load(*parts) -> Config:
    path = osp.join(CONFIGS, *parts)
    if path not in _cache:
        _cache[path] = Config.fromfile(path)
    return _cache[path]


def _without(d, *paths):
    """A plain copy of ``d`` without the dotted ``paths``."""
    out = Config(dict(d)).to_dict()
    for path in paths:
        *head, last = path.split('.')
        node = out
        for key in head:
            node = node[key]
        node.pop(last, None)
    return out


@pytest.mark.parametrize('data, keypoints', [('mpii', 16), ('lsp', 14)])
@pytest.mark.parametrize('depth', DEPTHS)
def test_2d_configs_change_only_depth_and_channels(depth, data, keypoints):
    name = f'pose2d-simplebaseline_r{depth}_4xb64-140e_{data}-256x256.py'
    cfg = load('pretrain', name)
    ref = load('pretrain',
               f'pose2d-simplebaseline_r50_4xb64-140e_{data}-256x256.py')
    assert cfg.model.backbone.depth == depth
    assert cfg.model.head.in_channels == LAST_CHANNELS[depth]
    assert cfg.model.head.out_channels == keypoints
    skip = ('model.backbone.depth', 'model.head.in_channels')
    for key in ref.keys():
        if key == 'model':
            assert _without(cfg.model, *[s[6:] for s in skip]) == \
                _without(ref.model, *[s[6:] for s in skip])
        else:
            assert cfg[key] == ref[key], key


def test_lsp_config_is_the_mpii_recipe_on_lsp():
    lsp = load('pretrain',
               'pose2d-simplebaseline_r50_4xb64-140e_lsp-256x256.py')
    mpii = load('pretrain',
                'pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256.py')
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler'):
        assert lsp[key] == mpii[key]
    assert lsp.model.head.decoder == mpii.model.head.decoder
    assert lsp.train_dataloader.dataset.type == 'hpse_bench.LspDataset'
    assert lsp.val_dataloader.dataset.ann_file == 'annotations/lsp_test.json'
    metrics = {(m.norm_item, m.thr) for m in lsp.val_evaluator}
    assert metrics == {('head', 0.5), ('bbox', 0.2)}
    assert mpii.val_evaluator.type == 'MpiiPCKAccuracy'


@pytest.mark.parametrize('train_set', TRAIN_SETS)
@pytest.mark.parametrize('depth', DEPTHS)
def test_3d_configs_per_depth_and_training_set(depth, train_set):
    pre = load('finetune', f'integral_r{depth}_1xb64-120e_{train_set}.py')
    scratch = load('finetune', f'integral_r{depth}_1xb64-130e_{train_set}.py')
    assert pre.model.type == 'IntegralPoseRegressor'
    assert pre.model.backbone.depth == depth
    assert pre.model.head.in_channels == LAST_CHANNELS[depth]
    assert pre.model.backbone.init_cfg.type == 'Pretrained'
    names = [d.dataset_name for d in pre.train_dataloader.dataset.datasets]
    assert names == {
        'h36m': ['h36m'],
        'occlusion-person': ['occlusion-person'],
        'h36m-occlusion-person': ['h36m', 'occlusion-person']
    }[train_set]
    # Every training set: one epoch length, so one 3D-only rule.
    assert pre.train_dataloader.dataset.num_samples == pre.epoch_samples
    # The 3D-only twin differs in initialisation and schedule only.
    assert scratch.model.backbone.init_cfg is None
    assert _without(scratch.model,
                    'backbone.init_cfg') == _without(pre.model,
                                                     'backbone.init_cfg')
    for key in pre.keys():
        if key not in ('model', 'train_cfg', 'param_scheduler'):
            assert scratch[key] == pre[key], key


def _rule(study: Config, regressor: str):
    """3D-only epochs and milestones by compute_budget's rule from the
    configs' own numbers: the costliest pre-training paired with the
    regressor."""
    rspec = study.finetune[regressor]
    ft = Config.fromfile(rspec.config)
    costs = []
    for method in rspec.pretrain:
        spec = study.pretrain[method]
        if not spec.get('config'):
            continue
        pre = Config.fromfile(spec.config)
        costs.append(
            matched_scratch_epochs(ft.train_cfg.max_epochs,
                                   pre.train_cfg.max_epochs, spec.num_samples,
                                   pre.model.head.decoder.input_size,
                                   ft.epoch_samples, ft.input_size))
    epochs = max(costs)
    milestones = scaled_milestones(ft.param_scheduler[0].milestones,
                                   ft.train_cfg.max_epochs, epochs)
    return epochs, milestones


def test_3d_only_schedule_follows_the_compute_rule():
    study = load('study', 'mills_2d_pretrain.py')
    seen = set()
    for regressor, rspec in study.finetune.items():
        epochs, milestones = _rule(study, regressor)
        scratch = rspec.scratch_cfg_options
        assert scratch['train_cfg.max_epochs'] == epochs
        assert scratch['param_scheduler.0.milestones'] == milestones
        assert scratch['model.backbone.init_cfg'] is None
        # The schedule of the 3D-only config files (the hand-run twins).
        pre_name = osp.basename(rspec.config)
        e_pre = load('finetune', pre_name).train_cfg.max_epochs
        twin = load('finetune', pre_name.replace(f'-{e_pre}e_',
                                                 f'-{epochs}e_'))
        assert twin.train_cfg.max_epochs == epochs
        assert twin.param_scheduler[0].milestones == milestones
        assert twin.model.backbone.init_cfg is None
        seen.add(epochs)
    # The real rule: ceil(140 * 22246 / 312188) = 10 extra epochs.
    assert seen == {130}


def test_synthetic_3d_only_schedule_follows_the_compute_rule():
    """The synthetic study counts in iterations: one iteration of each
    stage is one "epoch" of ``batch`` samples, so the rule adds the 2D
    stage's iterations scaled by batch and crop pixels."""
    study = load('study', 'mills_2d_pretrain_synthetic.py')
    seen = set()
    for regressor, rspec in study.finetune.items():
        ft = Config.fromfile(rspec.config)
        costs = []
        for method in rspec.pretrain:
            spec = study.pretrain[method]
            if not spec.get('config'):
                continue
            pre = Config.fromfile(spec.config)
            costs.append(
                matched_scratch_epochs(ft.train_cfg.max_iters,
                                       pre.train_cfg.max_iters,
                                       pre.train_dataloader.batch_size,
                                       pre.model.head.decoder.input_size,
                                       ft.train_dataloader.batch_size,
                                       ft.input_size))
        iters = max(costs)
        scratch = rspec.scratch_cfg_options
        assert scratch['train_cfg.max_iters'] == iters
        # The cosine decay stretched to the longer run, after the same
        # warm-up.
        assert scratch['param_scheduler.1.end'] == iters
        assert scratch['param_scheduler.1.T_max'] == \
            iters - ft.param_scheduler[1].begin
        assert scratch['model.backbone.init_cfg'] is None
        seen.add((ft.train_cfg.max_iters, iters))
    # 500 2D iterations of batch 32 at 64x64 = 500 3D iterations.
    assert seen == {(500, 1000)}


@pytest.mark.parametrize('name, sets', [
    ('h36m-occlusion-person-pw3d-3dhp_test.py',
     ('h36m', 'h36m-p2', 'occlusion-person', 'pw3d', 'mpi-inf-3dhp')),
    ('h36m-occlusion-person-pw3d-3dhp_test_synthetic.py',
     ('h36m', 'occlusion-person', 'pw3d', 'mupots')),
])
def test_cross_dataset_test_config_routes_every_set(name, sets):
    cfg = load('_base_', 'datasets', name)
    concat = cfg.test_dataloader.dataset
    assert concat.type == 'ConcatDataset'
    assert tuple(d.dataset_name for d in concat.datasets) == sets
    (metric, ) = cfg.test_evaluator
    assert metric.type == 'MultiDatasetMetric'
    assert set(metric.routes) == set(sets)
    for route in metric.routes.values():
        assert route.type == 'HumanMeshMetric'
        assert route.joint_set == 'h36m_17'
        assert 'mpjpe' in route.metrics or 'pa_mpjpe' in route.metrics
    keys = {
        f'{r.prefix}/{m}'
        for r in metric.routes.values()
        for m in r.metrics
    }
    assert {'h36m/mpjpe', 'h36m/pa_mpjpe'} <= keys
    # Validation: Human3.6M alone (the learning curves).
    assert cfg.val_dataloader.dataset.dataset_name == 'h36m'
    assert [m.prefix for m in cfg.val_evaluator] == ['h36m']
    if name.endswith('synthetic.py'):
        occl = concat.datasets[1]
        assert occl.ann_file == concat.datasets[0].ann_file
        assert [t['type']
                for t in occl.pipeline].count('SyntheticOcclusion') == 1
        assert occl.pipeline[2].seed is not None  # fixed test occluders


@pytest.mark.parametrize('train_set', TRAIN_SETS)
def test_synthetic_3d_configs_keep_the_real_recipe(train_set):
    real = load('finetune', f'integral_r18_1xb64-120e_{train_set}.py')
    for depth in (18, 34):
        for epochs in (4, 7):
            syn = load(
                'finetune',
                f'integral_r{depth}_1xb16-{epochs}e_{train_set}_synthetic.py')
            assert syn.model.backbone.depth == depth
            # Same model, loss weights and head; data and size differ.
            assert _without(syn.model, 'backbone.depth',
                            'backbone.init_cfg') == _without(
                                real.model, 'backbone.depth',
                                'backbone.init_cfg')
            assert syn.synthetic_data.root == 'data/synthetic'
            assert [
                d.dataset_name for d in syn.train_dataloader.dataset.datasets
            ] == [
                d.dataset_name for d in real.train_dataloader.dataset.datasets
            ]
            assert syn.input_size == syn.test_input_size == (64, 64)


@pytest.mark.parametrize('study_name, counts', [
    ('mills_2d_pretrain', dict(pretrain=10, export=10, finetune=45, test=45)),
    ('mills_2d_pretrain_synthetic',
     dict(pretrain=6, export=6, finetune=18, test=18, baseline=3)),
])
def test_study_configs_expand_to_their_stages(study_name, counts):
    study = load('study', study_name + '.py')
    stages = build_stages(study)
    assert Counter(s.kind for s in stages) == counts
    assert study.extra_reports in (['generalization'],
                                   ['report_generalization'])
    keys = {c['key'] for c in study.table.columns}
    for t in study.generalization.test_sets:
        assert f'{t["key"]}/mpjpe' in keys
    for stage in stages:
        if stage.config:
            assert osp.isfile(stage.config), stage.config
        if stage.kind == 'finetune':
            rspec = study.finetune[stage.regressor]
            spec = study.pretrain[stage.method]
            assert rspec.train_set in study.generalization.train_sets
            # A backbone goes only to a regressor of its depth.
            if spec.get('config'):
                assert spec.depth == rspec.depth
                cfg = load('finetune', osp.basename(rspec.config))
                assert cfg.model.backbone.depth == rspec.depth
                assert stage.extra['backbone'].endswith(
                    f'pretrain/{stage.method}/seed{stage.seed}/export/'
                    'backbone.pth')
            else:
                for key, value in rspec.scratch_cfg_options.items():
                    assert stage.cfg_options[key] == value, key
        if stage.kind == 'pretrain':
            spec = study.pretrain[stage.method]
            pre = Config.fromfile(stage.config)
            assert pre.model.backbone.depth == spec.depth
            assert pre.model.type == 'TopdownPoseEstimator'
            assert set(spec.val_metrics)  # named 2D validation metrics
