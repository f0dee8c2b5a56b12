"""Progress of long runs: a live line for the person at a terminal, a log line per item
for the task log.

* stderr is a terminal (and progress is not turned off): a live line on stderr with the
  label, a bar, done/total in its unit, the rate and the time left (``rich``).
* stderr is not a terminal (a pipe, a file, an Airflow worker) or progress is off
  (``--json``, :func:`set_quiet`): nothing at all on stderr from here.
* ``log=`` given: one INFO logging line per finished item ("Kiểm tra ảnh 3/120 hồ sơ:
  G01/05 …"). Airflow's task log captures it; the ``sohoa`` command does not configure
  logging, so on a terminal only the live line shows.

Nested uses (``sohoa pipeline``: a line for the phases, one per phase for its files) share
one live display, one line each.

Usage::

    from sohoa.core.progress import Progress

    with Progress("Kiểm tra ảnh", total=len(files), unit="hồ sơ", log=log) as p:
        for f in files:
            ...
            p.advance(item=f"{agency}/{notation}: 12 trang")
        p.add_total(3)  # more work found on the way (pages of a PDF, …)

``Progress.active`` says whether the live line is shown (e.g. to count pages only then).
No Airflow import here.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

__all__ = ["Progress", "set_quiet", "is_quiet"]

_quiet = False
_live: Any = None  # the shared rich.progress.Progress while one or more are running
_users = 0


def set_quiet(quiet: bool = True) -> None:
    """Turn the live line off (or back on) for this process: ``--json`` runs."""
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet or os.environ.get("SOHOA_PROGRESS", "").lower() in ("0", "no", "off")


def _is_tty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


def _stderr_is_terminal() -> bool:
    return _is_tty(sys.stderr)


def _rich_progress():
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn,
                               TimeRemainingColumn)
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            unit = task.fields.get("unit", "")
            if not speed:
                return Text(f"– {unit}/s", style="progress.data.speed")
            per_min = speed * 60
            shown = f"{speed:.1f} {unit}/s" if speed >= 1 else f"{per_min:.1f} {unit}/phút"
            return Text(shown, style="progress.data.speed")

    console = Console(file=sys.stderr, force_terminal=True)
    return RichProgress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), Rate(),
                        TextColumn("còn"), TimeRemainingColumn(), console=console,
                        refresh_per_second=4,
                        # messages printed meanwhile show above the line; stdout sent
                        # elsewhere (a file, a pipe) is never touched
                        redirect_stdout=_is_tty(sys.stdout), redirect_stderr=True)


class Progress:
    """One counted run (see the module docstring)."""

    def __init__(self, label: str, total: int | None = None, *, unit: str = "trang",
                 log: logging.Logger | None = None, quiet: bool = False):
        self.label, self.unit, self.log = label, unit, log
        self.total = total
        self.done = 0
        self.active = not (quiet or is_quiet()) and _stderr_is_terminal()
        self._task = None

    def __enter__(self) -> Progress:
        global _live, _users
        if self.active:
            if _live is None:
                _live = _rich_progress()
                _live.start()
            _users += 1
            self._task = _live.add_task(self.label, total=self.total, unit=self.unit)
        return self

    def __exit__(self, *exc) -> None:
        global _live, _users
        if self._task is None:
            return
        if self.total is None:  # unknown total: show what was done as complete
            _live.update(self._task, total=self.done, completed=self.done)
        _live.refresh()
        self._task = None
        _users -= 1
        if _users == 0:
            _live.stop()
            _live = None

    def add_total(self, n: int) -> None:
        """More items than announced (or the total, when it was unknown)."""
        self.total = (self.total or 0) + n
        if self._task is not None:
            _live.update(self._task, total=self.total)

    def advance(self, n: int = 1, item: str | None = None) -> None:
        """``n`` more items done; ``item`` (what was done) goes to the log line."""
        self.done += n
        if self._task is not None:
            _live.update(self._task, advance=n)
        if self.log is not None and item is not None:
            of = f"/{self.total}" if self.total is not None else ""
            self.log.info("%s %d%s %s: %s", self.label, self.done, of, self.unit, item)
