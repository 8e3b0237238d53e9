"""The compatibility patches: each fixes its symptom and nothing else."""
import os
import os.path as osp
import pickle

import pytest
import torch
import torch.nn as nn

import hpse_bench  # noqa: F401
from hpse_bench.utils import compat


def test_mmcv_ops_import_and_fail_loudly_when_called():
    # The symptom: mmpose's model package imports mmcv.ops at module level.
    import mmpose.models  # noqa: F401
    from mmcv.ops import nms

    boxes = torch.tensor([[0., 0., 1., 1.]])
    scores = torch.tensor([0.9])
    with pytest.raises(RuntimeError, match='nms'):
        nms(boxes, scores, 0.5)


def test_ext_stub_does_not_hide_attributes_of_modules():
    import mmcv._ext as ext
    with pytest.raises(AttributeError):
        ext.__wrapped__  # dunder lookups must not be answered by the stub


def test_plain_state_dict_takes_the_weights_only_path(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import CheckpointLoader

    path = str(tmp_path / 'plain.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}}, path)
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert calls == [True]


def test_missing_checkpoint_names_the_path(tmp_path):
    from mmengine.runner.checkpoint import CheckpointLoader
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(missing, map_location='cpu')


class _ToyModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, labels, mode='tensor'):
        pred = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(
                loss=((pred.squeeze(1) - torch.stack(labels))**2).mean())
        return pred


def _toy_runner(work_dir, max_epochs, resume=False, load_from=None):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class ToyModel(BaseModel):

        def __init__(self):
            super().__init__()
            self.net = _ToyModel()

        def forward(self, inputs, labels, mode='tensor'):
            return self.net(inputs, labels, mode)

    g = torch.Generator().manual_seed(0)
    data = [
        dict(
            inputs=torch.randn(4, generator=g),
            labels=torch.randn((), generator=g)) for _ in range(16)
    ]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        load_from=load_from,
        default_scope='mmengine',
        experiment_name=f'toy{max_epochs}{resume}')


def _spy_torch_load(monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    return calls


def test_mmengine_checkpoint_resumes_under_weights_only(tmp_path, monkeypatch):
    """MMEngine's own checkpoints (message hub, numpy) written by a real
    Runner load with weights_only=True and the allow-list, and resume."""
    runner = _toy_runner(tmp_path, max_epochs=1)
    runner.train()
    ckpt = osp.join(tmp_path, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(ckpt, weights_only=True)  # needs the allow-list
    calls = _spy_torch_load(monkeypatch)
    resumed = _toy_runner(tmp_path, max_epochs=2, resume=True, load_from=ckpt)
    resumed.train()
    assert resumed.epoch == 2
    assert resumed.iter == 8
    assert calls and all(c is True for c in calls), calls
    # the message hub came back with its HistoryBuffers
    log_history, _ = resumed.message_hub.get_scalar('train/loss').data
    assert len(log_history) == 8


class _Payload:
    """Unpickling it runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.parametrize('resume', [False, True], ids=['load_from', 'resume'])
def test_payload_checkpoint_is_refused_by_load_from_and_resume(
        tmp_path, resume):
    runner = _toy_runner(tmp_path / 'train', max_epochs=1)
    runner.train()
    ckpt = torch.load(
        osp.join(tmp_path, 'train', 'epoch_1.pth'), weights_only=False)
    marker = tmp_path / 'payload_ran'
    ckpt['meta']['note'] = _Payload(marker)
    path = str(tmp_path / 'evil.pth')
    torch.save(ckpt, path)
    runner = _toy_runner(
        tmp_path / 'run', max_epochs=2, resume=resume, load_from=path)
    with pytest.raises(pickle.UnpicklingError) as err:
        runner.train()
    assert path in str(err.value)
    assert 'python -m hpse_bench.checkpoint.resave' in str(err.value)
    assert not marker.exists()


def test_truncated_checkpoint_on_resume_names_file_and_cause(tmp_path):
    runner = _toy_runner(tmp_path / 'train', max_epochs=1)
    runner.train()
    with open(osp.join(tmp_path, 'train', 'epoch_1.pth'), 'rb') as f:
        data = f.read()
    path = str(tmp_path / 'cut.pth')
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 3])
    runner = _toy_runner(
        tmp_path / 'run', max_epochs=2, resume=True, load_from=path)
    with pytest.raises(RuntimeError) as err:
        runner.train()
    assert path in str(err.value)
    assert 'truncated or corrupt' in str(err.value)


def test_cpu_ddp_wrapper_single_process_gloo(tmp_path):
    import torch.distributed as dist

    from hpse_bench.registry import MODEL_WRAPPERS

    if dist.is_initialized():
        pytest.skip('a process group already exists')
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        from mmengine.model import BaseModel

        class Tiny(BaseModel):

            def __init__(self):
                super().__init__()
                self.w = nn.Linear(2, 1)

            def forward(self, inputs, data_samples=None, mode='tensor'):
                return self.w(inputs)

        # Runner.wrap_model passes device_ids; the wrapper must drop them.
        wrapped = MODEL_WRAPPERS.build(
            dict(type='hpse_bench.CPUDistributedDataParallel'),
            default_args=dict(module=Tiny(), device_ids=[0]))
        assert wrapped.device_ids is None
        out = wrapped(torch.ones(3, 2))
        assert out.shape == (3, 1)
    finally:
        dist.destroy_process_group()


def test_init_cpu_distributed_is_a_noop_without_launcher():
    assert compat.init_cpu_distributed('none') is False
