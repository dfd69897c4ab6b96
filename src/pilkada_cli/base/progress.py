"""How far long work has got (issue 27): the code doing it calls a ``Progress`` with what it is
doing, how much of it is done and the total; the CLI layer decides whether and how that is
shown (cli/progressbar.py: a bar on stderr when it is a terminal and the work lasts). The
domain and storage layers never print: they are handed one, ``quiet`` by default."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Progress = Callable[[str, int, int], None]  # (what is being done, done, total)
T = TypeVar("T")


def quiet(what: str, done: int, total: int) -> None:
    """Shows nothing: tests, a pipe, and any caller that passes no ``Progress``."""


def no_step(done: int) -> None:
    """A ``steps`` function that tells nobody (the default where a caller passes none)."""


def steps(progress: Progress, what: str, total: int, every: int = 1) -> Callable[[int], None]:
    """A function to call with how many are done, which tells ``progress`` about every
    ``every``-th (and the last): a loop over tens of thousands of rows pays one comparison a
    step."""
    def step(done: int) -> None:
        if done % every == 0 or done >= total:
            progress(what, done, total)

    return step


def counted(progress: Progress, what: str, items: Sequence[T], every: int = 64) -> Iterator[T]:
    """``items``, telling ``progress`` how many were done before each (every ``every``-th)
    and when all are."""
    step = steps(progress, what, len(items), every)
    for n, item in enumerate(items):
        step(n)
        yield item
    step(len(items))
