"""The finished stages of a study, indexed by the study's axes.

Every number comes from a stage's ``DONE.json`` record, whose result the
runner rebuilt from the stage's own logs and output files
(:mod:`hpse_bench.study.records`):

- ``test``: ``result['metrics']`` (the test run's logged metrics);
- ``finetune``: ``result['val_curve']`` (``{metric: [[step, value]]}``)
  and ``result['val_curve_unit']`` (``'epoch'`` or ``'iter'``);
- ``baseline`` (one per regressor): ``result['rows'][name][metric]`` and
  ``result['labels'][name]``;
- ``probe`` (one per method and seed): ``result['metrics']`` and
  ``result['chance']`` (``probe/<name>`` keys).
"""
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from ..spec import Stage

#: Baseline rows in the order the tables show them.
BASELINE_ORDER = ('mean_smpl_pose', 'train_mean_pose',
                  'oracle_pose_mean_shape')
#: Probe columns: (key, title, lower is better). ``table.probe_columns``
#: in a study config replaces them (same fields as dicts).
PROBE_COLUMNS = (
    ('probe/3d_pa_mpjpe', 'Probe 3D PA-MPJPE (mm)', True),
    ('probe/2d_pck', 'Probe 2D PCK (%)', False),
    ('probe/facing_acc', 'Probe facing acc. (%)', False),
)


class StudyResults:
    """Index of a study's finished stages.

    Args:
        cfg: the study config (as the runner resolved it).
        stages: every stage of the study.
        records: ``{stage name: DONE record}`` of the finished stages.
    """

    def __init__(self, cfg: Config, stages: List[Stage], records: Dict[str,
                                                                       dict]):
        self.cfg = cfg
        self.stages = stages
        self.records = records
        self.methods = list(cfg.pretrain.keys())
        self.regressors = list(cfg.finetune.keys())
        self.fractions = list(cfg.fractions)
        self.seeds = list(cfg.get('seeds', [0]))
        table = cfg.get('table') or {}
        self.columns = [dict(c) for c in table.get('columns', [])]
        self.curve_metric = table.get(
            'curve_metric', self.columns[0]['key'] if self.columns else None)

    # -- the study's axes -------------------------------------------------
    def label(self, method: str) -> str:
        return self.cfg.pretrain[method].get('label', method)

    def data(self, method: str) -> str:
        return self.cfg.pretrain[method].get('data', '-')

    def is_random_init(self, method: str) -> bool:
        """A method without a config or checkpoint: random weights."""
        spec = self.cfg.pretrain[method]
        return not (spec.get('config') or spec.get('checkpoint'))

    def methods_of(self, regressor: str) -> List[str]:
        """The methods a regressor is fine-tuned from (its ``pretrain``
        list; every method by default)."""
        paired = self.cfg.finetune[regressor].get('pretrain')
        return [m for m in self.methods if paired is None or m in paired]

    def reference(self, regressor: Optional[str] = None) -> Optional[str]:
        """The random-initialisation method (of ``regressor``'s methods);
        differences are read against it."""
        methods = self.methods_of(regressor) if regressor else self.methods
        return next((m for m in methods if self.is_random_init(m)), None)

    # -- records ------------------------------------------------------------
    def stage_records(self, kind: str, **match) -> List[Tuple[Stage, dict]]:
        """``(stage, record)`` of the finished stages of ``kind`` whose
        attributes equal ``match``."""
        out = []
        for stage in self.stages:
            if stage.kind != kind or any(
                    getattr(stage, k) != v for k, v in match.items()):
                continue
            rec = self.records.get(stage.name)
            if rec:
                out.append((stage, rec))
        return out

    def test_values(self, regressor: str, method: str, fraction: float,
                    key: str) -> Dict[int, Optional[float]]:
        """``{seed: value}`` of a test metric."""
        out = {}
        for stage, rec in self.stage_records(
                'test', regressor=regressor, method=method, fraction=fraction):
            result = rec.get('result') or {}
            metrics = result.get('metrics', result)
            out[stage.seed] = metrics.get(key)
        return out

    def curves(self, regressor: str, method: str, fraction: float,
               key: str) -> Dict[int, List[List[float]]]:
        """``{seed: [[step, value], ...]}`` of a validation metric."""
        out = {}
        for stage, rec in self.stage_records(
                'finetune', regressor=regressor, method=method,
                fraction=fraction):
            curve = (rec.get('result') or {}).get('val_curve', {}).get(key)
            if curve:
                out[stage.seed] = curve
        return out

    def curve_unit(self, regressor: str) -> str:
        """``'iteration'`` or ``'epoch'``: the step of the regressor's
        validation curves."""
        for _, rec in self.stage_records('finetune', regressor=regressor):
            unit = (rec.get('result') or {}).get('val_curve_unit')
            if unit:
                return 'iteration' if unit == 'iter' else unit
        return 'epoch'

    def has_results(self, regressor: str, method: str) -> bool:
        """Whether a method has a test or probe record for a regressor."""
        return bool(
            self.stage_records('test', regressor=regressor, method=method)
            or self.stage_records('probe', regressor=regressor, method=method))

    def baselines(self, regressor: str) -> List[Tuple[str, str, dict]]:
        """``[(name, label, {metric: value})]`` of the regressor's baseline
        stage, in :data:`BASELINE_ORDER` (then any others)."""
        recs = self.stage_records('baseline', regressor=regressor)
        if not recs:
            return []
        result = recs[0][1].get('result') or {}
        rows, labels = result.get('rows') or {}, result.get('labels') or {}
        names = [n for n in BASELINE_ORDER if n in rows]
        names += [n for n in rows if n not in names]
        return [(n, labels.get(n, n), dict(rows[n])) for n in names]

    # -- probes -------------------------------------------------------------
    def probe_columns(self) -> List[Tuple[str, str, bool]]:
        spec = (self.cfg.get('table') or {}).get('probe_columns')
        if spec is None:
            return list(PROBE_COLUMNS)
        return [(c['key'], c.get('name',
                                 c['key']), c.get('lower_is_better', True))
                for c in spec]

    def probe_regressors(self) -> List[str]:
        """Regressors whose data the probes ran on."""
        out = []
        for stage, _ in self.stage_records('probe'):
            if stage.regressor not in out:
                out.append(stage.regressor)
        return out

    def probe_values(self,
                     method: str,
                     key: str,
                     regressor: Optional[str] = None,
                     part: str = 'metrics') -> Dict[int, Optional[float]]:
        """``{seed: value}`` of a probe metric (``part='chance'``: the
        constant predictor's value of the same run)."""
        match = dict(method=method)
        if regressor is not None:
            match['regressor'] = regressor
        return {
            stage.seed: ((rec.get('result') or {}).get(part) or {}).get(key)
            for stage, rec in self.stage_records('probe', **match)
        }
