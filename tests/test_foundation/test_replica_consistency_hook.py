import torch.nn as nn

from hpse_bench.engine.hooks.replica_consistency_hook import state_dict_digest


def test_digest_sees_parameters_and_optionally_buffers():
    a = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    b = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    b.load_state_dict(a.state_dict())
    assert state_dict_digest(a) == state_dict_digest(b)
    b[1].running_mean += 1  # rank-local statistics
    assert state_dict_digest(a) == state_dict_digest(b)
    assert state_dict_digest(a, True) != state_dict_digest(b, True)
    with __import__('torch').no_grad():
        b[0].weight[0, 0] += 1e-6
    assert state_dict_digest(a) != state_dict_digest(b)
