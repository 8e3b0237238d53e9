"""Checkpoints are untrusted files: loading one never runs code from it.

Every checkpoint is read with ``torch.load(weights_only=True)`` plus the
exact allow-list MMEngine's own training checkpoints need; a file that
needs more is refused with its name and the one-time conversion that makes
it loadable, and a truncated file names itself and the cause.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from hpse_bench.checkpoint import (CheckpointReadError, export_backbone,
                                   extract_backbone)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'export_backbone.py')


class _Payload:
    """Unpickling it runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def payload_file(tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    marker = tmp_path / 'payload_ran'
    path = str(tmp_path / 'backbone.pth')
    torch.save({
        'state_dict': dict(online),
        'meta': {
            'note': _Payload(marker)
        }
    }, path)
    with open(path, 'rb') as f:
        assert b'system' in f.read()  # the payload is really in the file
    return path, marker


def test_export_refuses_payload(payload_file, tmp_path):
    path, marker = payload_file
    with pytest.raises(CheckpointReadError) as err:
        export_backbone(path, str(tmp_path / 'out.pth'))
    message = str(err.value)
    assert path in message
    assert 'posix.system' in message or 'os.system' in message
    assert 'python -m hpse_bench.checkpoint.resave' in message
    assert not marker.exists()
    assert not osp.exists(tmp_path / 'out.pth')


def test_export_cli_refuses_payload(payload_file, tmp_path):
    path, marker = payload_file
    proc = subprocess.run(
        [sys.executable, TOOL, path,
         str(tmp_path / 'cli.pth')],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO)
    assert proc.returncode == 1
    assert path in proc.stderr and 'resave' in proc.stderr
    assert not marker.exists()


def test_pretrained_refuses_payload(payload_file):
    from mmpretrain.models import ResNet
    path, marker = payload_file
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        model = ResNet(
            depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
        with pytest.raises(CheckpointReadError, match='resave'):
            model.init_weights()
    assert not marker.exists()


def test_getattr_only_reaches_history_buffer_statistics(tmp_path):
    """MMEngine's message hub pickles its statistics methods as
    getattr(HistoryBuffer, 'min'): that getattr, and nothing else."""
    from mmengine.logging.history_buffer import HistoryBuffer

    class _Reach:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'reach.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': _Reach()}, path)
    with pytest.raises(CheckpointReadError) as err:
        extract_backbone(path)
    assert "getattr(HistoryBuffer, '__init__')" in str(err.value)


def test_conversion_command_makes_a_trusted_file_loadable(
        tmp_path, resnet18_weights):
    """A file holding a class outside the allow-list (an argparse
    Namespace, as some training scripts save their arguments)."""
    online, _ = resnet18_weights
    path = str(tmp_path / 'with_args.pth')
    torch.save(
        {
            'state_dict': {
                'encoder.' + k: v
                for k, v in online.items()
            },
            'args': argparse.Namespace(lr=0.1),
            'arch': 'resnet18',
            'epoch': 100
        }, path)
    with pytest.raises(CheckpointReadError) as err:
        extract_backbone(path)
    message = str(err.value)
    assert 'argparse.Namespace' in message
    command = message[message.index('python -m hpse_bench'):].split('\n')[0]
    out = str(tmp_path / 'with_args_weights.pth')
    assert command.split()[-2:] == [path, out]
    proc = subprocess.run([sys.executable, *command.split()[1:]],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert 'dropped: args' in proc.stdout
    converted = torch.load(out, weights_only=True)
    assert converted['arch'] == 'resnet18' and converted['epoch'] == 100
    assert 'args' not in converted
    result = extract_backbone(out, source='simclr')
    for key, value in online.items():
        assert torch.equal(result.state_dict[key], value), key


def test_resave_refuses_to_overwrite_its_input(tmp_path):
    from hpse_bench.checkpoint.resave import resave_weights
    path = str(tmp_path / 'a.pth')
    torch.save({'w': torch.ones(1)}, path)
    with pytest.raises(ValueError, match='overwrite'):
        resave_weights(path, path)


def _truncated(tmp_path, exported_resnet18):
    with open(exported_resnet18, 'rb') as f:
        data = f.read()
    path = str(tmp_path / 'truncated.pth')
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    return path


def test_truncated_checkpoint_in_export(tmp_path, exported_resnet18):
    path = _truncated(tmp_path, exported_resnet18)
    with pytest.raises(CheckpointReadError) as err:
        extract_backbone(path)
    assert path in str(err.value)
    assert 'truncated or corrupt' in str(err.value)


def test_truncated_checkpoint_in_pretrained(tmp_path, exported_resnet18):
    from mmpretrain.models import ResNet
    path = _truncated(tmp_path, exported_resnet18)
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        model = ResNet(
            depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
        with pytest.raises(CheckpointReadError) as err:
            model.init_weights()
    assert path in str(err.value)
    assert 'truncated or corrupt' in str(err.value)


def test_random_bytes_and_plain_pickles(tmp_path):
    rand = tmp_path / 'random.pth'
    rand.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointReadError, match='random.pth'):
        extract_backbone(str(rand))
    # an old-style (non-zip) pickle with a payload: refused as well
    marker = tmp_path / 'legacy_ran'
    legacy = tmp_path / 'legacy.pth'
    torch.save({'x': _Payload(marker)},
               str(legacy),
               _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointReadError, match='legacy.pth'):
        extract_backbone(str(legacy))
    assert not marker.exists()
