"""The progress bar of long runs (issue 27): rich's progress on stderr, shown only when stderr
is a terminal and only once the work has lasted ``DELAY`` seconds (a run that ends sooner shows
nothing, as before); cleared when the work is done, so what stays on the screen is the
command's own output. Anything else (a pipe, a file, cron) gets nothing at all."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pilkada_cli.base.progress import Progress, quiet

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

DELAY = 1.0  # seconds of work before a bar appears


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


isatty: Callable[[], bool] = _stderr_is_terminal  # (tests inject a terminal, or none)


class Bar:
    """A ``Progress`` that draws one bar per kind of work on the stderr console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.live: RichProgress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.live is None:
            if done >= total or time.monotonic() - self.started < DELAY:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self.live = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeRemainingColumn(),
                                     console=self.console, transient=True,
                                     redirect_stdout=False, redirect_stderr=False)
            self.live.start()
        task = self.tasks.get(what)
        if task is None:
            task = self.tasks[what] = self.live.add_task(what, total=total)
        self.live.update(task, completed=done, total=total)

    def stop(self) -> None:
        """Clear the bars (the work is done, or failed: its message comes next)."""
        if self.live is not None:
            self.live.stop()
            self.live = None
            self.tasks.clear()


def progress_for(console: Callable[[], Console]) -> Progress:
    """A bar on the ``console`` (stderr) if stderr is a terminal, else ``quiet``."""
    return Bar(console()) if isatty() else quiet
