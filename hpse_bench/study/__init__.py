"""The study runner: pre-train -> export -> fine-tune -> test -> report."""
from .report import write_reports
from .runner import StudyRunner
from .spec import Stage, build_stages

__all__ = ['StudyRunner', 'Stage', 'build_stages', 'write_reports']
