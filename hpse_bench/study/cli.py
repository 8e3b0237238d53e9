"""Run a whole study: pre-train, export, fine-tune, test, report.

    python tools/study.py configs/study/demo_synthetic.py
    python -m hpse_bench.study configs/study/demo_synthetic.py   (the same)
    python tools/study.py configs/study/paper_table3.py --launcher pytorch \\
        --gpus 8
    python tools/study.py configs/study/paper_table3.py --launcher slurm \\
        --partition gpu --gpus 8

Finished stages are reused; a stage whose config, data, parent or code
changed runs again from scratch, with everything after it. After a crash,
a kill or Ctrl-C, run the same command again and it resumes where it
stopped. ``--report-only`` rebuilds the tables and plots from the finished
stages.

Exit status: 0 done; 1 a stage failed, a record disagrees with its log,
or another study holds the work root; 2 a malformed study config or
option; 128 + N when stopped by signal N.
"""
import argparse
import sys
from typing import List, Optional

from mmengine.config import DictAction


class StudyOptionsAction(DictAction):
    """``--cfg-options KEY=VALUE ...``, refusing an item without ``=``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values or []:
            if '=' not in item or item.startswith('='):
                raise argparse.ArgumentError(
                    self, f'"{item}" is not KEY=VALUE (e.g. seeds=[0,1,2] '
                    'or work_root=work_dirs/study/mine)')
        super().__call__(parser, namespace, values, option_string)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
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
        '--profile',
        help='study profile to apply (a key of the config\'s "profiles"; '
        'default: "cuda" when CUDA is available, else "cpu")')
    parser.add_argument(
        '--workers',
        type=int,
        help='stages run at once (overrides parallel.workers)')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='only rebuild the reports from finished stages')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=StudyOptionsAction,
        help='override settings of the study config, KEY=VALUE pairs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from .records import StudyIntegrityError
    from .runner import StageFailed, StudyInterrupted, StudyRunner
    from .study_config import StudyConfigError
    from .workroot import StudyLocked
    try:
        runner = StudyRunner(
            args.config,
            launcher=args.launcher,
            gpus=args.gpus,
            partition=args.partition,
            work_root=args.work_root,
            cfg_options=args.cfg_options,
            profile=args.profile,
            workers=args.workers)
        if args.report_only:
            print(runner.report()['summary'])
        else:
            runner.run()
    except (StudyConfigError, FileNotFoundError) as e:
        print(f'study: {e}', file=sys.stderr)
        return 2
    except (StageFailed, StudyIntegrityError, StudyLocked) as e:
        print(f'study: {e}', file=sys.stderr)
        return 1
    except StudyInterrupted as e:
        print(
            f'study: {e}; stopped ' +
            (', '.join(e.stopped) if e.stopped else 'no running stage') +
            '. Run the same command again to resume.',
            file=sys.stderr)
        return 128 + e.signum
    return 0


if __name__ == '__main__':
    sys.exit(main())
