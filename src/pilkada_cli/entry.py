"""The console-script entry point: decide the language before the command modules load.

Typer reads help texts when the command modules are imported, so the language must be known
first; language.py holds the one policy that decides it.
"""

from __future__ import annotations

import sys

from pilkada_cli.app.language import from_argv, global_options
from pilkada_cli.base.i18n import set_language
from pilkada_cli.domain import locate


def main() -> None:
    """Run the ``pilkada`` command (importing only the module of the command it names), and
    end the process without the interpreter's teardown (``exit_now``)."""
    utf8_streams()
    set_language(from_argv(sys.argv[1:]))
    locate.keep_once()  # (the global options decide it again, from what was read here)
    from pilkada_cli.cli import app, ends

    options, command = global_options(sys.argv[1:])
    app.only(command)
    try:
        try:
            app()
        except MemoryError:
            # outside a command (a command says it itself: cli/_common.handled)
            ends.say_out_of_memory()
            raise SystemExit(3) from None  # ExitCode.STORAGE
    except SystemExit as done:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":
            # Click met the closed pipe outside a command (--help, a usage error) and exits
            # 1, wrapping the streams in its PacifyFlushWrapper: the closed pipe's own code
            code = ends.closed_pipe()
        elif done.code is None or isinstance(done.code, int):
            exit_now(done.code or 0)
            raise
        else:
            raise
    except BrokenPipeError:  # outside a command (help, usage): the same quiet exit
        code = ends.closed_pipe()
    except Exception as e:  # outside the commands' error boundary (Typer, Click, the callback)
        code = ends.internal_error(e, any(name == "--debug" for name, _value in options))
    exit_now(code)
    sys.exit(code)


def utf8_streams() -> None:
    """Write stdout and stderr so that no character can crash a run (issue 29 point 1): a
    file or pipe gets UTF-8 whatever the code page (Windows writes a redirected stream in the
    ANSI code page, cp1252, where an emoji or pilkada's own marks ✓ ◐ ○ ✗ → end in
    UnicodeEncodeError); a terminal keeps its own encoding and shows what it cannot as ``?``
    (Windows' console is UTF-8 already)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or _is_utf8(getattr(stream, "encoding", None)):
            continue
        try:
            if stream.isatty():
                reconfigure(errors="replace")
            else:
                reconfigure(encoding="utf-8", errors="replace")
        except (OSError, ValueError):  # closed or detached: nothing will be written there
            continue


def _is_utf8(encoding: str | None) -> bool:
    import codecs

    try:
        return codecs.lookup(encoding or "ascii").name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def exit_now(code: int) -> None:
    """End the process once the command is done: its output flushed and the exit handlers run
    (as at a normal exit), but without freeing every object one by one first (~80 ms after a
    nation-wide ``due``: tens of thousands of rows). A closed pipe ends quietly with its own
    code (``closed_pipe``). If the output cannot be flushed otherwise, or a profiler or tracer
    (coverage) still has to write what it saw, the normal exit happens instead."""
    import atexit
    import os

    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        from pilkada_cli.cli.ends import closed_pipe

        code = closed_pipe()
    except (OSError, ValueError):
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    try:  # what the handlers wrote
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or 120  # Python's own exit status when it cannot flush at exit
    os._exit(code)
