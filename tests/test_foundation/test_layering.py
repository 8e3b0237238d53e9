"""The package's floors: no module imports from a floor above its own.

Read from the source with ``ast`` (no import is executed), so a lazy import
inside a function counts as much as one at the top of a module. The one
allowed exception is ``register_all_modules``, which by OpenMMLab convention
imports every package to fill the registries.
"""
import ast
import os.path as osp
import pkgutil

import hpse_bench

#: Subpackage (or top-level module) -> floor. Lower floors never import
#: higher ones.
FLOORS = {
    'registry': 0,
    'version': 0,
    'utils': 0,
    'structures': 1,
    'body_models': 2,
    'checkpoint': 2,
    'datasets': 3,
    'models': 3,
    'evaluation': 3,
    'engine': 3,
    'visualization': 3,
    'synthetic': 4,
    'probing': 4,
    'apis': 5,
    'study': 5,
}
#: Modules allowed to import upwards, and why.
EXCEPTIONS = {
    # OpenMMLab convention: imports every package to fill the registries.
    'hpse_bench.utils.setup_env',
}

PACKAGE_DIR = osp.dirname(hpse_bench.__file__)


def _modules():
    for info in pkgutil.walk_packages([PACKAGE_DIR], prefix='hpse_bench.'):
        yield info.name


def _source_file(module: str) -> str:
    rel = module.split('.')[1:]
    path = osp.join(PACKAGE_DIR, *rel)
    if osp.isdir(path):
        return osp.join(path, '__init__.py')
    return path + '.py'


def _imported(module: str, tree: ast.AST):
    is_package = _source_file(module).endswith('__init__.py')
    base = module.split('.') if is_package else module.split('.')[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[:len(base) - node.level + 1]
                name = '.'.join(parent + ([node.module] if node.module else
                                          []))
            else:
                name = node.module or ''
            yield name, node.lineno
            for alias in node.names:
                # ``from hpse_bench import body_models`` imports a package.
                yield f'{name}.{alias.name}', node.lineno


def _floor(module: str):
    parts = module.split('.')
    if parts[0] != 'hpse_bench' or len(parts) < 2:
        return None
    return FLOORS.get(parts[1])


def test_every_subpackage_has_a_floor():
    top = {m.split('.')[1] for m in _modules()}
    assert top <= set(FLOORS), f'give these a floor: {top - set(FLOORS)}'


def test_no_import_runs_upwards():
    upward = []
    for module in _modules():
        if module in EXCEPTIONS:
            continue
        own = _floor(module)
        with open(_source_file(module)) as f:
            tree = ast.parse(f.read())
        for name, line in _imported(module, tree):
            target = _floor(name)
            if own is not None and target is not None and target > own:
                upward.append(f'{module}:{line} imports {name} '
                              f'(floor {own} -> {target})')
    assert not upward, '\n'.join(sorted(set(upward)))


def test_the_layering_check_sees_an_upward_import(tmp_path):
    # The checker itself: a structures module importing a model is caught.
    tree = ast.parse('from hpse_bench.models.heads import HMRHead\n'
                     'from ..models import heads\n')
    found = list(_imported('hpse_bench.structures.conventions', tree))
    assert ('hpse_bench.models.heads', 1) in found
    assert ('hpse_bench.models', 2) in found
    assert all(_floor(n) == 3 for n, _ in found)


def test_registries_name_one_location_each():
    from mmengine.registry import Registry

    from hpse_bench import registry
    for name in dir(registry):
        reg = getattr(registry, name)
        if isinstance(reg, Registry) and reg._locations:
            assert len(reg._locations) == 1, (name, reg._locations)
