"""Each regressor memorises a handful of fixed samples.

Samples are random SMPL bodies rendered to labels by the body model itself
(``regressor_samples.make_samples``); images are fixed random patterns. The
backbone is ResNet-18 at a quarter of its width so that the test stays fast
on two shared cores; training goes through ``BaseModel.train_step`` with an
MMEngine ``OptimWrapper``, as the Runner does.
"""
import pytest
import torch
from mmengine.optim import OptimWrapper
from regressor_samples import make_samples, tiny_model_cfg

from hpse_bench.registry import MODELS

# (iterations, Adam learning rate, required final/initial loss ratio)
SCHEDULES = {
    'HMR': (30, 1e-3, 0.1),
    'PARE': (30, 1e-3, 0.2),
    'PyMAF': (30, 1e-3, 0.2),
    'IntegralPoseRegressor': (30, 3e-3, 0.5),
}


@pytest.mark.parametrize('name', list(SCHEDULES))
def test_training_loss_falls(name, smpl):
    iters, lr, ratio = SCHEDULES[name]
    torch.manual_seed(0)
    cfg = tiny_model_cfg(name)
    cfg['backbone'].update(stem_channels=16, base_channels=16)
    cfg['head']['in_channels'] = 128
    model = MODELS.build(cfg)
    inputs, samples = make_samples(smpl, 3, seed=7)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=lr))
    history = []
    for _ in range(iters):
        log = model.train_step(dict(inputs=inputs, data_samples=samples),
                               optim)
        history.append(float(log['loss'].detach()))
    assert all(torch.isfinite(torch.tensor(history)))
    final = sum(history[-3:]) / 3
    assert final < ratio * history[0], history
