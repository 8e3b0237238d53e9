"""hpse_bench's ``Pretrained`` initializer through real ``init_weights()``."""
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model.weight_init import PretrainedInit as MMEnginePretrained
from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope, build_from_cfg

from hpse_bench.checkpoint import CheckpointMismatchError
from hpse_bench.checkpoint.pretrained import PretrainedInit


class LogRecords(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, level=logging.INFO):
        return [r.getMessage() for r in self.records if r.levelno == level]


@pytest.fixture
def hpse_scope():
    """default_scope 'hpse_bench', as in every hpse_bench config."""
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        yield


@pytest.fixture
def log():
    logger = MMLogger.get_current_instance()
    handler = LogRecords()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def resnet18_with(init_cfg):
    from mmpretrain.models import ResNet
    return ResNet(depth=18, init_cfg=init_cfg)


def test_scope_resolves_to_hpse_bench_initializer(hpse_scope):
    # MMEngine builds initializers from the registry of the default scope.
    assert DefaultScope.get_current_instance().scope_name == 'hpse_bench'
    init = build_from_cfg(
        dict(type='Pretrained', checkpoint='x.pth'), WEIGHT_INITIALIZERS)
    assert type(init) is PretrainedInit
    with DefaultScope.overwrite_default_scope('mmengine'):
        init = build_from_cfg(
            dict(type='Pretrained', checkpoint='x.pth'), WEIGHT_INITIALIZERS)
        assert type(init) is MMEnginePretrained


def test_loads_exported_backbone(hpse_scope, log, exported_resnet18,
                                 resnet18_weights):
    model = resnet18_with(
        dict(type='Pretrained', checkpoint=exported_resnet18))
    model.init_weights()
    online, _ = resnet18_weights
    state = model.state_dict()
    for key, value in online.items():
        assert torch.equal(state[key], value), key
    assert (f'loaded 120/120 tensors from {exported_resnet18} into ResNet'
            in log.messages())
    assert not log.messages(logging.WARNING)


