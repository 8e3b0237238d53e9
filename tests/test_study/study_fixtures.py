"""A tiny study on the session's tiny synthetic data, for the runner tests.

Random init and JointCon (J) pre-trained for two iterations, HMR fine-tuned
for one epoch of 8 images, tested on the combined 3DPW / H36M / MuPoTS
stand-ins: six real subprocess stages.
"""
import glob
import json
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WORK_ROOT = 'work_dirs/study/tiny'
PRETRAIN_CFG = osp.join(
    REPO, 'configs/pretrain/jointcon-j_r18_1xb8-2e_coco_synthetic.py')
FINETUNE_CFG = osp.join(
    REPO, 'configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def flat_synthetic_options(synthetic_root):
    """Options that make every stage ask for exactly the session's tiny
    dataset (as recorded in its manifest), so none regenerates it."""
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    out = {'synthetic_data.root': 'data/synthetic',
           'synthetic_data.seed': manifest['seed']}
    for split, subsets in manifest['num_images'].items():
        for subset, n in subsets.items():
            out[f'synthetic_data.num_images.{split}.{subset}'] = n
    # Image sizes too: the fixture's differ from the default request's.
    for key in ('image_size', 'multi_person_image_size'):
        out[f'synthetic_data.{key}'] = manifest['options'][key]
    return out


def loader_options(*loaders):
    """No loader worker processes (tiny data; fast start)."""
    out = {}
    for loader in loaders:
        out[f'{loader}.num_workers'] = 0
        out[f'{loader}.persistent_workers'] = False
    return out


def tiny_study_text(synthetic_root, fractions=(1.0, ), extra=''):
    """The study config's text; ``extra`` is appended (more keys)."""
    return f"""
study_name = 'tiny'
work_root = {WORK_ROOT!r}
seeds = [0]
fractions = {list(fractions)!r}
stage_cfg_options = {flat_synthetic_options(synthetic_root)!r}
pretrain = dict(
    random_init=dict(label='Random init', data='-'),
    jointcon_j=dict(
        label='JointCon (J)',
        data='synthetic COCO',
        config={PRETRAIN_CFG!r},
        cfg_options={{'train_cfg.max_epochs': 1,
                      'train_dataloader.batch_size': 4,
                      **{loader_options('train_dataloader')!r}}},
        annotation='bbox+pose'))
finetune = dict(
    hmr=dict(
        config={FINETUNE_CFG!r},
        cfg_options={{'train_cfg.max_epochs': 1,
                      'default_hooks.checkpoint.interval': 1,
                      'train_dataloader.batch_size': 4,
                      **{loader_options(*LOADERS)!r}}},
        test_cfg_options={loader_options('test_dataloader')!r}))
table = dict(columns=[
    dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True),
    dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
    dict(key='mupots/pck_all', name='MuPoTS 3DPCK', lower_is_better=False)],
    curve_metric='3dpw/pa_mpjpe')
""" + extra


def write_study(workspace, text, name='tiny_study.py'):
    path = osp.join(workspace, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def make_workspace(path, synthetic_root):
    """A folder whose ``data/synthetic`` is the session's tiny data."""
    os.makedirs(osp.join(path, 'data'), exist_ok=True)
    link = osp.join(path, 'data', 'synthetic')
    if not osp.islink(link):
        os.symlink(synthetic_root, link)
    return str(path)


def study_cmd(study, *args):
    return [sys.executable, osp.join(REPO, 'tools', 'study.py'), study,
            *args]


def child_env():
    env = dict(os.environ)
    env['OMP_NUM_THREADS'] = '1'
    return env


def done_records(workspace, work_root=WORK_ROOT):
    """``{stage: (record, mtime_ns)}`` of every DONE.json (``.stale/``
    excluded: glob skips hidden folders)."""
    out = {}
    for path in glob.glob(
            osp.join(workspace, work_root, '**', 'DONE.json'),
            recursive=True):
        with open(path) as f:
            rec = json.load(f)
        out[rec['stage']] = (rec, os.stat(path).st_mtime_ns)
    return out


def raw_test_metrics(test_dir):
    """The metrics line MMEngine's LoggerHook wrote, read independently."""
    runs = sorted(d for d in glob.glob(osp.join(test_dir, '2*'))
                  if osp.isdir(d))
    with open(osp.join(runs[-1], osp.basename(runs[-1]) + '.json')) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    return lines[-1]


def results_csv(workspace, work_root=WORK_ROOT):
    """``{(method, metric): mean}`` of the report's results.csv."""
    with open(osp.join(workspace, work_root, 'report', 'results.csv')) as f:
        rows = [line.rstrip('\n').split(',') for line in f][1:]
    header, rows = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    return {(r[col['method']], r[col['metric']]):
            float(r[col['mean']]) if r[col['mean']] else None
            for r in rows}
