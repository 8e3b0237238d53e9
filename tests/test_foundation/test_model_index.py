"""model-index.yml lists every model config, and every entry exists."""
import glob
import os.path as osp

from modelindex.load_model_index import load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Study configs (configs/study/) describe runs of many models, not a model.
MODEL_CONFIG_FOLDERS = ('pretrain', 'finetune', 'mmhuman3d')


def _index():
    return load(osp.join(REPO, 'model-index.yml'))


def test_every_model_config_is_indexed_and_every_entry_exists():
    index = _index()
    listed = [m.config for m in index.models]
    assert len(listed) == len(set(listed)), 'a config is listed twice'
    on_disk = sorted(
        osp.relpath(p, REPO) for folder in MODEL_CONFIG_FOLDERS
        for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py')))
    assert sorted(listed) == on_disk
    for model in index.models:
        assert osp.splitext(osp.basename(model.config))[0] == model.name


def test_entries_name_their_collection_task_and_data():
    index = _index()
    collections = {c.name for c in index.collections}
    for model in index.models:
        assert model.in_collection in collections, model.name
        meta = model.metadata.data
        assert meta.get('Task'), model.name
        if model.config.startswith('configs/pretrain') or \
                model.config.startswith('configs/finetune'):
            assert meta.get('Training Data'), model.name
            synthetic = model.name.endswith('_synthetic')
            assert synthetic == meta['Training Data'].startswith(
                'embedded synthetic data'), model.name


def test_metadata_agrees_with_the_configs():
    from mmengine.config import Config
    index = _index()
    for model in index.models:
        meta = model.metadata.data
        if 'Epochs' not in meta:
            continue
        cfg = Config.fromfile(osp.join(REPO, model.config))
        assert cfg.train_cfg.max_epochs == meta['Epochs'], model.name
        depth = int(meta['Architecture'][0].split('-')[1])
        assert cfg.model.backbone.depth == depth, model.name
