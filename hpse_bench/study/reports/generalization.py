"""Report of the second study: 2D pre-training for 3D pose estimation.

Mills, Jiang, Chen, "2D Pre-Training for 3D Pose Estimation" ask three
questions of an integral 3D keypoint regressor; this report answers them
from a finished study (``configs/study/mills_2d_pretrain*.py``):

1. Does 2D pose pre-training beat 3D-only training at the same compute?
   (pre-trained vs 3D-only, paired over seeds; MPJPE against total
   training compute).
2. How does the backbone size change that? (every table and the plot are
   split by ResNet depth).
3. How well does each model generalise? (the generalisation matrix: train
   set x test set).

:func:`write_report` runs when the study config lists ``extra_reports =
['generalization']``. It reads only the stage records (``DONE.json``: test
metrics, wall seconds, devices) and the runs' own MMEngine logs (2D
validation metrics, 3D learning curves), so every number can be found in
a log. It writes ``generalization.{csv,tex}``, ``vs_3d_only.{csv,tex}``,
``pretrain_2d_summary.{csv,tex}``, ``compute_per_model.{csv,tex}``,
``compute.csv`` (every stage), ``pretrain_2d.csv`` (every 2D run) and
``mpjpe_vs_compute.png`` into the report folder and returns Markdown
lines.

The study config describes its axes:

- ``finetune.<regressor>``: ``depth`` (ResNet depth) and ``train_set`` (a
  key of ``generalization.train_sets``);
- ``pretrain.<method>``: ``label``, ``init_label`` (the label without
  the backbone, for tables that show the depth apart), ``data`` and
  ``val_metrics`` (2D validation keys in the logs -> names); a method
  without ``config`` is the 3D-only (random initialisation) baseline;
- ``generalization = dict(metric='mpjpe', test_sets=[dict(key, name)],
  train_sets={key: name}, curve_metric='h36m/mpjpe')``.
"""
from typing import Dict, List, Optional, Tuple

from ..compute_budget import device_hours
from .generalization_plot import plot_mpjpe_vs_compute
from .generalization_sections import (comparison_section, compute_section,
                                      matrix_section, pretrain_section)
from .results import StudyResults
from .stats import mean_std

#: ``[(step, total device-hours so far, value)]`` of one run.
ComputeCurve = List[Tuple[float, float, float]]


