import pytest
import torch

from hpse_bench.models.pretrain import JointCon
from hpse_bench.registry import MODELS
from pretrain_samples import (BACKBONE, random_inputs, random_samples,
                              supcon_loop)


pytestmark = pytest.mark.usefixtures('hpse_bench_scope')


def build_jointcon(positive='joint'):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='JointCon',
            positive=positive,
            backbone=BACKBONE,
            neck=dict(
                type='ProjectionMLP',
                in_channels=512,
                hid_channels=64,
                out_channels=32),
            head=dict(type='SupConHead', temperature=0.1)))


def preprocess(model, inputs, samples):
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True)


def reference_labels(samples, num_views, positive):
    """Labels of the visible joints, view-major, written out by hand."""
    rows = []
    for v in range(num_views):
        for b, s in enumerate(samples):
            for k in range(s.gt_keypoints2d.shape[1]):
                if s.gt_keypoints2d[v, k, 2] > 0:
                    rows.append(
                        dict(image=[b], joint=[k],
                             image_joint=[b, k])[positive])
    return torch.tensor(rows)


@pytest.mark.parametrize('positive', ['image', 'joint', 'image_joint'])
def test_loss_equals_supcon_loop(positive):
    model = build_jointcon(positive)
    samples = random_samples(3, visible_prob=0.6, seed=1)
    data = preprocess(model, random_inputs(3), samples)
    loss = model(**data, mode='loss')['loss']

    feats, visible, _ = model.joint_features(data['inputs'],
                                             data['data_samples'])
    embeddings = model.neck((feats[visible], ))[0]
    labels = reference_labels(samples, 2, positive)
    assert len(labels) == int(visible.sum())
    ref = supcon_loop(embeddings, labels, 0.1)
    assert torch.isfinite(loss)
    assert torch.allclose(loss, ref, atol=1e-5)


def test_gradients_reach_backbone_and_shapes():
    model = build_jointcon()
    samples = random_samples(2)
    data = preprocess(model, random_inputs(2), samples)
    loss = model(**data, mode='loss')['loss']
    loss.backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    assert model.neck.mlp[0].weight.grad.abs().sum() > 0

    feats = model(data['inputs'][0], mode='tensor')
    assert feats[-1].shape == (2, 512, 2, 2)  # 64x48 input, stride 32
    model.eval()
    out = model(**data, mode='predict')
    emb = out[0].pred_embedding
    assert emb.shape == (17, 32)
    vis = samples[0].gt_keypoints2d[0, :, 2] > 0
    assert torch.allclose(emb[vis].norm(dim=1), torch.ones(int(vis.sum())))
    assert torch.all(emb[~vis] == 0)


def test_no_visible_joint_gives_zero_loss_connected_to_all_parameters():
    model = build_jointcon()
    samples = random_samples(2, visible_prob=0.0)
    data = preprocess(model, random_inputs(2), samples)
    loss = model(**data, mode='loss')['loss']
    assert torch.isfinite(loss) and loss.item() == 0.0
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.count_nonzero(p.grad) == 0, name


def test_anchor_without_positive_is_left_out():
    """I+J: a joint seen in one view only has no positive."""
    model = build_jointcon('image_joint')
    samples = random_samples(1, visible_prob=0.0)
    samples[0].gt_keypoints2d[:, 3, 2] = 1  # joint 3 in both views
    samples[0].gt_keypoints2d[0, 5, 2] = 1  # joint 5 in view 0 only
    data = preprocess(model, random_inputs(1), samples)
    loss = model(**data, mode='loss')['loss']
    # Two anchors have a positive, and each has only one other candidate
    # besides its positive: the loss is -log(e^s_p / (e^s_p + e^s_n)).
    feats, visible, _ = model.joint_features(data['inputs'],
                                             data['data_samples'])
    z = torch.nn.functional.normalize(model.neck((feats[visible], ))[0])
    # Rows (view-major): v0 j3, v0 j5, v1 j3.
    s = z @ z.t() / 0.1
    ref = -0.5 * (
        torch.log_softmax(torch.stack([s[0, 2], s[0, 1]]), 0)[0] +
        torch.log_softmax(torch.stack([s[2, 0], s[2, 1]]), 0)[0])
    assert torch.allclose(loss, ref, atol=1e-5)


def test_invalid_variant_and_missing_keypoints():
    with pytest.raises(ValueError, match='positive must be one of'):
        build_jointcon('body')
    model = build_jointcon()
    samples = random_samples(1)
    del samples[0].gt_keypoints2d
    data = preprocess(model, random_inputs(1), samples)
    with pytest.raises(KeyError, match='gt_keypoints2d'):
        model(**data, mode='loss')


def test_registered():
    assert MODELS.get('JointCon') is JointCon
