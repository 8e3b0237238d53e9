"""`mim train hpse_bench CONFIG` and `mim test hpse_bench CONFIG --checkpoint
CKPT` with the package installed as it is here (editable, the checkout first
on PYTHONPATH as tools/dist_train.sh puts it) and from a built wheel; the
wheel carries the configs, tools and model index under hpse_bench/.mim."""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIM = osp.join(osp.dirname(sys.executable), 'mim')
PRETRAIN = 'configs/pretrain/jointcon-j_r18_1xb8-2e_coco_synthetic.py'
FINETUNE = 'configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py'
TINY_TRAIN = [
    'synthetic_data=None', 'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_dataloader.dataset.indices=4', 'train_cfg.max_epochs=1'
]
TINY_TEST = [
    'synthetic_data=None', 'test_dataloader.batch_size=8',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False'
]


def _workspace(tmp_path, synthetic_root):
    """A folder whose data/synthetic is the tiny dataset; runs start there,
    away from the checkout, so that mim must find the config itself."""
    os.makedirs(tmp_path / 'data')
    os.symlink(synthetic_root, tmp_path / 'data' / 'synthetic')
    return tmp_path


def _mim(args, cwd, pythonpath):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=pythonpath)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    result = subprocess.run([MIM] + args, cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout[-4000:] +
                                    result.stderr[-4000:])
    return result.stdout + result.stderr


def _train_and_test(cwd, pythonpath, package_root):
    out = _mim(['train', 'hpse_bench', PRETRAIN, '--work-dir', 'w_train',
                '--cfg-options'] + TINY_TRAIN, cwd, pythonpath)
    # mim found the config inside the package, not in the workspace.
    assert "doesn't exist but we find the config file" in out
    assert osp.join(package_root, '.mim', 'tools', 'train.py') in out
    assert osp.isfile(osp.join(cwd, 'w_train', 'epoch_1.pth'))

    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import hpse_bench
    from hpse_bench.registry import MODELS
    hpse_bench.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(REPO, FINETUNE))
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        model = MODELS.build(cfg.model)
    checkpoint = osp.join(cwd, 'hmr.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out = _mim(['test', 'hpse_bench', FINETUNE, '--checkpoint', checkpoint,
                '--work-dir', 'w_test', '--cfg-options'] + TINY_TEST, cwd,
               pythonpath)
    assert osp.join(package_root, '.mim', 'tools', 'test.py') in out
    assert 'h36m/pa_mpjpe' in out, out[-3000:]


@pytest.mark.slow
def test_mim_with_the_editable_install(tmp_path, synthetic_root):
    mim_root = osp.join(REPO, 'hpse_bench', '.mim')
    assert osp.isfile(osp.join(mim_root, 'tools', 'train.py')), (
        'hpse_bench/.mim is made by `pip install -e .`; run it again')
    cwd = _workspace(tmp_path, synthetic_root)
    _train_and_test(str(cwd), REPO, osp.join(REPO, 'hpse_bench'))


def _copy_checkout(dst):
    ignore = shutil.ignore_patterns('__pycache__', '.mim', '*.egg-info')
    for name in ('setup.py', 'MANIFEST.in', 'README.md', 'LICENSE',
                 'model-index.yml'):
        shutil.copy(osp.join(REPO, name), dst)
    for name in ('requirements', 'hpse_bench', 'configs', 'tools', 'demo'):
        if osp.isdir(osp.join(REPO, name)):
            shutil.copytree(
                osp.join(REPO, name), osp.join(dst, name), ignore=ignore)


@pytest.mark.slow
def test_mim_with_a_wheel_install(tmp_path, synthetic_root):
    source = tmp_path / 'source'
    os.makedirs(source)
    _copy_checkout(str(source))
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '-w', str(tmp_path / 'dist'), str(source)],
        check=True, capture_output=True, timeout=600)
    wheel, = glob.glob(str(tmp_path / 'dist' / 'hpse_bench-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for packed in ('hpse_bench/.mim/configs/pretrain/jointcon.py',
                   'hpse_bench/.mim/configs/pretrain/jointcon/metafile.yml',
                   'hpse_bench/.mim/tools/train.py',
                   'hpse_bench/.mim/tools/test.py',
                   'hpse_bench/.mim/tools/dist_train.sh',
                   'hpse_bench/.mim/tools/analysis_tools/get_flops.py',
                   'hpse_bench/.mim/model-index.yml'):
        assert packed in names, packed
    target = tmp_path / 'site'
    subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--target',
         str(target), wheel],
        check=True, capture_output=True, timeout=600)
    cwd = _workspace(tmp_path / 'run', synthetic_root)
    _train_and_test(str(cwd), str(target), str(target / 'hpse_bench'))
