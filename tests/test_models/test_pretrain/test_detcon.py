import pytest
import torch

from hpse_bench.models.pretrain.detcon import mask_pool
from hpse_bench.registry import MODELS
from pretrain_samples import (BACKBONE, random_inputs, random_samples,
                              supcon_loop)


pytestmark = pytest.mark.usefixtures('hpse_bench_scope')


def build_detcon():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='DetCon',
            backbone=BACKBONE,
            neck=dict(
                type='ProjectionMLP',
                in_channels=512,
                hid_channels=64,
                out_channels=32,
                norm_cfg=dict(type='BN1d')),
            head=dict(type='SupConHead', temperature=0.1)))


def test_mask_pool_matches_loop():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 3, 2, 3, generator=g)
    segments = torch.randint(-1, 3, (2, 4, 6), generator=g)
    segments[1][segments[1] == 2] = 0  # segment 2 absent from sample 1
    pooled, area = mask_pool(feats, segments, 3)
    for n in range(2):
        for s in range(3):
            # Fraction of each 2x2 input block (one feature cell) in s.
            cover = (segments[n] == s).float().reshape(2, 2, 3,
                                                       2).mean((1, 3))
            assert torch.isclose(area[n, s], cover.sum())
            if cover.sum() > 0:
                ref = (feats[n] * cover).sum((1, 2)) / cover.sum()
                assert torch.allclose(pooled[n, s], ref, atol=1e-6)
    assert area[1, 2] == 0


def test_loss_equals_ntxent_over_segments():
    model = build_detcon()
    samples = random_samples(2, num_segments=4, seed=3)
    # Segment 3 of sample 0 only in view 0: not a valid mask.
    samples[0].gt_segments[1][samples[0].gt_segments[1] == 3] = -1
    data = model.data_preprocessor(
        dict(inputs=random_inputs(2), data_samples=samples), True)
    loss = model(**data, mode='loss')['loss']

    pooled, valid = model.segment_features(data['inputs'],
                                           data['data_samples'])
    assert pooled.shape == (4, 4, 512)
    assert valid.tolist() == [[True, True, True, False], [True] * 4]
    rows, labels = [], []
    for v in range(2):
        for b in range(2):
            for s in range(4):
                if valid[b, s]:
                    rows.append(pooled[v * 2 + b, s])
                    labels.append([b, s])
    emb = model.neck((torch.stack(rows), ))[0]
    ref = supcon_loop(emb, torch.tensor(labels), 0.1)
    assert torch.allclose(loss, ref, atol=1e-5)
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    model.eval()
    out = model(**data, mode='predict')
    # predict embeds the first view, where all four segments are present.
    assert out[0].pred_embedding.shape == (4, 32)
    assert torch.allclose(out[0].pred_embedding.norm(dim=1), torch.ones(4))


def test_no_valid_segment_gives_zero_loss():
    model = build_detcon()
    samples = random_samples(2, num_segments=2)
    for s in samples:
        s.gt_segments[:] = -1
    data = model.data_preprocessor(
        dict(inputs=random_inputs(2), data_samples=samples), True)
    loss = model(**data, mode='loss')['loss']
    assert torch.isfinite(loss) and loss.item() == 0.0
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
