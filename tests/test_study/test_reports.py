"""The study report on constructed records (report_fixtures.py): cells and
differences against hand computations, the noise rule, baseline rows,
probe columns and verdicts, the three renderings of one table, curves,
convergence and the cost of annotation."""
import csv
import math
import os
import os.path as osp

import pytest
from matplotlib.collections import PolyCollection
from mmengine.config import Config
from report_fixtures import (BASELINE_LABELS, study_config, study_records,
                             write_coco)

from hpse_bench.study.reports import write_reports
from hpse_bench.study.reports.cost import dataset_people
from hpse_bench.study.reports.curves import (learning_curve_figure,
                                             settling_step)
from hpse_bench.study.reports.results import StudyResults
from hpse_bench.study.reports.stats import mean_std, paired, summarize


def _section_table(markdown: str, heading: str):
    """Rows (lists of cell texts) of the first table after ``heading``."""
    lines = markdown.split('\n')
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith('## '):
            break
        if line.startswith('|'):
            rows.append([c.strip() for c in line.strip('|').split('|')])
        elif rows:
            break
    return rows[0], rows[2:]  # header, body (no separator)


def _read_csv(path):
    with open(path) as f:
        lines = [x for x in f if not x.startswith('#')]
    return list(csv.DictReader(lines))


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('study'))
    cfg = study_config(root)
    stages, records = study_records(cfg)
    paths = write_reports(cfg, stages, records, 'constructed.py')
    with open(paths['markdown']) as f:
        markdown = f.read()
    return dict(root=root, dir=osp.join(root, 'report'), paths=paths,
                md=markdown)


# -- the rule --
def test_mean_std_by_hand():
    mean, std = mean_std([1.0, 3.0])
    assert mean == 2.0 and std == pytest.approx(math.sqrt(2.0))
    assert mean_std([5.0]) == (5.0, None)
    stats = summarize({0: 1.0, 1: None, 2: float('nan'), 3: 3.0})
    assert stats.values == {0: 1.0, 3: 3.0} and stats.n == 2


def test_marking_rule_marks_a_clear_difference_and_not_noise():
    ref = {0: 200.0, 1: 210.0, 2: 190.0}
    # -20, -19, -21: mean -20, std 1.
    clear = paired({0: 180.0, 1: 191.0, 2: 169.0}, ref, True)
    assert clear.diffs == {0: -20.0, 1: -19.0, 2: -21.0}
    assert clear.mean == -20.0 and clear.std == pytest.approx(1.0)
    assert clear.marker == 'better'
    # The same numbers where higher is better: worse.
    assert paired({0: 180.0, 1: 191.0, 2: 169.0}, ref, False).marker == \
        'worse'
    # Signs differ: +5, -10, +6.
    assert paired({0: 205.0, 1: 200.0, 2: 196.0}, ref, True).marker == ''
    # One sign, but |mean| 13/3 < 2 x std: -1, -10, -2; deviations 10/3,
    # -17/3, 7/3 -> variance (100 + 289 + 49) / 9 / 2 = 73/3.
    small = paired({0: 199.0, 1: 200.0, 2: 188.0}, ref, True)
    assert small.mean == pytest.approx(-13 / 3)
    assert small.std == pytest.approx(math.sqrt(73 / 3))
    assert small.marker == ''
    # Seven seeds 10 better, one 0.1 worse: t alone would mark, the sign
    # rule does not.
    many = {s: 100.0 for s in range(8)}
    other = {s: 90.0 for s in range(7)}
    other[7] = 100.1
    mixed = paired(other, many, True)
    assert abs(mixed.mean) > 2 * mixed.std and mixed.marker == ''
    # Two seeds are too few however clear.
    two = paired({0: 100.0, 1: 100.0}, {0: 200.0, 1: 201.0}, True)
    assert not two.decided and two.marker == ''
    # Only seeds both sides have are paired.
    assert paired({0: 1.0, 1: 2.0, 5: 9.0}, {0: 0.0, 1: 0.0}, True).n == 2


