"""The study's progress: stages done and left, those running, time left.

On a terminal one status line is redrawn every second; otherwise (a log
file, CI) the status is printed every 30 s. The stages' own logs are not
touched: each stage writes ``<work_dir>/stage.log``.
"""
import time
from typing import Dict, List, Optional

from .logs import tail


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f'{h:d}:{m:02d}:{s:02d}' if h else f'{m:d}:{s:02d}'


def _last_progress(log_path: Optional[str]) -> str:
    """MMEngine's last ``Epoch(...)``/``Iter(...)`` line of a log, short."""
    if not log_path:
        return ''
    for raw in reversed(tail(log_path, 5).strip().splitlines()):
        for tag in ('Epoch(', 'Iter('):
            if tag in raw:
                return raw[raw.find(tag):][:60]
    return ''


class Progress:
    """Cells done and left, the running stages, and the time left.

    Args:
        stages: ``(name, kind)`` of every stage of the study.
        workers: stages run at once (the ETA divides by it).
        stream: where the lines go.
    """

    # Rough first guesses (s) until the study has timed a stage of a kind.
    DEFAULT_SECONDS = dict(pretrain=120.0, export=5.0, finetune=90.0,
                           test=20.0, baseline=30.0, probe=60.0)

    def __init__(self, stages: List[tuple], workers: int, stream):
        self.kinds = dict(stages)
        self.workers = max(1, workers)
        self.stream = stream
        self.done: Dict[str, bool] = {}
        self.durations: Dict[str, List[float]] = {}
        self.running: Dict[str, tuple] = {}  # name -> (start, log path)
        self.started = time.time()
        self.interactive = stream.isatty()
        self._last_print = 0.0

    def record_known(self, kind: str, seconds: float) -> None:
        self.durations.setdefault(kind, []).append(seconds)

    def _estimate(self, kind: str) -> float:
        if self.durations.get(kind):
            return sum(self.durations[kind]) / len(self.durations[kind])
        return self.DEFAULT_SECONDS.get(kind, 60.0)

    def eta(self) -> float:
        now = time.time()
        left = sum(
            self._estimate(kind) for name, kind in self.kinds.items()
            if not self.done.get(name) and name not in self.running)
        for name, (start, _) in self.running.items():
            left += max(0.0, self._estimate(self.kinds[name]) - (now - start))
        return left / self.workers

    def status_line(self) -> str:
        now = time.time()
        line = (f'[{sum(self.done.values())}/{len(self.kinds)} stages] '
                f'elapsed {format_seconds(now - self.started)}, '
                f'ETA {format_seconds(self.eta())}')
        if self.running:
            parts = []
            for name, (start, log) in self.running.items():
                last = _last_progress(log)
                parts.append(f'{name} ({format_seconds(now - start)})' +
                             (f' {last}' if last else ''))
            line += ' | running: ' + '; '.join(parts)
        return line

    def mark_done(self, name: str) -> None:
        self.done[name] = True

    def start(self, name: str, log_path: str) -> None:
        self.running[name] = (time.time(), log_path)
        self.print(f'>> {name}' + (f' (running: {len(self.running)})'
                                   if len(self.running) > 1 else ''))

    def finish(self, name: str, seconds: float) -> None:
        self.running.pop(name, None)
        self.done[name] = True
        self.record_known(self.kinds[name], seconds)
        self.print(f'   {name} done in {format_seconds(seconds)}; ' +
                   self.status_line())
        self._last_print = time.time()

    def stop(self, name: str) -> None:
        self.running.pop(name, None)

    def print(self, msg: str) -> None:
        if self.interactive:
            self.stream.write('\r\033[K')
        self.stream.write(msg + '\n')
        self.stream.flush()

    def tick(self) -> None:
        """Redraw (terminal, every second) or print (every 30 s) the
        status while stages run."""
        if not self.running:
            return
        now = time.time()
        if self.interactive and now - self._last_print >= 1.0:
            self.stream.write('\r\033[K' + self.status_line()[:160])
            self.stream.flush()
            self._last_print = now
        elif not self.interactive and now - self._last_print >= 30.0:
            self.stream.write(self.status_line() + '\n')
            self.stream.flush()
            self._last_print = now
