"""What the terminal is: whether stdout and stderr are terminals, forced colour, and the width
a view is laid out for (the terminal's; piped, the reader's terminal where it is known)."""

from __future__ import annotations

import os
import sys
from typing import IO


def plain_stderr(text: str) -> bool:
    """Whether rich would write ``text`` to stderr unstyled and unchanged (see Session.say)."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ or sys.stderr is None:
        return False
    try:
        if sys.stderr.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    return text.replace("\n", "").isprintable()


def tty(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is a terminal (a test's capture or a closed stream is not)."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def forced() -> bool:
    """FORCE_COLOR asks for the screen's colours and layout (``| less -R``), unless NO_COLOR."""
    return bool(os.environ.get("FORCE_COLOR")) and not os.environ.get("NO_COLOR")


def console_width() -> int | None:
    """The width a console is made with: None on a terminal (rich asks it); piped (into less
    or head), the terminal the reader looks at, when known; under cron, where there is no
    terminal, a wide page rather than wrapping at 80."""
    if sys.stdout.isatty():
        return None
    piped = piped_width()
    return piped if piped is not None else 200


def piped_width() -> int | None:
    """The width of the terminal a piped stdout is read on: COLUMNS, else the terminal on
    stderr or stdin (None: no terminal, as under cron)."""
    try:
        if sys.stdout is None or sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (2, 0):
        try:
            if os.isatty(fd):
                return os.get_terminal_size(fd).columns or None
        except OSError:
            continue
    return None