class GeneralizationIndex:
    """A :class:`StudyResults` indexed by the second study's axes (depth,
    train set, initialisation), with the compute of every run."""

    def __init__(self, res: StudyResults):
        self.res = res
        self.cfg = res.cfg
        spec = dict(self.cfg.get('generalization', {}))
        self.metric = spec.get('metric', 'mpjpe')
        self.test_sets: List[dict] = [
            dict(t) for t in spec.get('test_sets', [])
        ]
        self.train_sets: Dict[str, str] = dict(spec.get('train_sets', {}))
        self.curve_metric = spec.get('curve_metric', res.curve_metric
                                     or 'h36m/mpjpe')
        self.fraction = res.fractions[0]

    # -- axes ---------------------------------------------------------------
    def depth(self, regressor: str) -> Optional[int]:
        depth = self.cfg.finetune[regressor].get('depth')
        return int(depth) if depth is not None else None

    def backbone(self, regressor: str) -> str:
        depth = self.depth(regressor)
        return f'ResNet-{depth}' if depth else regressor

    def train_set(self, regressor: str) -> str:
        return self.cfg.finetune[regressor].get('train_set', regressor)

    def train_set_name(self, key: str) -> str:
        return self.train_sets.get(key, key)

    def is_scratch(self, method: str) -> bool:
        return self.res.is_random_init(method)

    def cells(self) -> List[Tuple[str, str]]:
        """(regressor, method) pairs with a finished stage, ordered by
        depth, train set, then pre-trained methods before 3D-only."""
        order = {k: i for i, k in enumerate(self.train_sets)}
        out = [(r, m) for r in self.res.regressors
               for m in self.res.methods_of(r)
               if self.res.stage_records('finetune', regressor=r, method=m)
               or self.res.has_results(r, m)]
        out.sort(key=lambda c:
                 (self.depth(c[0]) or 0, order.get(self.train_set(c[0]), 99),
                  self.is_scratch(c[1]), self.res.methods.index(c[1])))
        return out

    def scratch_of(self, regressor: str) -> Optional[str]:
        """The 3D-only method of a regressor."""
        return self.res.reference(regressor)

    def label(self, method: str) -> str:
        """How a 3D run starts: the method's ``init_label`` (its
        ``label`` without the depth, which the tables show apart)."""
        spec = self.cfg.pretrain[method]
        return spec.get('init_label', self.res.label(method))

    # -- records --------------------------------------------------------------
    def values(self, regressor: str, method: str,
               key: str) -> Dict[int, Optional[float]]:
        """``{seed: test value}``."""
        return self.res.test_values(regressor, method, self.fraction, key)

    def _hours(self, kind: str, **match) -> float:
        return sum(
            device_hours(r) for _, r in self.res.stage_records(kind, **match))

    def pretrain_hours(self, method: str, seed: int) -> float:
        """Device-hours of a method's pre-training and export (0 for the
        3D-only baseline)."""
        return (self._hours('pretrain', method=method, seed=seed) +
                self._hours('export', method=method, seed=seed))

    def finetune_records(self, regressor: str, method: str) -> Dict[int, dict]:
        return {
            stage.seed: rec
            for stage, rec in self.res.stage_records(
                'finetune',
                regressor=regressor,
                method=method,
                fraction=self.fraction)
        }

    def total_hours(self, regressor: str, method: str) -> Dict[int, float]:
        """``{seed: pre-training + export + 3D training device-hours}``."""
        return {
            seed: self.pretrain_hours(method, seed) + device_hours(rec)
            for seed, rec in self.finetune_records(regressor, method).items()
        }

    def seed_curves(self, regressor: str,
                    method: str) -> Dict[int, ComputeCurve]:
        """``{seed: [(step, total device-hours so far, value)]}`` of the
        validation curve. The hours of a point are the pre-training's plus
        the share of the 3D run done by that step (its device-hours x step
        / last step)."""
        out = {}
        for seed, rec in self.finetune_records(regressor, method).items():
            curve = (rec.get('result') or {}).get('val_curve',
                                                  {}).get(self.curve_metric)
            if not curve:
                continue
            last = max(s for s, _ in curve) or 1
            pre, ft = self.pretrain_hours(method, seed), device_hours(rec)
            out[seed] = [(s, pre + ft * s / last, v) for s, v in curve]
        return out

    def curve(self, regressor: str, method: str) -> ComputeCurve:
        """Mean over seeds of :meth:`seed_curves` at the steps every seed
        validated."""
        per_seed = [{
            s: (h, v)
            for s, h, v in c
        } for c in self.seed_curves(regressor, method).values()]
        if not per_seed:
            return []
        steps = sorted(set.intersection(*[set(c) for c in per_seed]))
        return [(s, mean_std([c[s][0] for c in per_seed])[0],
                 mean_std([c[s][1] for c in per_seed])[0]) for s in steps]

    def hours_to_reach(self, regressor: str, method: str,
                       target: Dict[int, float]) -> Dict[int, Optional[float]]:
        """``{seed: device-hours}`` at which the seed's validation curve
        first reaches ``target[seed]`` (None: never)."""
        out: Dict[int, Optional[float]] = {}
        for seed, curve in self.seed_curves(regressor, method).items():
            if seed in target:
                hits = [h for _, h, v in curve if v <= target[seed]]
                out[seed] = hits[0] if hits else None
        return out


def write_report(res: StudyResults, out_dir: str) -> List[str]:
    """Write the second study's tables and plot; return Markdown lines."""
    index = GeneralizationIndex(res)
    lines = ['# 2D pre-training for 3D pose estimation', '']
    lines += pretrain_section(index, out_dir) + ['']
    lines += matrix_section(index, out_dir) + ['']
    comparison = comparison_section(index, out_dir)
    if comparison:
        lines += comparison + ['']
    plot = plot_mpjpe_vs_compute(index, out_dir)
    if plot:
        lines += [
            '## MPJPE against training compute', '',
            'Validation curves (seed mean, ± std band) on the total-compute '
            'axis, the test result as a star; dashed: 3D-only.', '',
            '![mpjpe_vs_compute.png](mpjpe_vs_compute.png)', ''
        ]
    lines += compute_section(index, out_dir)
    return lines
