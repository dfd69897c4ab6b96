"""The console-script entry point: decide the language before the command modules load.

Typer reads help texts when the command modules are imported, so the language must be known
first; language.py holds the one policy that decides it.
"""

from __future__ import annotations

import sys

from pilkada_cli.i18n import set_language
from pilkada_cli.language import from_argv, global_options


def main() -> None:
    """Run the ``pilkada`` command (importing only the module of the command it names)."""
    set_language(from_argv(sys.argv[1:]))
    from pilkada_cli.cli import app

    app.only(global_options(sys.argv[1:])[1])
    app()
