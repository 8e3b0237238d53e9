"""The method an export records, read from the checkpoint's stored config,
and exports of a ResNet under a prefix no layout knows (``--prefix``)."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine import Config

from hpse_bench.checkpoint import (BackboneExportError, export_backbone,
                                   extract_backbone)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'export_backbone.py')


def _save_with_config(tmp_path, name, state_dict, cfg_text):
    """A checkpoint as MMEngine's Runner writes it (message hub included)."""
    from mmengine.logging import MessageHub

    hub = MessageHub.get_instance(f'method-{name}')
    hub.update_scalar('train/loss', 0.5)
    ckpt = dict(
        meta=dict(cfg=cfg_text, seed=0, epoch=1, iter=10),
        state_dict=state_dict,
        message_hub=hub.state_dict())
    path = str(tmp_path / f'{name}.pth')
    torch.save(ckpt, path)
    return path


def _backbone(online):
    return {'backbone.' + k: v for k, v in online.items()}


def test_jointcon_method_from_pretty_text(tmp_path, resnet18_weights):
    # MMEngine stores Config.pretty_text, whose dict keys are sorted: the
    # model's type comes after backbone, head and neck.
    online, _ = resnet18_weights
    cfg = Config(
        dict(
            default_scope='hpse_bench',
            model=dict(
                type='JointCon',
                backbone=dict(type='mmpretrain.ResNet', depth=18),
                neck=dict(type='ProjectionMLP'),
                head=dict(type='SupConHead', temperature=0.1))))
    text = cfg.pretty_text
    assert text.index("type='JointCon'") > text.index('backbone=')
    path = _save_with_config(tmp_path, 'jointcon', _backbone(online), text)
    meta = extract_backbone(path).meta
    assert meta['source'] == 'hpse_bench'
    assert meta['method'] == 'JointCon'


def test_mocov2_method_from_the_real_config(tmp_path, resnet18_weights):
    """The stored config of an hpse_bench MoCo v2 run (mmpretrain's model
    in mmpretrain's scope): the method names the registry it came from."""
    online, _ = resnet18_weights
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'pretrain',
                 'mocov2_r18_1xb8-2e_coco_synthetic.py'))
    path = _save_with_config(tmp_path, 'mocov2', _backbone(online),
                             cfg.pretty_text)
    meta = extract_backbone(path).meta
    assert meta['source'] == 'mmpretrain'
    assert meta['method'] == 'mmpretrain.MoCo'


def test_stored_config_is_parsed_never_run(tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    marker = tmp_path / 'config_ran'
    text = ("default_scope = 'hpse_bench'\n"
            f"import os; os.system('touch {marker}')\n"
            "model = dict(backbone=dict(type='ResNet'),\n"
            f"             type=__import__('os').system('touch {marker}'))\n")
    path = _save_with_config(tmp_path, 'code', _backbone(online), text)
    meta = extract_backbone(path).meta
    assert not marker.exists()
    assert meta['method'].startswith('unknown')


def _net_prefixed(tmp_path, online):
    path = str(tmp_path / 'net.pth')
    torch.save(
        dict(
            state_dict={
                **{
                    'net.' + k: v
                    for k, v in online.items()
                }, 'head.weight': torch.ones(3)
            }), path)
    return path


def test_unknown_prefix_is_named_with_the_option_to_take_it(
        tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    path = _net_prefixed(tmp_path, online)
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path)
    message = str(err.value)
    assert 'no ResNet backbone found' not in message
    assert "a ResNet was found under 'net.'" in message
    assert '--prefix net.' in message

    out = str(tmp_path / 'out.pth')
    result = export_backbone(path, out, prefix='net')  # dot added
    assert result.meta['encoder'] == 'net.'
    saved = torch.load(out, weights_only=True)
    for key, value in online.items():
        assert torch.equal(saved['state_dict'][key], value), key


def test_prefix_on_the_command_line(tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    path = _net_prefixed(tmp_path, online)
    out = str(tmp_path / 'cli.pth')
    proc = subprocess.run([
        sys.executable, TOOL, path, out, '--prefix', 'net.', '--method',
        'MyMethod'
    ],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert 'encoder taken: net. [online]' in proc.stdout
    saved = torch.load(out, weights_only=True)
    assert saved['meta']['method'] == 'MyMethod'
    assert set(saved['state_dict']) == set(online)


def test_prefix_refuses_momentum_and_absent_encoders(layout_cases):
    case = layout_cases['moco_v2']
    with pytest.raises(BackboneExportError, match='momentum'):
        extract_backbone(case.path, prefix='module.encoder_k.')
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(case.path, prefix='encoder_x.')
    assert "no ResNet under prefix 'encoder_x.'" in str(err.value)
    assert 'module.encoder_q.' in str(err.value)
    # 'module.' (DataParallel) may be given or left out
    a = extract_backbone(case.path, prefix='encoder_q.')
    b = extract_backbone(case.path, prefix='module.encoder_q.')
    assert a.meta['encoder'] == b.meta['encoder'] == 'module.encoder_q.'