# -- the main table --
def test_cells_are_mean_std_over_seeds_with_marks(report):
    rows = {(r['initialisation'], r['column']): r
            for r in _read_csv(osp.join(report['dir'], 'table_hmr.csv'))}
    jc = rows[('JointCon (J)', '3dpw/pa_mpjpe@100p')]
    # (180 + 191 + 169) / 3 = 180; deviations 0, 11, -11 -> std 11.
    assert float(jc['mean']) == 180.0 and float(jc['std']) == 11.0
    assert jc['n'] == '3' and jc['marker'] == 'better'
    assert jc['values'] == '180.0;191.0;169.0'
    assert rows[('JointCon (J)', 'mupots/pck_all@100p')]['marker'] == 'worse'
    assert rows[('JointCon (J)', '3dpw/pa_mpjpe@10p')]['marker'] == ''
    assert rows[('PeCLR', '3dpw/pa_mpjpe@100p')]['marker'] == ''
    assert rows[('Random init', '3dpw/pa_mpjpe@100p')]['marker'] == ''
    # Probe columns beside fine-tuning: JointCon's 3D probe is 10 mm better
    # than random init's for every seed.
    probe = rows[('JointCon (J)', 'probe/3d_pa_mpjpe')]
    assert float(probe['mean']) == 140.0 and probe['marker'] == 'better'
    assert float(rows[('Probe chance (constant)',
                       'probe/3d_pa_mpjpe')]['mean']) == 179.0
    # Baseline rows: the constants, the same in every fraction's column.
    for name, label in BASELINE_LABELS.items():
        assert rows[(label, '3dpw/pa_mpjpe@100p')]['kind'] == 'baseline'
    assert float(rows[('Training-set average pose',
                       '3dpw/pa_mpjpe@10p')]['mean']) == 122.0
    # The oracle has no MuPoTS value: no cell.
    assert ('Oracle pose, mean shape', 'mupots/pck_all@100p') not in rows


def test_markdown_csv_and_latex_carry_the_same_cells(report):
    header, body = _section_table(report['md'], '## Results: hmr')
    md = {row[1]: row for row in body}
    with open(osp.join(report['dir'], 'table_hmr.tex')) as f:
        tex_rows = [
            [c.strip() for c in line.rstrip('\\ \n').split(' & ')]
            for line in f if line.count(' & ') == len(header) - 1
        ][1:]
    tex = {row[1]: row for row in tex_rows}
    cells = _read_csv(osp.join(report['dir'], 'table_hmr.csv'))
    assert {c['initialisation'] for c in cells} == set(md) == set(tex)
    for cell in cells:
        j = header.index(cell['title'])
        mean, std = float(cell['mean']), cell['std']
        text = f'{mean:.2f}' + (f' ± {float(std):.2f}' if std else '')
        marker = {'better': '▲', 'worse': '▼', '': None}[cell['marker']]
        md_text = md[cell['initialisation']][j]
        assert md_text.replace('**', '').replace('<u>', '').replace(
            '</u>', '').replace(' ▲', '').replace(' ▼', '') == text
        assert (marker in md_text) if marker else ('▲' not in md_text and
                                                   '▼' not in md_text)
        assert ('**' in md_text) == (cell['rank'] == 'best')
        tex_text = tex[cell['initialisation']][j]
        assert text.replace('±', r'$\pm$') in tex_text
        assert ('blacktriangle' in tex_text) == bool(marker)
        assert ('textbf' in tex_text) == (cell['rank'] == 'best')
    # Every non-empty Markdown cell is in the CSV.
    filled = sum(1 for row in body for t in row[2:] if t != '-')
    assert filled == len(cells)


def test_results_csv_holds_every_fine_tuned_cell(report):
    rows = _read_csv(report['paths']['csv'])
    # 3 initialisations x 2 fractions x 2 metrics; no baseline or probe.
    assert len(rows) == 12
    assert {r['kind'] for r in rows} == {'method'}
    assert {r['metric'] for r in rows} == {'3dpw/pa_mpjpe', 'mupots/pck_all'}


