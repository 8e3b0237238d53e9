"""The study's reports, written from the finished stages' records.

:func:`write_reports` writes ``work_root/report/`` (see
:mod:`.study_report`); the modules below it:

- :mod:`.stats`: statistics over seeds and the noise rule;
- :mod:`.tables`: one table rendered as Markdown, LaTeX and CSV;
- :mod:`.plots`: drawing helpers (seed bands, baseline lines);
- :mod:`.results`: the records indexed by the study's axes;
- :mod:`.study_table`, :mod:`.learned`, :mod:`.curves`, :mod:`.cost`:
  the sections of every study;
- :mod:`.generalization` (+ ``_sections``, ``_plot``): the second study's.
"""
from .results import StudyResults
from .study_report import EXTRA_REPORTS, write_reports

__all__ = ['StudyResults', 'EXTRA_REPORTS', 'write_reports']
