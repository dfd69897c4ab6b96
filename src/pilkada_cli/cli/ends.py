"""How a run ends when something other than the user's input went wrong, without rich (which
may be what failed): out of memory, stdout closed by its reader, an internal error. Used by the
one error boundary (cli/_common.handled) and, outside a command, by entry.py."""

from __future__ import annotations

import contextlib
import os
import sys

from pilkada_cli.base.errors import ExitCode
from pilkada_cli.base.i18n import _


def say_out_of_memory() -> None:
    """The sentence of ``out_of_memory``, written without rich (which might need memory it
    cannot get); also what entry.py says when memory ran out outside a command."""
    import gc

    gc.collect()
    message = _("Error: this command needed more memory than the computer could give, and "
                "stopped. Close other programs and try again; `pilkada verify` tells whether "
                "a record file is unusually large.")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def closed_pipe() -> int:
    """The reader of stdout went away (``pilkada log | head -1``): end quietly, as Unix tools
    do, with no traceback and no "Exception ignored" at exit. What is still buffered goes to
    the null device (Python's documented recipe, signal.html#note-on-sigpipe)."""
    # (stdout without a descriptor of its own, a test's capture: nothing to spare)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return int(ExitCode.CLOSED_PIPE)


def internal_error(exc: BaseException, debug: bool = False) -> int:
    """An unexpected exception (a bug): one line on stderr, the traceback only with --debug or
    PILKADA_DEBUG=1, and its own exit code, so cron tells it from a failed gate (1), bad input
    (2) and storage (3)."""
    if debug or os.environ.get("PILKADA_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    line = _("Internal error (a bug in pilkada, not in your data): {what}. Run again with "
             "--debug (or PILKADA_DEBUG=1) for the details and report them.").format(
                 what=" ".join(what.split()))
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return int(ExitCode.INTERNAL)