def test_rows_only_for_runs_that_exist(tmp_path):
    cfg = study_config(str(tmp_path))
    cfg.pretrain['simclr'] = dict(label='SimCLR', data='synthetic COCO',
                                  config=cfg.pretrain.peclr.config)
    cfg.finetune['spin'] = dict(config=cfg.finetune.hmr.config,
                                pretrain=['random_init', 'peclr'])
    cfg.probes = dict(enable=True, regressor='hmr')
    stages, records = study_records(cfg, skip=('simclr', ))
    write_reports(cfg, stages, records, 'constructed.py')
    with open(osp.join(str(tmp_path), 'report', 'results.md')) as f:
        md = f.read()
    _, hmr = _section_table(md, '## Results: hmr')
    _, spin = _section_table(md, '## Results: spin')
    assert [r[1] for r in hmr if r[0] != 'baseline'] == [
        'Random init', 'JointCon (J)', 'PeCLR'
    ]
    assert [r[1] for r in spin if r[0] != 'baseline'] == [
        'Random init', 'PeCLR'
    ]
    # A regressor none of whose runs finished has no table at all.
    cfg.finetune['pare'] = dict(config=cfg.finetune.hmr.config,
                                pretrain=['simclr'])
    stages, records = study_records(cfg, skip=('simclr', ))
    write_reports(cfg, stages, records, 'constructed.py')
    with open(osp.join(str(tmp_path), 'report', 'results.md')) as f:
        assert '## Results: pare' not in f.read()
    assert not osp.exists(osp.join(str(tmp_path), 'report', 'table_pare.csv'))


# -- did pre-training learn? --
def test_verdicts_against_chance_and_random_init(report):
    rows = _read_csv(osp.join(report['dir'], 'pretraining_learned.csv'))
    verdicts = {r['initialisation']: r['verdict'] for r in rows}
    assert verdicts == {
        'Random init': 'reference (random weights)',
        'JointCon (J)': 'learned',
        'PeCLR': 'not at this budget'
    }
    by = {(r['method'], r['probe_key'], r['column']): r for r in rows}
    diff = by[('jointcon_j', 'probe/3d_pa_mpjpe', 'vs_random_init')]
    assert float(diff['mean']) == -10.0 and float(diff['std']) == 0.0
    assert diff['marker'] == 'better'
    chance = by[('peclr', 'probe/3d_pa_mpjpe', 'vs_chance')]
    # 151, 149, 150 against 179: -28, -30, -29.
    assert float(chance['mean']) == -29.0 and chance['marker'] == 'better'
    assert float(by[('peclr', 'probe/3d_pa_mpjpe',
                     'chance')]['mean']) == 179.0
    _, body = _section_table(report['md'], '## Did pre-training learn?')
    assert {r[2] for r in body} == set(verdicts.values())
    assert 'last/first' not in report['md']


def test_too_few_seeds_leave_the_verdict_open(tmp_path):
    cfg = study_config(str(tmp_path), seeds=[0, 1])
    stages, records = study_records(cfg)
    write_reports(cfg, stages, records, 'constructed.py')
    rows = _read_csv(osp.join(str(tmp_path), 'report',
                              'pretraining_learned.csv'))
    assert {r['verdict'] for r in rows if r['method'] != 'random_init'} == {
        'undecided (fewer than 3 seeds)'
    }
    # Two seeds: no cell is marked, and the caption says n = 2.
    table = _read_csv(osp.join(str(tmp_path), 'report', 'table_hmr.csv'))
    assert not any(r['marker'] for r in table)
    with open(osp.join(str(tmp_path), 'report', 'results.md')) as f:
        assert 'n = 2 per cell' in f.read()


# -- curves and convergence --
def test_learning_curves_show_the_seed_band_and_the_baselines(report):
    for tag in ('100p', '10p'):
        path = osp.join(report['dir'], f'curve_hmr_{tag}.png')
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    cfg = study_config(report['root'])
    stages, records = study_records(cfg)
    fig = learning_curve_figure(StudyResults(cfg, stages, records), 'hmr',
                                1.0)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    # JointCon's seed mean: its curves are the test values + 60, 25, 8, 2,
    # 0 at iterations 50..250, so the mean is 180 + those.
    jc = lines['JointCon (J) (n=3)']
    assert list(jc.get_xdata()) == [50, 100, 150, 200, 250]
    assert list(jc.get_ydata()) == [240.0, 205.0, 188.0, 182.0, 180.0]
    # Baselines as horizontal lines at their values.
    for label, value in (('Mean SMPL pose', 125.0),
                         ('Training-set average pose', 122.0),
                         ('Oracle pose, mean shape', 30.0)):
        line = lines[f'{label} (baseline)']
        assert list(line.get_ydata()) == [value, value]
    # A ± std band per initialisation.
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 3
    assert ax.get_xlabel() == 'fine-tuning iteration'


