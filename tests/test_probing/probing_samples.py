"""The fine-tune config the read-out tests run, pointed at the session's
tiny synthetic data."""
import json
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The fine-tune config every read-out test runs (HMR, R18, 128 px, the
#: 3DPW / H36M / MuPoTS test sets).
HMR_CONFIG = osp.join(
    REPO, 'configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')


def fixture_options(synthetic_root: str) -> dict:
    """--cfg-options pointing HMR_CONFIG at the session's tiny synthetic
    data: every data set's root, and the data request of its manifest (so
    that the entry points validate the copy instead of regenerating it)."""
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    out = {'synthetic_data.root': synthetic_root,
           'synthetic_data.seed': manifest['seed']}
    for split, subsets in manifest['num_images'].items():
        for subset, n in subsets.items():
            out[f'synthetic_data.num_images.{split}.{subset}'] = n
    # Image sizes too: the fixture's differ from the default request's.
    for key in ('image_size', 'multi_person_image_size'):
        out[f'synthetic_data.{key}'] = manifest['options'][key]
    root = synthetic_root.rstrip('/') + '/'
    for i in range(2):
        out[f'train_dataloader.dataset.datasets.{i}.data_root'] = root
    for loader in ('val_dataloader', 'test_dataloader'):
        for i in range(3):
            out[f'{loader}.dataset.datasets.{i}.data_root'] = root
    return out


def as_cli(options: dict) -> list:
    return [f'{k}={v}' for k, v in options.items()]
