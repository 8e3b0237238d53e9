"""What defines a stage's result, hashed: its fingerprint.

A stage's fingerprint covers
- ``config``: the config as the stage runs it: the file resolved with its
  ``_base_`` files, the fine-tuning backbone initialisation the runner adds
  (the file replaced by its SHA-256, so that moving a work root changes
  nothing) and the stage's ``--cfg-options`` merged as the stage's own
  ``DictAction`` parses them;
- ``inputs``: the data (the digest of a synthetic root's ``MANIFEST.json``,
  which lists every file's SHA-256; otherwise the SHA-256 of every
  annotation file the config names) and the parent's output (pre-training
  checkpoint, exported backbone, fine-tuned checkpoint);
- ``code``: the package version and a hash of the installed ``hpse_bench``
  sources outside ``hpse_bench/study`` (the study package only decides
  which stages run and reads their logs; what it passes to a stage is in
  the resolved config). A study config may pin it instead
  (``code_version = 'v1.2'``), so that edits known not to change results
  (comments, reports) do not re-run finished stages;
- the stage's world size (train stages), export source, probe seed.

It is computed when the stage is about to run, after its parents finished,
so a parent that re-ran changes its children's fingerprints.
"""
import copy
import functools
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, Iterator, Optional

from mmengine.config import Config

from hpse_bench.utils.fileio import file_sha256, write_json
from .commands import cfg_options_args, parse_cfg_options
from .spec import Stage

MANIFEST = 'MANIFEST.json'
#: Where a config names the data a run reads (top-level variables of a
#: base file that no loader uses are not data the stage reads).
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
             'val_evaluator', 'test_evaluator')


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _json_default(value: Any) -> str:
    # Classes and functions in a config (new-style configs) by their name,
    # never by a repr holding a memory address.
    name = getattr(value, '__qualname__', None)
    if name is not None:
        return f'{getattr(value, "__module__", "")}.{name}'
    return repr(value)


def config_digest(cfg: Config) -> str:
    """SHA-256 of a resolved config's content (key order ignored)."""
    text = json.dumps(
        cfg.to_dict(), sort_keys=True, default=_json_default)
    return _sha256_text(text)


def source_digest(package: str, skip: tuple = ('study', )) -> str:
    """Hash of the ``.py`` files under ``package`` (paths and bytes), the
    top-level folders in ``skip`` left out."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs
                         if d != '__pycache__' and not (
                             root == package and d in skip))
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = osp.join(root, name)
            digest.update(osp.relpath(path, package).encode() + b'\0')
            with open(path, 'rb') as f:
                digest.update(f.read() + b'\0')
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """``<version>+<hash of the installed sources>`` (see module doc)."""
    import hpse_bench
    from hpse_bench.version import __version__
    package = osp.dirname(osp.abspath(hpse_bench.__file__))
    return f'{__version__}+{source_digest(package)}'


class FileHashes:
    """SHA-256 of files, remembered by (size, mtime) in a JSON file of the
    work root, so that a checkpoint is read once, not at every run."""

    def __init__(self, cache_file: Optional[str] = None):
        self.cache_file = cache_file
        self._known: Dict[str, list] = {}
        if cache_file and osp.isfile(cache_file):
            try:
                with open(cache_file) as f:
                    self._known = dict(json.load(f))
            except (OSError, ValueError, TypeError):
                self._known = {}

    def sha256(self, path: str) -> Optional[str]:
        """The file's SHA-256, or None when it does not exist."""
        if not osp.isfile(path):
            return None
        key = osp.abspath(path)
        st = os.stat(key)
        stamp = [st.st_size, st.st_mtime_ns]
        known = self._known.get(key)
        if known and known[:2] == stamp:
            return known[2]
        digest = file_sha256(key)
        self._known[key] = stamp + [digest]
        if self.cache_file:
            write_json(self.cache_file, self._known)
        return digest