def test_settling_step_by_hand():
    # Final 200, band ±10: 205 (step 150) and everything after stays in.
    curve = [[50, 260.0], [100, 225.0], [150, 205.0], [200, 201.0],
             [250, 200.0]]
    assert settling_step(curve) == (150.0, True)
    # Better early, worse at the end (final 220, band ±11): only the last
    # validation is within the band. Counting the first value at or below
    # 105 % of the final called this run converged at step 50.
    assert settling_step([[50, 170.0], [100, 200.0], [150, 220.0]]) == \
        (150.0, False)
    # Leaving the band after entering it restarts the count.
    assert settling_step([[1, 100.0], [2, 130.0], [3, 101.0],
                          [4, 100.0]]) == (3.0, True)
    with pytest.raises(ValueError, match='empty'):
        settling_step([])


def test_convergence_table(report):
    rows = _read_csv(osp.join(report['dir'], 'convergence.csv'))
    settled = [r for r in rows if r['column'] == 'settled_at']
    # Every constructed curve settles at 150 of 250 iterations.
    assert len(settled) == 6
    assert all(float(r['mean']) == 150.0 and r['std'] == '0.0'
               and r['settled early'] == '3/3' for r in settled)
    share = [r for r in rows if r['column'] == 'share']
    assert all(float(r['mean']) == pytest.approx(0.6) for r in share)


# -- cost --
def test_cost_counts_the_people_the_run_trained_on(tmp_path):
    ann = write_coco(str(tmp_path / 'data/coco/ann.json'), num_people=10)
    cfg = study_config(str(tmp_path / 'study'))
    cfg.pretrain.jointcon_j.annotation_file = ann
    cfg.pretrain.peclr.annotation_file = ann
    stages, records = study_records(cfg)
    # The dumped config of JointCon's run: the first 4 people.
    run = Config(dict(train_dataloader=dict(dataset=dict(
        type='CocoPersonCropDataset', data_root=str(tmp_path / 'data/coco'),
        ann_file='ann.json', indices=4, min_keypoints=1))))
    dump = tmp_path / 'study/pretrain/jointcon_j/seed0/20260101_000000'
    os.makedirs(dump / 'vis_data')
    run.dump(str(dump / 'vis_data/config.py'))
    write_reports(cfg, stages, records, 'constructed.py')
    rows = {(r['initialisation'], r['column']): r
            for r in _read_csv(str(tmp_path / 'study/report/cost.csv'))}
    people = rows[('JointCon (J)', 'people')]
    assert people['mean'] == '4.0'
    assert people['people counted from'] == "the run's training set"
    assert float(rows[('JointCon (J)', 'annotation_hours')]['mean']) == \
        pytest.approx(4 * 42.8 / 3600)
    # Without a dumped run config: the whole file (10 usable people).
    assert rows[('PeCLR', 'people')]['mean'] == '10.0'
    assert float(rows[('PeCLR', 'annotation_hours')]['mean']) == \
        pytest.approx(10 * 7.0 / 3600)
    # Wall time: 100 s + 10 s per seed: 110 ± 10.
    assert float(rows[('JointCon (J)', 'seconds')]['mean']) == 110.0
    assert float(rows[('JointCon (J)', 'seconds')]['std']) == 10.0


def test_dataset_people_follows_the_dataset_selection(tmp_path):
    ann = write_coco(str(tmp_path / 'ann.json'), num_people=10)
    assert dataset_people(dict(ann_file=ann)) == 10
    assert dataset_people(dict(ann_file=ann, indices=[1, 5, 7])) == 3
    assert dataset_people(dict(ann_file=ann, indices=50)) == 10
    assert dataset_people(dict(ann_file=ann, fraction=0.3)) == 3
    assert dataset_people(
        dict(type='RepeatDataset', times=4, dataset=dict(ann_file=ann))) == 10
    assert dataset_people(dict(datasets=[dict(ann_file=ann),
                                         dict(ann_file=ann,
                                              indices=2)])) == 12
    assert dataset_people(dict(ann_file='humans.npz')) is None


def test_unknown_extra_report_is_named(tmp_path):
    cfg = study_config(str(tmp_path), extra_reports=['matrix'])
    stages, records = study_records(cfg)
    with pytest.raises(ValueError, match=r"unknown \['matrix'\]"):
        write_reports(cfg, stages, records, 'constructed.py')