def test_no_match_fails_loudly(hpse_scope, layout_cases):
    # A whole-model checkpoint without prefix: MMEngine's loader would load
    # nothing and go on with random weights.
    path = layout_cases['mmpretrain_moco'].path
    model = resnet18_with(dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert f'no tensor of {path} matches ResNet' in message
    assert 'key prefixes in the checkpoint: queue (1), queue_ptr (1), ' \
        'backbone. (120)' in message
    assert 'key prefixes the module expects: conv1. (1), bn1. (5), ' \
        'layer1. (24)' in message
    assert "set prefix='backbone.'" in message


def test_prefix_takes_backbone_out_of_whole_model(hpse_scope, log,
                                                  layout_cases,
                                                  resnet18_weights):
    path = layout_cases['mmpretrain_moco'].path
    model = resnet18_with(
        dict(type='Pretrained', checkpoint=path, prefix='backbone'))
    model.init_weights()
    online, momentum = resnet18_weights
    assert torch.equal(model.state_dict()['layer4.1.conv2.weight'],
                       online['layer4.1.conv2.weight'])
    assert not torch.equal(model.state_dict()['layer4.1.conv2.weight'],
                           momentum['layer4.1.conv2.weight'])
    assert any(
        m.startswith("loaded 120/120 tensors from")
        and "(prefix 'backbone')" in m for m in log.messages())


def _one_of_120(tmp_path, exported_resnet18):
    saved = torch.load(exported_resnet18, weights_only=True)
    path = str(tmp_path / 'one.pth')
    torch.save(
        dict(state_dict={'conv1.weight': saved['state_dict']['conv1.weight']}),
        path)
    return path, saved['state_dict']


def test_partial_load_fails_unless_allowed(hpse_scope, log, tmp_path,
                                           exported_resnet18):
    path, _ = _one_of_120(tmp_path, exported_resnet18)
    model = resnet18_with(dict(type='Pretrained', checkpoint=path))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert path in message and '1/120 tensors' in message
    assert 'missing in the checkpoint (99): bn1.weight' in message
    assert 'allow_partial=True' in message
    # nothing was loaded
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_allow_partial_loads_what_matches_and_warns(hpse_scope, log, tmp_path,
                                                    exported_resnet18):
    saved = torch.load(exported_resnet18, weights_only=True)
    partial = {
        k: v
        for k, v in saved['state_dict'].items() if not k.startswith('layer4.')
    }
    partial['layer4.9.conv1.weight'] = torch.randn(4, 4, 3, 3)
    path = str(tmp_path / 'partial.pth')
    torch.save(dict(state_dict=partial), path)

    model = resnet18_with(
        dict(type='Pretrained', checkpoint=path, allow_partial=True))
    model.init_weights()
    n = len(partial) - 1
    assert torch.equal(model.state_dict()['layer3.1.conv2.weight'],
                       partial['layer3.1.conv2.weight'])
    assert f'loaded {n}/120 tensors from {path} into ResNet' in \
        log.messages()
    (warning, ) = log.messages(logging.WARNING)
    assert f'only partly ({n}/120 tensors, allow_partial=True)' in warning
    assert 'missing in the checkpoint (25): layer4.0.conv1.weight' in warning
    assert 'unexpected in the checkpoint (1): layer4.9.conv1.weight' in warning


@pytest.fixture(scope='module')
def resnet34_file(tmp_path_factory):
    import torchvision
    model = torchvision.models.resnet34()
    del model.fc
    path = str(tmp_path_factory.mktemp('r34') / 'resnet34.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_resnet34_weights_into_resnet18_fail(hpse_scope, resnet34_file):
    # Every ResNet-18 tensor has a same-shaped namesake in a ResNet-34: only
    # the ResNet-34's extra blocks tell the architectures apart.
    model = resnet18_with(dict(type='Pretrained', checkpoint=resnet34_file))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert '120/120 tensors' in message
    assert 'unexpected in the checkpoint (96): layer1.2.conv1.weight' in \
        message


def test_resnet34_weights_into_resnet18_when_allowed(hpse_scope, log,
                                                     resnet34_file):
    model = resnet18_with(
        dict(type='Pretrained', checkpoint=resnet34_file, allow_partial=True))
    model.init_weights()
    expected = torch.load(resnet34_file, weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    (warning, ) = log.messages(logging.WARNING)
    assert 'unexpected in the checkpoint (96)' in warning


def test_classifier_of_a_whole_resnet_is_not_a_mismatch(
        hpse_scope, log, tmp_path):
    # torchvision's file holds fc, a module the backbone does not have.
    import torchvision
    full = torchvision.models.resnet18().state_dict()
    path = str(tmp_path / 'tv.pth')
    torch.save(full, path)
    model = resnet18_with(dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    assert torch.equal(model.state_dict()['conv1.weight'],
                       full['conv1.weight'])
    messages = '\n'.join(log.messages())
    assert f'loaded 120/120 tensors from {path}' in messages
    assert 'not used (no such submodule in ResNet): fc. (2)' in messages
    assert not log.messages(logging.WARNING)


def test_shape_mismatch_is_not_a_match(hpse_scope, tmp_path):
    # same name, other shape (a wider stem): not loaded, and said so
    path = str(tmp_path / 'wide.pth')
    torch.save({'conv1.weight': torch.randn(128, 3, 7, 7)}, path)
    model = resnet18_with(dict(type='Pretrained', checkpoint=path))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'conv1.weight \(128, 3, 7, 7\) vs '
            r'\(64, 3, 7, 7\)'):
        model.init_weights()


def test_missing_file(hpse_scope, tmp_path):
    path = str(tmp_path / 'no_such' / 'backbone.pth')
    model = resnet18_with(dict(type='Pretrained', checkpoint=path))
    with pytest.raises(FileNotFoundError, match='no_such/backbone.pth'):
        model.init_weights()


def test_mmengine_initializer_would_have_loaded_nothing(layout_cases):
    """The failure this initializer exists for, shown on MMEngine's own."""
    path = layout_cases['mmpretrain_moco'].path
    model = resnet18_with(None)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    MMEnginePretrained(checkpoint=path)(model)  # no error raised
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
