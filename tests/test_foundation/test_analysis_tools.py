"""tools/analysis_tools/print_config.py and get_flops.py."""
import importlib.util
import os.path as osp
import re
import subprocess
import sys

import torch
import torchvision
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools', 'analysis_tools')
JOINTCON_SYNTHETIC = osp.join(REPO, 'configs', 'pretrain',
                              'jointcon-j_r18_1xb8-2e_coco_synthetic.py')


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_print_config_shows_merged_options(tmp_path):
    out = tmp_path / 'resolved.py'
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'print_config.py'),
         osp.join(REPO, 'configs', 'pretrain', 'jointcon.py'),
         '--cfg-options', 'train_cfg.max_epochs=3', '--out', str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "type='JointCon'" in result.stdout
    assert 'max_epochs=3' in result.stdout
    assert Config.fromfile(str(out)).train_cfg.max_epochs == 3


def test_print_config_refuses_an_ignored_option():
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'print_config.py'),
         osp.join(REPO, 'configs', 'finetune',
                  'hmr_r50_1xb64-120e_h36m-coco_10p.py'),
         '--cfg-options', 'fraction=0.1'],
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'train_dataloader.dataset.fraction=0.1' in result.stderr


def _reference_flops(model: torch.nn.Module, shape) -> int:
    """Multiply-adds of every convolution plus two per element that an
    inference-mode BatchNorm scales and shifts (MMEngine's count; pooling,
    ReLU and residual additions are not counted), worked out from the
    layers' shapes."""
    total = [0]

    def conv(m, inputs, output):
        kh, kw = m.kernel_size
        total[0] += output.numel() * (m.in_channels // m.groups) * kh * kw

    def norm(m, inputs, output):
        total[0] += 2 * inputs[0].numel()

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv)
        elif isinstance(m, torch.nn.BatchNorm2d):
            m.register_forward_hook(norm)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, *shape))
    return total[0]


def test_get_flops_counts_the_backbone_as_by_hand():
    cfg = Config.fromfile(JOINTCON_SYNTHETIC)
    result = _tool('get_flops').complexity(cfg, (64, 96), 'backbone')
    # torchvision's ResNet-18 without its classifier: the same layers.
    reference = torchvision.models.resnet18()
    reference.avgpool = torch.nn.Identity()
    reference.fc = torch.nn.Identity()
    assert result['flops'] == _reference_flops(reference, (64, 96))
    assert result['params'] == sum(
        p.numel() for p in reference.parameters())


def test_get_flops_cli_whole_network(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'get_flops.py'),
         osp.join(REPO, 'configs', 'finetune',
                  'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py'),
         '--part', 'network', '--shape', '128', '128'],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    params = re.search(r'Params: ([\d.]+)M', result.stdout)
    flops = re.search(r'FLOPs: ([\d.]+)G', result.stdout)
    assert params and flops, result.stdout[-2000:]
    # Backbone (11.18 M) plus the HMR head: more than the backbone alone.
    assert 11.2 < float(params.group(1)) < 30
    assert float(flops.group(1)) > 0.5
