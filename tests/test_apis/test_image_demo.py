"""demo/image_demo.py on a real photograph, synthetic images and a video.

The overlays are read back from the PNGs the demo writes and compared with
what the returned predictions say: the mesh pixels must lie inside the
person's crop (the box itself when the whole image is the box; a given box
enlarged to SPIN's 1.2x square, which is all the network sees, with the
mesh centred in the box), and their silhouette must be that of the returned
SMPL parameters projected by hand through the returned weak-perspective
camera (SPIN's perspective equivalent on that crop).

The photograph runs the script as a user does (a new process); the folder
and the video call its ``main`` in this process, which saves the start-up.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from inference_configs import CONFIGS, REPO
from mmengine.config import Config

from hpse_bench.body_models import SMPL
from hpse_bench.synthetic import split_files
from hpse_bench.synthetic.layout import image_file

DEMO = osp.join(REPO, 'demo', 'image_demo.py')
HMR_CONFIG = CONFIGS['HMR'][0]
# Box outlines are drawn 2-3 px wide with anti-aliasing; pixels this close
# to a box edge are left out of the mesh comparison.
BOX_BAND = 4


def load_demo():
    spec = importlib.util.spec_from_file_location('image_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_demo(*args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run([sys.executable, DEMO, *args],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + \
        result.stderr[-4000:]
    return result.stdout


def crop_size(config: str) -> int:
    pipeline = Config.fromfile(config).test_pipeline
    (affine, ) = [t for t in pipeline if t['type'] == 'TopdownHumanAffine']
    return int(affine['input_size'][0])


def box_band(shape, box) -> np.ndarray:
    """Pixels within BOX_BAND of the box outline."""
    band = np.zeros(shape, np.uint8)
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    cv2.rectangle(band, (x1, y1), (x2, y2), 1, 2 * BOX_BAND + 1)
    return band.astype(bool)


def expected_silhouette(person: dict, shape, size: int,
                        body_model: SMPL) -> np.ndarray:
    """The mesh of the returned parameters, projected by hand and filled
    triangle by triangle."""
    pose = torch.tensor(person['pred_smpl_pose'])[None]
    betas = torch.tensor(person['pred_smpl_betas'])[None]
    with torch.no_grad():
        verts = body_model(
            betas=betas, body_pose=pose[:, 3:],
            global_orient=pose[:, :3])['vertices'][0].double().numpy()
    s, tx, ty = person['pred_cam']
    focal = 5000.0
    cam = verts + [tx, ty, 2 * focal / (size * s)]
    crop = focal * cam[:, :2] / cam[:, 2:] + size / 2
    x1, y1, x2, y2 = person['bbox']
    side = max(x2 - x1, y2 - y1) * (1.2 if person.get('given') else 1.0)
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    pixels = centre + (crop - size / 2) * side / size
    mask = np.zeros(shape, np.uint8)
    for tri in pixels[body_model.faces]:
        cv2.fillConvexPoly(mask,
                           np.round(tri * 16).astype(np.int32), 1, cv2.LINE_8,
                           4)
    return mask.astype(bool)


def check_overlay(image_path: str, out_dir: str, stem: str, given_box: bool,
                  body_model: SMPL) -> np.ndarray:
    """Compare the drawn mesh with the returned predictions; return the
    drawn mesh mask."""
    image = cv2.imread(image_path)
    h, w = image.shape[:2]
    overlay = cv2.imread(osp.join(out_dir, f'{stem}_overlay.png'))
    assert overlay.shape[0] >= h and overlay.shape[1] > w  # + legend
    with open(osp.join(out_dir, f'{stem}_pred.json')) as f:
        record = json.load(f)
    (person, ) = record['people']
    person['given'] = given_box
    band = box_band((h, w), person['bbox'])
    drawn = (overlay[:h, :w] != image).any(-1) & ~band
    assert drawn.sum() > 1000
    x1, y1, x2, y2 = person['bbox']
    ys, xs = np.nonzero(drawn)
    # An untrained model predicts the mean body and camera: 0.77 of the
    # crop tall, a little above its centre, so its head may rise above a
    # given box; it stays inside the crop, centred in the box.
    half = max(x2 - x1, y2 - y1) * (0.6 if given_box else 0.5)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    assert xs.min() >= cx - half and xs.max() <= cx + half
    assert ys.min() >= cy - half and ys.max() <= cy + half
    assert x1 < xs.mean() < x2 and y1 < ys.mean() < y2
    expected = expected_silhouette(person, (h, w), crop_size(HMR_CONFIG),
                                   body_model) & ~band
    iou = (drawn & expected).sum() / (drawn | expected).sum()
    assert iou > 0.98, iou
    ey, ex = np.nonzero(expected)
    assert abs(xs.mean() - ex.mean()) < 0.5
    assert abs(ys.mean() - ey.mean()) < 0.5
    return drawn


def check_side_view(out_dir: str, stem: str, drawn: np.ndarray) -> None:
    """The side view holds a mesh as tall as the overlay's (a turn about the
    vertical keeps heights, up to the slight perspective)."""
    side = cv2.imread(osp.join(out_dir, f'{stem}_side.png'))
    assert side.shape[:2] == drawn.shape
    body = (side != side[0, 0]).any(-1)
    rows, side_rows = np.nonzero(drawn)[0], np.nonzero(body)[0]
    height = rows.max() - rows.min()
    assert abs((side_rows.max() - side_rows.min()) - height) <= 0.03 * height
    # Seen from the side the body is narrower than from the front.
    assert np.ptp(np.nonzero(body)[1]) < np.ptp(np.nonzero(drawn)[1])


@pytest.fixture(scope='module')
def body_model():
    return SMPL(smpl_root='embedded')


def test_demo_on_a_photograph_with_a_given_box(photo_path, tmp_path,
                                               body_model):
    out = str(tmp_path / 'out')
    box = ['40', '40', '480', '560']
    run_demo(photo_path, HMR_CONFIG, 'none', '--bbox', *box, '--out-dir', out,
             '--alpha', '1.0')
    drawn = check_overlay(photo_path, out, 'grace_hopper', True, body_model)
    check_side_view(out, 'grace_hopper', drawn)


def synthetic_test_image(synthetic_root, split, index):
    digest = split_files(synthetic_root, split)['test']['request_digest']
    return osp.join(synthetic_root, image_file(split, 'test', index, digest))


def test_demo_on_a_folder_of_synthetic_images(synthetic_root, tmp_path,
                                              body_model):
    folder = tmp_path / 'images'
    folder.mkdir()
    sources = {}
    for split, name in (('h36m', 'h36m_0'), ('pw3d', 'pw3d_0')):
        src = synthetic_test_image(synthetic_root, split, 0)
        shutil.copy(src, folder / f'{name}.jpg')
        sources[name] = str(folder / f'{name}.jpg')
    out = str(tmp_path / 'out')
    run_demo(
        str(folder), HMR_CONFIG, 'none', '--out-dir', out, '--alpha', '1.0')
    for name, path in sources.items():
        # No box: the whole image is the person box.
        drawn = check_overlay(path, out, name, False, body_model)
        check_side_view(out, name, drawn)


def test_demo_on_a_video(synthetic_root, tmp_path):
    video = str(tmp_path / 'clip.mp4')
    frames = [
        cv2.imread(synthetic_test_image(synthetic_root, 'h36m', i))
        for i in range(3)
    ]
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5.0,
                             frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    out = str(tmp_path / 'out')
    run_demo(video, HMR_CONFIG, 'none', '--out-dir', out, '--max-frames', '2')
    names = sorted(os.listdir(out))
    assert [n for n in names if n.endswith('_overlay.png')
            ] == ['clip_000000_overlay.png', 'clip_000001_overlay.png']
    capture = cv2.VideoCapture(osp.join(out, 'clip_overlay.mp4'))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 2


def test_demo_refuses_a_missing_input(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run([
        sys.executable, DEMO,
        str(tmp_path / 'nothing.jpg'), HMR_CONFIG, 'none'
    ],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode != 0
    assert 'nothing.jpg' in result.stderr
