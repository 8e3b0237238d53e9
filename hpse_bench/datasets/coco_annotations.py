"""Reading COCO-style annotation files: the checks every COCO reader here
shares (:class:`CocoPersonCropDataset`, :class:`CocoDensePoseDataset`,
:class:`LspDataset`).

A malformed file (invalid JSON, an image entry without ``file_name``, an
annotation of an image that is not listed, no ``person`` category) is an
error naming the file and the entry. People that cannot be used (another
category than ``person``, a NaN/inf box or keypoint) are skipped, counted
by cause and logged with the file name.
"""
import json
import logging
import os.path as osp
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from mmengine.logging import print_log

from .data_paths import check_relative_path

#: The category COCO-style person files label people with.
PERSON_CATEGORY = 'person'
#: Keys mmpose's top-down parsing reads from every image entry.
MMPOSE_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')


class AnnotationError(ValueError):
    """A malformed annotation; the message names the file and the
    annotation id."""


def load_coco_json(path: str) -> dict:
    """Read a COCO-style JSON file and check its top-level layout.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: not valid JSON (names line and column), or no
            ``images`` / ``annotations`` list.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'COCO annotation file not found: {path}')
    try:
        with open(path, 'rb') as f:
            coco = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path} is not valid JSON: {e.msg} (line '
                         f'{e.lineno}, column {e.colno})') from e
    except UnicodeDecodeError as e:
        raise ValueError(f'{path} is not valid JSON: {e}') from e
    if not isinstance(coco, dict):
        raise ValueError(f'{path} holds a JSON {type(coco).__name__}, not '
                         'a COCO annotation object')
    for key in ('images', 'annotations'):
        if not isinstance(coco.get(key), list):
            raise ValueError(f'{path} has no "{key}" list; is it a COCO '
                             'annotation file?')
    return coco


def index_images(coco: dict,
                 path: str,
                 required: Sequence[str] = ('id', 'file_name')) -> Dict:
    """``image id -> image entry``, each entry checked.

    Args:
        coco: the loaded file.
        path: its name, for messages.
        required: keys every image entry must have.

    Raises:
        ValueError: an entry lacks a key, repeats an id, or names a file
            outside the image folder (absolute or with ``..``).
    """
    images = {}
    for i, img in enumerate(coco['images']):
        if not isinstance(img, dict):
            raise ValueError(f'{path}: image entry {i} is a '
                             f'{type(img).__name__}, not an object')
        missing = [k for k in required if k not in img]
        if missing:
            raise ValueError(
                f'{path}: image entry {i} (id {img.get("id")}) lacks '
                f'{", ".join(map(repr, missing))}; it has {sorted(img)}')
        if img['id'] in images:
            raise ValueError(f'{path}: image id {img["id"]} appears twice '
                             f'(again at image entry {i})')
        check_relative_path(str(img['file_name']),
                            f'{path}: image id {img["id"]}')
        images[img['id']] = img
    return images


def person_category_ids(coco: dict, path: str) -> Set:
    """Ids of the categories named ``person``.

    Raises:
        ValueError: no ``categories`` list, or none named ``person``
            (listing the names found).
    """
    categories = coco.get('categories')
    if not isinstance(categories, list):
        raise ValueError(
            f'{path} has no "categories" list, so which annotations are '
            f'people is unknown; COCO person files hold '
            f'{{"id": 1, "name": "{PERSON_CATEGORY}"}}')
    ids = {
        c.get('id')
        for c in categories
        if isinstance(c, dict) and c.get('name') == PERSON_CATEGORY
    }
    if not ids:
        names = [c.get('name') for c in categories if isinstance(c, dict)]
        raise ValueError(f'{path} has no category named "{PERSON_CATEGORY}"'
                         f'; its categories are {names}')
    return ids


def group_person_annotations(
        coco: dict, path: str, images: Dict,
        person_ids: Set) -> Tuple[Dict[object, List[dict]], Counter]:
    """Person annotations by image id, in file order.

    Args:
        coco: the loaded file.
        path: its name, for messages.
        images: :func:`index_images` of the file.
        person_ids: :func:`person_category_ids` of the file.

    Returns:
        ``image id -> annotations`` and the counts of the annotations
        skipped as another category (``"category 'dog'"``).

    Raises:
        ValueError: an annotation is not an object or lacks ``id``, or
            annotations name image ids that are not in ``images`` (all of
            them counted, the first ones listed).
    """
    names = {
        c.get('id'): c.get('name')
        for c in coco.get('categories', []) if isinstance(c, dict)
    }
    by_image: Dict[object, List[dict]] = {}
    skipped: Counter = Counter()
    unknown = []
    for i, ann in enumerate(coco['annotations']):
        if not isinstance(ann, dict) or 'id' not in ann:
            raise ValueError(f'{path}: annotation entry {i} is not an '
                             'object with an "id"')
        category = ann.get('category_id')
        if category not in person_ids:
            skipped[f'category {names.get(category, category)!r}'] += 1
            continue
        if ann.get('image_id') not in images:
            unknown.append(ann)
            continue
        by_image.setdefault(ann['image_id'], []).append(ann)
    if unknown:
        listed = ', '.join(f'annotation id {a["id"]} -> image id '
                           f'{a.get("image_id")}' for a in unknown[:5])
        raise ValueError(
            f'{path}: {len(unknown)} person annotations name an image id '
            f'that is not in "images" ({listed}{", ..." * (len(unknown) > 5)}'
            '); the file is inconsistent (a truncated "images" list?)')
    return by_image, skipped


def non_finite_field(ann: dict,
                     fields: Sequence[str] = ('bbox',
                                              'keypoints')) -> Optional[str]:
    """The first of ``fields`` of ``ann`` holding NaN or inf, or None.

    Fields that are absent or not numeric are left to the caller's own
    checks.
    """
    for field in fields:
        value = ann.get(field)
        if value is None:
            continue
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(array).all():
            return field
    return None


def log_skipped(skipped: Counter, total: int, path: str,
                dataset_name: str) -> None:
    """Log, once per file, how many annotations were skipped and why."""
    count = sum(skipped.values())
    if not count:
        return
    details = ', '.join(f'{cause}: {n}' for cause, n in skipped.items())
    print_log(
        f'{dataset_name}: skipped {count} of {total} annotations in {path} '
        f'({details})',
        logger='current',
        level=logging.WARNING)


def load_topdown_instances(
        ann_file: str,
        img_prefix: str,
        parse: Callable[[dict], Optional[dict]],
        dataset_name: str,
        sample_interval: int = 1) -> Tuple[List[dict], List[dict], list]:
    """mmpose's ``BaseCocoStyleDataset._load_annotations``, checked.

    Images and annotations are visited in file order, as mmpose does, but
    only ``person`` annotations are parsed, and people with a NaN/inf box
    or keypoint are skipped; both are counted and logged. An error that
    ``parse`` raises names the file and the annotation.

    Args:
        ann_file: the COCO-style JSON.
        img_prefix: folder of the images (``data_prefix['img']``).
        parse: the dataset's ``parse_data_info``.
        dataset_name: name for the log.
        sample_interval: keep images whose id is a multiple of it (mmpose).

    Returns:
        The instances, the images (with ``img_id`` and ``img_path``) and the
        file's categories (mmpose's ``CLASSES`` metainfo).
    """
    coco = load_coco_json(ann_file)
    images = index_images(coco, ann_file, MMPOSE_IMAGE_KEYS)
    person_ids = person_category_ids(coco, ann_file)
    by_image, skipped = group_person_annotations(coco, ann_file, images,
                                                 person_ids)
    instances, image_list = [], []
    for img_id, img in images.items():
        if img_id % sample_interval != 0:
            continue
        img = dict(img,
                   img_id=img_id,
                   img_path=osp.join(img_prefix, img['file_name']))
        image_list.append(img)
        for ann in by_image.get(img_id, ()):
            field = non_finite_field(ann)
            if field is not None:
                skipped[f'non-finite {field}'] += 1
                continue
            try:
                info = parse(dict(raw_ann_info=ann, raw_img_info=img))
            except AnnotationError:
                raise
            except (KeyError, TypeError, ValueError, IndexError) as e:
                raise AnnotationError(
                    f'{ann_file}: annotation id {ann["id"]} (image '
                    f'{img_id}): malformed: {type(e).__name__}: {e}') from e
            if info:
                instances.append(info)
    log_skipped(skipped, len(coco['annotations']), ann_file, dataset_name)
    return instances, image_list, coco['categories']
