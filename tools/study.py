"""Run a whole study: pre-train, export, fine-tune, test, report.

    python tools/study.py configs/study/demo_synthetic.py
    python tools/study.py configs/study/paper_table3.py --launcher pytorch --gpus 8
    python tools/study.py configs/study/paper_table3.py --launcher slurm \
        --partition gpu --gpus 8

Finished stages are reused; after a crash or a kill, run the same command
again and it resumes where it stopped. ``--report-only`` rebuilds the tables
and plots from the finished stages.
"""
import argparse

from mmengine.config import DictAction

import hpse_bench  # noqa: F401
from hpse_bench.study import StudyRunner


def parse_args():
    parser = argparse.ArgumentParser(description='Run a pre-training study')
    parser.add_argument('config', help='study config (configs/study/*.py)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='how each train/test stage is started')
    parser.add_argument(
        '--gpus', type=int, default=None, help='processes per stage')
    parser.add_argument('--partition', help='Slurm partition')
    parser.add_argument('--work-root', help='override the study work root')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='only rebuild the reports from finished stages')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the study config')
    return parser.parse_args()


def main():
    args = parse_args()
    runner = StudyRunner(
        args.config,
        launcher=args.launcher,
        gpus=args.gpus,
        partition=args.partition,
        work_root=args.work_root,
        cfg_options=args.cfg_options)
    if args.report_only:
        from hpse_bench.study.report import write_reports
        records = {
            s.name: runner._done_record(s)
            for s in runner.stages if runner.is_done(s)
        }
        print(
            write_reports(runner.cfg, runner.stages, records,
                          args.config)['summary'])
        return
    runner.run()


if __name__ == '__main__':
    main()
