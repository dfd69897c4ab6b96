"""The console-script entry point: decide the language before the command modules load.

Typer reads help texts when the command modules are imported, so the language must be known
first; language.py holds the one policy that decides it.
"""

from __future__ import annotations

import sys

from pilkada_cli.i18n import set_language
from pilkada_cli.language import from_argv, global_options


def main() -> None:
    """Run the ``pilkada`` command (importing only the module of the command it names), and
    end the process without the interpreter's teardown (``exit_now``)."""
    set_language(from_argv(sys.argv[1:]))
    from pilkada_cli.cli import app

    app.only(global_options(sys.argv[1:])[1])
    try:
        try:
            app()
        except MemoryError:
            # outside a command (a command says it itself: cli/_common.handled)
            from pilkada_cli.cli._common import say_out_of_memory

            say_out_of_memory()
            raise SystemExit(3) from None  # ExitCode.STORAGE
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            exit_now(done.code or 0)
        raise


def exit_now(code: int) -> None:
    """End the process once the command is done: its output flushed and the exit handlers run
    (as at a normal exit), but without freeing every object one by one first (~80 ms after a
    nation-wide ``due``: tens of thousands of rows). If the output cannot be flushed (a closed
    pipe), or a profiler or tracer (coverage) still has to write what it saw, the normal exit
    happens instead."""
    import atexit
    import os

    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        sys.stdout.flush()
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
