"""The console-script entry point: choose the language before the command modules load.

Typer reads help texts when the command modules are imported, so the language must be known
first: ``--lang``, then ``PILKADA_LANG``, then the workspace's ``language``, then the OS locale.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from pilkada_cli.i18n import LANGUAGES, language_from_locale, set_language

_LANGUAGE_LINE = re.compile(r"^language:\s*[\"']?(id|en)\b", re.MULTILINE)


def _option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def workspace_language(argv: list[str]) -> str | None:
    """The ``language:`` of the workspace the command will use, read cheaply (the full,
    validated config is loaded later by the command itself)."""
    return language_of_workspace(_option(argv, "--workspace", "-w"))


def language_of_workspace(workspace: str | None) -> str | None:
    """The ``language:`` line of the workspace at ``workspace`` (else PILKADA_WORKSPACE, else
    the current folder or a parent), even when the rest of its config is invalid: its errors
    are then reported in its language."""
    given = workspace or os.environ.get("PILKADA_WORKSPACE")
    if given:
        folders = [Path(given)]
    else:
        here = Path.cwd()
        folders = [here, *here.parents]
    for folder in folders:
        path = folder if folder.name == "pilkada.yaml" else folder / "pilkada.yaml"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        found = _LANGUAGE_LINE.search(text)
        return found.group(1) if found else None
    return None


def choose_language(argv: list[str]) -> str:
    """The language for this run."""
    for candidate in (_option(argv, "--lang"), os.environ.get("PILKADA_LANG")):
        if candidate in LANGUAGES:
            return candidate
    return workspace_language(argv) or language_from_locale() or "en"


def main() -> None:
    """Run the ``pilkada`` command."""
    set_language(choose_language(sys.argv[1:]))
    from pilkada_cli.cli import app

    app()
