"""The study runner: pre-train -> export -> fine-tune -> test -> report.

:class:`StudyRunner` runs a study config's stages (:func:`build_stages`)
through the package's entry points; ``tools/study.py`` and
``python -m hpse_bench.study`` are its command line (:mod:`.cli`).
"""
from .records import StudyIntegrityError
from .reports import write_reports
from .runner import StageFailed, StudyInterrupted, StudyRunner
from .spec import Stage, build_stages
from .study_config import StudyConfigError
from .workroot import StudyLocked

__all__ = [
    'StudyRunner', 'Stage', 'build_stages', 'write_reports', 'StageFailed',
    'StudyInterrupted', 'StudyIntegrityError', 'StudyConfigError',
    'StudyLocked'
]