def _annotation_files(node: Any, data_root: str = '') -> Iterator[str]:
    """Every ``ann_file`` a config names (datasets and evaluators), joined
    with its ``data_root`` as the datasets join them."""
    if isinstance(node, dict):
        root = node.get('data_root') or data_root
        ann = node.get('ann_file')
        if isinstance(ann, str) and ann:
            yield ann if osp.isabs(ann) else osp.join(root or '', ann)
        for value in node.values():
            yield from _annotation_files(value, root)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _annotation_files(value, data_root)


def data_digests(cfg: Config, hashes: FileHashes) -> Dict[str, str]:
    """``{what: sha256 or 'missing'}`` of the data a config's loaders and
    evaluators read."""
    out = {}
    roots = []
    spec = cfg.get('synthetic_data')
    if spec:
        root = spec.get('root', 'data/synthetic')
        out[f'{root}/{MANIFEST}'] = hashes.sha256(osp.join(
            root, MANIFEST)) or 'missing'
        roots.append(osp.realpath(root))
    used = [cfg.get(key) for key in DATA_KEYS]
    for path in sorted(set(_annotation_files(used))):
        real = osp.realpath(path)
        if any(osp.commonpath([r, real]) == r for r in roots):
            continue  # covered by the manifest's digest
        out[path] = hashes.sha256(path) or 'missing'
    return out


class StageConfigs:
    """Resolved configs of the stages, each base file parsed once."""

    def __init__(self):
        self._files: Dict[str, Config] = {}

    def base(self, path: str) -> Config:
        if path not in self._files:
            self._files[path] = Config.fromfile(path)
        return copy.deepcopy(self._files[path])

    def resolve(self, stage: Stage, backbone_digest: Optional[str]) -> Config:
        """The stage's config as it runs (see module doc)."""
        cfg = self.base(stage.config)
        if stage.kind in ('finetune', 'test'):
            init = None if stage.extra.get('backbone') is None else dict(
                _delete_=True,
                type='Pretrained',
                checkpoint=f'sha256:{backbone_digest}')
            cfg.merge_from_dict({
                stage.extra['backbone_key']: dict(init_cfg=init)})
        options = parse_cfg_options(
            cfg_options_args(stage.cfg_options, stage.name))
        if options:
            cfg.merge_from_dict(options)
        return cfg


def fingerprint(stage: Stage,
                cfg: Optional[Config],
                parent: Dict[str, Any],
                data: Dict[str, str],
                code: Optional[str] = None) -> Dict[str, Any]:
    """The parts of a stage's fingerprint and their hash (``'id'``).

    Args:
        stage: the stage.
        cfg: its resolved config (None for an export).
        parent: digests of the parent outputs it reads.
        data: digests of its data (:func:`data_digests`).
        code: the code identity; default :func:`code_version`.
    """
    parts = dict(
        kind=stage.kind,
        config=config_digest(cfg) if cfg is not None else None,
        inputs=dict(data=data, parent=parent),
        code=code or code_version())
    if stage.trains:
        parts['world_size'] = stage.gpus
    if stage.kind == 'export':
        parts['source'] = stage.extra.get('source', 'auto')
    if stage.kind == 'probe':
        parts['seed'] = stage.seed
    parts['id'] = _sha256_text(json.dumps(parts, sort_keys=True))[:16]
    return parts


def changed_parts(old: Dict, new: Dict) -> str:
    """What differs between two fingerprints, in words."""
    changed = []
    for key in ('config', 'code', 'world_size', 'source', 'seed'):
        if old.get(key) != new.get(key):
            changed.append(key)
    old_in, new_in = old.get('inputs', {}), new.get('inputs', {})
    for what in sorted(set(old_in.get('data', {})) | set(new_in.get(
            'data', {}))):
        if old_in.get('data', {}).get(what) != new_in.get('data', {}).get(
                what):
            changed.append(f'data {what}')
    if old_in.get('parent') != new_in.get('parent'):
        changed.append('parent output')
    return ', '.join(changed) or 'fingerprint format'
