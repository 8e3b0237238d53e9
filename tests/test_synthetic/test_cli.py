"""tools/data/make_synthetic.py and tools/data/browse_synthetic.py."""
import json
import os.path as osp
import runpy
import sys

import cv2
import pytest

from hpse_bench.synthetic import available_splits

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data')


def run_tool(name, *args):
    old = sys.argv
    sys.argv = [name, *args]
    try:
        runpy.run_path(osp.join(TOOLS, name), run_name='__main__')
    finally:
        sys.argv = old


def test_make_synthetic_writes_the_requested_splits(tmp_path, capsys):
    out = str(tmp_path / 'synthetic')
    run_tool('make_synthetic.py', '--out', out, '--num', '2', '--seed', '7',
             '--splits', 'pw3d', 'h36m', '--image-size', '128')
    assert 'synthetic data ready' in capsys.readouterr().out
    assert available_splits(out) == ['h36m', 'pw3d']
    with open(osp.join(out, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    assert manifest['seed'] == 7
    assert manifest['num_images'] == {
        'h36m': dict(train=2, test=1),
        'pw3d': dict(test=2)
    }
    img = cv2.imread(
        osp.join(out, 'pw3d', 'images', 'test',
                 f'{manifest["request_digest"]}_000001.jpg'))
    assert img.shape == (128, 128, 3)
    with pytest.raises(SystemExit, match='unknown split'):
        run_tool('make_synthetic.py', '--out', out, '--splits', 'mpii')


@pytest.mark.parametrize('split', ['coco', 'h36m', 'mupots'])
def test_browse_synthetic_draws_a_grid(synthetic_root, tmp_path, split):
    out = str(tmp_path / f'{split}.png')
    run_tool('browse_synthetic.py', '--root', synthetic_root, '--split',
             split, '--num', '3', '--cols', '2', '--panel', '96', '--out',
             out)
    grid = cv2.imread(out)
    # Two tiles per row, three 96-pixel panels per tile, 2-pixel frames.
    assert grid.shape[1] == 2 * (3 * 96 + 4)
    assert grid.shape[0] == 2 * (96 + 4)
    assert grid.std() > 10  # not blank
