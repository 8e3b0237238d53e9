import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    path = osp.join(HERE, 'requirements', name)
    out = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                out.append(line)
    return out


def add_mim_extension():
    """Place the configs, tools, demo and model index under
    ``hpse_bench/.mim``, where ``mim train hpse_bench CONFIG`` and
    ``mim test`` look for them (as mmpose and mmpretrain do).

    An editable install links them (edits stay live); a wheel or sdist gets
    copies, which MANIFEST.in packs.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py', 'install'} & set(
            sys.argv):
        mode = 'copy'
    else:
        return
    mim_root = osp.join(HERE, 'hpse_bench', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in ('configs', 'tools', 'demo', 'model-index.yml'):
        src = osp.join(HERE, name)
        if not osp.exists(src):
            continue
        dst = osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


version = {}
with open(osp.join(HERE, 'hpse_bench', 'version.py')) as f:
    exec(f.read(), version)

if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='hpse_bench',
        version=version['__version__'],
        description='Backbone pre-training benchmark for 3D human pose and '
        'shape estimation, an OpenMMLab plugin',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('tests', 'configs', 'tools', 'demo')),
        include_package_data=True,
        python_requires='>=3.10',
        # mmpose is installed separately with --no-deps
        # (requirements/mmpose.txt).
        install_requires=read_requirements('torch.txt') +
        read_requirements('runtime.txt'),
        extras_require=dict(
            tests=read_requirements('tests.txt'),
            optional=read_requirements('optional.txt'),
            tensorboard=['tensorboard'],
            wandb=['wandb']),
        license='Apache License 2.0',
        zip_safe=False)
