"""TensorBoard through MMEngine's vis_backends: a training run with
``TensorboardVisBackend`` writes event files holding its logged losses."""
import glob
import os.path as osp
from collections import OrderedDict

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(autouse=True)
def _restore_default_scope():
    saved = OrderedDict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


def test_tensorboard_backend_writes_the_losses(synthetic_root, tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator

    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'pretrain',
                 'jointcon-j_r18_1xb8-2e_coco_synthetic.py'))
    cfg.merge_from_dict({
        'work_dir': str(tmp_path),
        'synthetic_data': None,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.indices': 6,
        'train_dataloader.dataset.data_root': osp.join(
            synthetic_root, 'coco', ''),
        'train_cfg.max_epochs': 1,
        'default_hooks.checkpoint.interval': 10,
    })
    cfg.visualizer = dict(
        type='Visualizer',
        vis_backends=[
            dict(type='LocalVisBackend'),
            dict(type='TensorboardVisBackend')
        ])
    runner = Runner.from_cfg(cfg)
    runner.train()
    logged = runner.message_hub.get_scalar('train/loss').data[0]

    events = glob.glob(
        str(tmp_path / '*' / 'vis_data' / 'events.out.tfevents.*'))
    assert len(events) == 1, events
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    assert 'loss' in acc.Tags()['scalars']
    written = [e.value for e in acc.Scalars('loss')]
    assert len(written) == runner.iter == 3
    # The LogProcessor logs the mean over its window (50 iterations) of the
    # per-iteration losses the message hub keeps.
    running_means = [
        sum(logged[:i + 1]) / (i + 1) for i in range(len(logged))
    ]
    assert written == pytest.approx(running_means, rel=1e-5)
