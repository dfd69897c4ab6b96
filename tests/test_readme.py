"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n([^\n]+)\n```", README)


def test_readme_starts_with_install_and_demo() -> None:
    assert _commands()[0] == "pip install . && pilkada demo"


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _commands()[1]
    assert test_command == 'pip install ".[test]" && python -m pytest'
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_readme_documents_every_exit_code() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in README


def test_readme_shows_the_80_column_status_snapshot() -> None:
    """The README's screen is the committed snapshot (itself pinned by test_screens)."""
    snapshot = (REPO / "tests" / "snapshots" / "status-80-en.txt").read_text(encoding="utf-8")
    assert "```text\n" + snapshot + "```" in README
