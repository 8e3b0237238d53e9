import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    out = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                out.append(line)
    return out


version = {}
with open(osp.join('hpse_bench', 'version.py')) as f:
    exec(f.read(), version)

setup(
    name='hpse_bench',
    version=version['__version__'],
    description='Backbone pre-training benchmark for 3D human pose and shape '
    'estimation, an OpenMMLab plugin',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    include_package_data=True,
    python_requires='>=3.10',
    # mmpose is installed separately with --no-deps (requirements/mmpose.txt).
    install_requires=read_requirements('torch.txt') +
    read_requirements('runtime.txt'),
    extras_require=dict(
        tests=read_requirements('tests.txt'),
        optional=read_requirements('optional.txt')),
    license='Apache License 2.0',
    zip_safe=False)
