"""Bad COCO / COCO-DensePose input: counted, logged skips for unusable
people, clear errors naming the file and the annotation or image for
malformed files; never silent training on them."""
import copy
import json
import logging

import numpy as np
import pytest
from densepose_samples import write_densepose_coco
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from hpse_bench.registry import DATASETS

NAN = float('nan')


@pytest.fixture(autouse=True)
def _scope():
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        yield


class ListHandler(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def build_logged(cfg):
    """Build a dataset from ``cfg``; return it and the warnings logged."""
    logger = MMLogger.get_current_instance()
    handler = ListHandler()
    logger.addHandler(handler)
    try:
        dataset = DATASETS.build(cfg)
        len(dataset)
    finally:
        logger.removeHandler(handler)
    return dataset, handler.messages


@pytest.fixture(scope='module')
def densepose(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('densepose_bad'))
    info = write_densepose_coco(root)
    with open(info['ann_file']) as f:
        info['coco'] = json.load(f)
    info['root'] = root
    return info


def densepose_cfg(root, ann_file):
    return dict(type='CocoDensePoseDataset',
                data_root=root,
                ann_file=str(ann_file),
                data_prefix=dict(img='images/'),
                pipeline=[])


def write_variant(info, tmp_path, change):
    coco = copy.deepcopy(info['coco'])
    change(coco)
    path = tmp_path / 'variant.json'
    path.write_text(json.dumps(coco))
    return path


def ann_of(coco, ann_id):
    return next(a for a in coco['annotations'] if a['id'] == ann_id)


def ids_of(dataset):
    return sorted(dataset.get_data_info(i)['id'] for i in range(len(dataset)))


# ---------------------------------------------------------------------------
# COCO-DensePose
# ---------------------------------------------------------------------------
def test_densepose_reference_people(densepose, tmp_path):
    path = write_variant(densepose, tmp_path, lambda c: None)
    dataset, messages = build_logged(densepose_cfg(densepose['root'], path))
    assert ids_of(dataset) == [1, 2, 4]
    assert not messages


@pytest.mark.parametrize('field, reason', [('bbox', 'non-finite bbox'),
                                           ('keypoints',
                                            'non-finite keypoints')])
def test_densepose_nan_person_is_skipped_and_counted(densepose, tmp_path,
                                                     field, reason):

    def change(coco):
        ann_of(coco, 2)[field][1] = NAN

    path = write_variant(densepose, tmp_path, change)
    dataset, messages = build_logged(densepose_cfg(densepose['root'], path))
    assert ids_of(dataset) == [1, 4]
    assert any(str(path) in m and f'{reason}: 1' in m for m in messages), \
        messages


def test_densepose_other_category_is_skipped_and_named(densepose, tmp_path):

    def change(coco):
        coco['categories'].append(dict(id=18, name='dog'))
        ann_of(coco, 2)['category_id'] = 18

    path = write_variant(densepose, tmp_path, change)
    dataset, messages = build_logged(densepose_cfg(densepose['root'], path))
    assert ids_of(dataset) == [1, 4]
    assert any(str(path) in m and "category 'dog': 1" in m
               for m in messages), messages


def test_densepose_without_person_category_is_an_error(densepose, tmp_path):

    def change(coco):
        coco['categories'] = [dict(id=1, name='dog')]

    path = write_variant(densepose, tmp_path, change)
    with pytest.raises(ValueError, match='"person"') as info:
        DATASETS.build(densepose_cfg(densepose['root'], path))
    assert str(path) in str(info.value) and 'dog' in str(info.value)


def test_densepose_unknown_image_id_is_an_error(densepose, tmp_path):

    def change(coco):
        ann_of(coco, 2)['image_id'] = 99

    path = write_variant(densepose, tmp_path, change)
    with pytest.raises(ValueError) as info:
        DATASETS.build(densepose_cfg(densepose['root'], path))
    message = str(info.value)
    assert str(path) in message and 'image id' in message
    assert '99' in message and 'annotation id' in message


def test_densepose_invalid_json_names_the_file(densepose, tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text(json.dumps(densepose['coco'])[:-40])
    with pytest.raises(ValueError, match='not valid JSON') as info:
        DATASETS.build(densepose_cfg(densepose['root'], path))
    assert str(path) in str(info.value)
    assert 'line 1' in str(info.value)


@pytest.mark.parametrize('key', ['file_name', 'width', 'id'])
def test_densepose_image_entry_without_key_is_named(densepose, tmp_path, key):

    def change(coco):
        coco['images'][1].pop(key)

    path = write_variant(densepose, tmp_path, change)
    with pytest.raises(ValueError) as info:
        DATASETS.build(densepose_cfg(densepose['root'], path))
    message = str(info.value)
    assert str(path) in message and 'image entry 1' in message
    assert repr(key) in message


@pytest.mark.parametrize('change, expected', [
    (lambda a: a.__setitem__('keypoints', [1.0] * 50), 'keypoints'),
    (lambda a: a.__setitem__('keypoints', [1.0] * 48), 'keypoints'),
    (lambda a: a.__setitem__('bbox', [1.0] * 3), 'bbox'),
    (lambda a: a.__setitem__('dp_x', [[1.0, 2.0]] * len(a['dp_x'])), 'dp_x'),
    (lambda a: a.__setitem__('dp_x', 'x' * len(a['dp_x'])), 'dp_x'),
    (lambda a: a['dp_masks'].__setitem__(
        0, dict(size=[256, 256], counts=[5, 10, 3])), r'dp_masks\[0\]'),
    (lambda a: a['dp_masks'].__setitem__(
        0, dict(size=[256, 256], counts=5)), r'dp_masks\[0\]'),
])
def test_densepose_malformed_fields_name_the_annotation(
        densepose, tmp_path, change, expected):

    def mutate(coco):
        change(ann_of(coco, 1))

    path = write_variant(densepose, tmp_path, mutate)
    with pytest.raises(ValueError, match=expected) as info:
        dataset = DATASETS.build(densepose_cfg(densepose['root'], path))
        for i in range(len(dataset)):
            dataset.get_data_info(i)
    assert str(path) in str(info.value)
    assert 'annotation id 1' in str(info.value)


def test_densepose_undecodable_mask_names_the_annotation(
        densepose, tmp_path):
    """A compressed RLE string that pycocotools cannot decode fails when the
    person is read, naming the file and the annotation."""

    def mutate(coco):
        ann_of(coco, 1)['dp_masks'][0] = dict(size=[256, 256],
                                              counts='zzzz!!')

    path = write_variant(densepose, tmp_path, mutate)
    dataset = DATASETS.build(densepose_cfg(densepose['root'], path))
    # Other people are unaffected (image 0 holds people 1 and 2).
    assert dataset.get_data_info(1)['id'] == 2
    with pytest.raises(ValueError, match=r'dp_masks\[0\]') as info:
        for i in range(len(dataset)):
            dataset.get_data_info(i)
    assert str(path) in str(info.value)
    assert 'annotation id 1' in str(info.value)


def test_densepose_image_outside_the_root_is_refused(densepose, tmp_path):

    def change(coco):
        coco['images'][0]['file_name'] = '../../secret.png'

    path = write_variant(densepose, tmp_path, change)
    with pytest.raises(ValueError) as info:
        DATASETS.build(densepose_cfg(densepose['root'], path))
    assert str(path) in str(info.value)
    assert "'../../secret.png'" in str(info.value)


# ---------------------------------------------------------------------------
# COCO person crops (the SSL pre-training data)
# ---------------------------------------------------------------------------
def crops_file(tmp_path, anns, categories=None, file_name='a.jpg'):
    coco = dict(images=[dict(id=1, file_name=file_name, width=80, height=60)],
                annotations=anns,
                categories=categories or [dict(id=1, name='person')])
    path = tmp_path / 'crops.json'
    path.write_text(json.dumps(coco))
    return path


def crop_person(ann_id, bbox=(10, 10, 30, 40), category_id=1):
    kp = np.zeros((17, 3))
    kp[:, 0], kp[:, 1], kp[:, 2] = 20, 20, 2
    return dict(id=ann_id,
                image_id=1,
                category_id=category_id,
                iscrowd=0,
                bbox=list(bbox),
                keypoints=kp.ravel().tolist())


def crops_cfg(path):
    return dict(type='CocoPersonCropDataset',
                ann_file=str(path),
                data_prefix=dict(img=str(path.parent)))


def test_crops_nan_people_are_skipped_and_counted(tmp_path):
    nan_kp = crop_person(3)
    nan_kp['keypoints'][4] = NAN
    path = crops_file(tmp_path, [
        crop_person(1),
        crop_person(2, bbox=(NAN, 10, 30, 40)),
        nan_kp,
        crop_person(4, bbox=(10, 10, NAN, NAN)),
    ])
    dataset, messages = build_logged(crops_cfg(path))
    assert [dataset.get_data_info(i)['ann_id']
            for i in range(len(dataset))] == [1]
    assert any(
        str(path) in m and 'non-finite bbox: 2' in m
        and 'non-finite keypoints: 1' in m for m in messages), messages


def test_crops_other_category_is_skipped_and_named(tmp_path):
    path = crops_file(tmp_path, [crop_person(1),
                                 crop_person(2, category_id=18)],
                      categories=[dict(id=1, name='person'),
                                  dict(id=18, name='dog')])
    dataset, messages = build_logged(crops_cfg(path))
    assert len(dataset) == 1
    assert any(str(path) in m and "category 'dog': 1" in m
               for m in messages), messages


def test_crops_without_person_category_is_an_error(tmp_path):
    path = crops_file(tmp_path, [crop_person(1)],
                      categories=[dict(id=1, name='dog')])
    with pytest.raises(ValueError, match='"person"') as info:
        DATASETS.build(crops_cfg(path))
    assert str(path) in str(info.value) and 'dog' in str(info.value)


@pytest.mark.parametrize('file_name', ['/etc/passwd', '../x.jpg'])
def test_crops_image_outside_the_root_is_refused(tmp_path, file_name):
    path = crops_file(tmp_path, [crop_person(1)], file_name=file_name)
    with pytest.raises(ValueError) as info:
        DATASETS.build(crops_cfg(path))
    assert str(path) in str(info.value)
    assert repr(file_name) in str(info.value)


# ---------------------------------------------------------------------------
# LSP (the same COCO-style loading)
# ---------------------------------------------------------------------------
def lsp_file(tmp_path, anns):
    coco = dict(images=[dict(id=1, file_name='a.jpg', width=80, height=60)],
                annotations=anns,
                categories=[dict(id=1, name='person')])
    path = tmp_path / 'lsp.json'
    path.write_text(json.dumps(coco))
    return path


def lsp_person(ann_id, image_id=1, bbox=(10, 10, 30, 40)):
    kp = np.zeros((14, 3))
    kp[:, 0], kp[:, 1], kp[:, 2] = 20, 20, 2
    return dict(id=ann_id,
                image_id=image_id,
                category_id=1,
                iscrowd=0,
                bbox=list(bbox),
                num_keypoints=14,
                keypoints=kp.ravel().tolist())


def lsp_cfg(path):
    return dict(type='LspDataset',
                ann_file=str(path),
                data_prefix=dict(img=str(path.parent)),
                pipeline=[])


def test_lsp_unknown_image_id_is_an_error(tmp_path):
    path = lsp_file(tmp_path, [lsp_person(1), lsp_person(2, image_id=7)])
    with pytest.raises(ValueError) as info:
        DATASETS.build(lsp_cfg(path))
    assert str(path) in str(info.value)
    assert 'annotation id 2 -> image id 7' in str(info.value)


def test_lsp_nan_box_is_skipped_and_counted(tmp_path):
    path = lsp_file(tmp_path,
                    [lsp_person(1), lsp_person(2, bbox=(NAN, 1, 2, 3))])
    dataset, messages = build_logged(lsp_cfg(path))
    assert len(dataset) == 1
    assert any(str(path) in m and 'non-finite bbox: 1' in m
               for m in messages), messages
