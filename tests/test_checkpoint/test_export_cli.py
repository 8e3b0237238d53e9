"""tools/export_backbone.py run as a program."""
import os.path as osp
import subprocess
import sys

import torch

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'export_backbone.py')


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_cli_exports_online_encoder(layout_cases, tmp_path):
    case = layout_cases['moco_v2']
    out = str(tmp_path / 'export' / 'backbone.pth')
    proc = run(case.path, out, '--source', 'auto')
    assert proc.returncode == 0, proc.stderr
    assert 'source: moco' in proc.stdout
    assert 'encoder taken: module.encoder_q. [online]' in proc.stdout
    assert 'encoder not taken: module.encoder_k. [momentum encoder]' in \
        proc.stdout
    assert f'wrote {out}' in proc.stdout
    saved = torch.load(out, weights_only=True)
    assert saved['meta']['encoder'] == 'module.encoder_q.'
    for key, value in case.online.items():
        assert torch.equal(saved['state_dict'][key], value), key


def test_cli_refuses_with_prefixes_and_nonzero_exit(layout_cases, tmp_path):
    out = str(tmp_path / 'backbone.pth')
    proc = run(layout_cases['swav'].path, out, '--source', 'moco')
    assert proc.returncode == 1
    assert "no online ResNet encoder for source 'moco'" in proc.stderr
    assert 'module.projection_head. (' in proc.stderr
    assert not osp.exists(out)
