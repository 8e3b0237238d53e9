import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.heads import ContrastiveHead

from hpse_bench.models.heads import SupConHead
from hpse_bench.models.losses import SupervisedContrastiveLoss
from pretrain_samples import supcon_loop


pytestmark = pytest.mark.usefixtures('hpse_bench_scope')


@pytest.mark.parametrize('columns', [1, 2])
def test_supcon_matches_per_anchor_loop(columns):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(14, 8, generator=g, requires_grad=True)
    labels = torch.randint(0, 4, (14, columns), generator=g)
    labels[3] = 99  # an anchor without positive: left out of the mean
    head = SupConHead(temperature=0.2)
    loss = head.loss(z, labels)
    grad, = torch.autograd.grad(loss, z)
    z_ref = z.detach().clone().requires_grad_()
    ref = supcon_loop(z_ref, labels, 0.2)
    ref_grad, = torch.autograd.grad(ref, z_ref)
    assert torch.allclose(loss, ref, atol=1e-5)
    assert torch.allclose(grad, ref_grad, atol=1e-5)


def test_ntxent_matches_hand_loop_and_mmpretrain():
    """Image-id labels over two views give SimCLR's NT-Xent."""
    g = torch.Generator().manual_seed(1)
    n, tau = 5, 0.5
    z1 = F.normalize(torch.randn(n, 16, generator=g), dim=1)
    z2 = F.normalize(torch.randn(n, 16, generator=g), dim=1)
    z = torch.cat([z1, z2])
    loss = SupConHead(temperature=tau).loss(z, torch.arange(n).repeat(2))

    # NT-Xent (Chen et al. 2020, Eq. 1) by hand.
    hand = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        denom = sum(
            math.exp(float(z[i] @ z[k]) / tau) for k in range(2 * n)
            if k != i)
        hand += -math.log(math.exp(float(z[i] @ z[j]) / tau) / denom)
    hand /= 2 * n
    assert abs(loss.item() - hand) < 1e-5

    # mmpretrain's SimCLR: positives and negatives of the similarity matrix
    # fed to its ContrastiveHead (cross-entropy with the positive first).
    sim = z @ z.t()
    pos = torch.stack([sim[i, (i + n) % (2 * n)] for i in range(2 * n)])
    neg = torch.stack([
        torch.stack(
            [sim[i, k] for k in range(2 * n) if k not in (i, (i + n) %
                                                          (2 * n))])
        for i in range(2 * n)
    ])
    mm_head = ContrastiveHead(
        loss=dict(type='mmpretrain.CrossEntropyLoss'), temperature=tau)
    assert torch.allclose(loss, mm_head.loss(pos[:, None], neg), atol=1e-5)


def test_no_positive_anywhere_gives_zero_connected_loss():
    z = torch.randn(6, 4, requires_grad=True)
    loss = SupConHead().loss(z, torch.arange(6))
    assert loss.item() == 0.0
    loss.backward()
    assert z.grad is not None and torch.count_nonzero(z.grad) == 0


def test_empty_batch_gives_zero_connected_loss():
    w = torch.randn(3, 4, requires_grad=True)
    z = torch.zeros(0, 3) @ w
    loss = SupConHead().loss(z, torch.zeros(0, dtype=torch.long))
    assert torch.isfinite(loss) and loss.item() == 0.0
    loss.backward()
    assert w.grad is not None and torch.count_nonzero(w.grad) == 0


def test_single_key_and_sharp_temperature_stay_finite():
    z = torch.randn(1, 4, requires_grad=True)
    loss = SupConHead().loss(z, torch.zeros(1, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(z.grad).all()

    z = torch.ones(4, 3, requires_grad=True)  # identical embeddings
    loss = SupConHead(temperature=1e-3).loss(z, torch.tensor([0, 0, 1, 1]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    # Four equal logits, one positive: -log(1 / 3).
    assert abs(loss.item() - math.log(3)) < 1e-4


def test_loss_module_reductions_and_checks():
    loss = SupervisedContrastiveLoss(loss_weight=2.0)
    logits = torch.tensor([[0., 1., 2.], [1., 0., 0.]])
    pos = torch.tensor([[False, True, False], [False, False, False]])
    cand = torch.tensor([[False, True, True], [True, False, True]])
    per_anchor = loss(logits, pos, cand, reduction='none')
    expected = -2.0 * (1 - math.log(math.exp(1) + math.exp(2)))
    assert torch.allclose(per_anchor, torch.tensor([expected, 0.0]))
    assert torch.allclose(loss(logits, pos, cand), torch.tensor(expected))
    with pytest.raises(ValueError, match='one shape'):
        loss(logits, pos[:1], cand)
    with pytest.raises(ValueError, match='temperature'):
        SupConHead(temperature=0)
