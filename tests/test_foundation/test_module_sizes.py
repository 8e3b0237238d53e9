"""The whole package keeps to the house limits: no module over ~400 lines,
no function over ~80 lines unless its docstring says why."""
import ast
import glob
import os.path as osp

import pytest

import hpse_bench

PACKAGE = osp.dirname(hpse_bench.__file__)
MODULES = sorted(glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


@pytest.mark.parametrize(
    'path', MODULES, ids=[osp.relpath(p, PACKAGE) for p in MODULES])
def test_module_and_function_sizes(path):
    with open(path) as f:
        source = f.read()
    lines = source.count('\n')
    assert lines <= MAX_MODULE_LINES, (
        f'{osp.relpath(path, PACKAGE)} has {lines} lines')
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ''
            assert length <= MAX_FUNCTION_LINES or 'because' in doc, (
                f'{osp.relpath(path, PACKAGE)}:{node.lineno} {node.name} '
                f'has {length} lines and no stated reason')
