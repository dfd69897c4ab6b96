"""The screen formats come from one list (cli/screenformats.py): every view's ``--format`` takes
exactly its names (``log`` four of them), the help names them, a table alone is cut to the
terminal, and a new format is a function plus one line in the list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import typer
import yaml

from conftest import REPO, RunCli
from pilkada_cli.cli import app, screenformats
from pilkada_cli.cli.screenformats import View

VIEWS = ("status", "due", "changes", "stages", "items", "regions")


def _choices(*path: str) -> tuple[str, ...]:
    """The choices Typer's command ``path`` offers for ``--format``."""
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    option = next(p for p in command.params if "--format" in p.opts)
    return get_args(option.type_descriptor.annotation)  # (a Literal of the names)


def test_the_list_is_every_screen_format() -> None:
    assert screenformats.names() == ("table", "plain", "json", "csv", "md")
    assert [f.name for f in screenformats.FORMATS if f.laid_out] == ["table"]
    assert [f.name for f in screenformats.FORMATS if f.remarks] == ["table", "plain"]
    assert screenformats.find(screenformats.ON_A_SCREEN).laid_out
    assert not screenformats.find(screenformats.OTHERWISE).laid_out


def test_every_view_takes_the_formats_of_the_list() -> None:
    for view in VIEWS:
        assert _choices(view) == screenformats.names(), view
    assert _choices("cycle", "list") == screenformats.names()
    assert _choices("log") == ("table", "plain", "json", "csv")  # a stream: no Markdown


def test_the_help_names_the_formats_and_the_defaults() -> None:
    assert screenformats.help_text(screenformats.names()) == (
        "table (default on a terminal), plain (default otherwise), json, csv or md.")
    assert screenformats.help_text(("table", "plain", "json", "csv")) == (
        "table (default on a terminal), plain (default otherwise), json or csv.")
    assert screenformats.help_text(("json",)) == "json."
    assert screenformats.help_text(("json", "csv")) == "json or csv."


def test_each_format_writes_its_own_form_only() -> None:
    """A format builds the one form it writes: JSON never builds the screen, nor CSV the data."""
    built: list[str] = []

    class Out:
        text = ""

        def write(self, piece: str) -> None:
            self.text += piece

    class FakeSession:
        out_ = Out()

        def out(self) -> Out:
            return self.out_

    def form(name: str, value: Any) -> Callable[[], Any]:
        def build() -> Any:
            built.append(name)
            return value
        return build

    view = View(form("screen", None), form("data", {"schema": "x/1", "a": 1}),
                form("csv", "a,b\r\n1,2\r\n"), sample=True)
    session = FakeSession()
    screenformats.find("json").write(session, view)  # type: ignore[arg-type]
    screenformats.find("csv").write(session, view)  # type: ignore[arg-type]
    assert built == ["data", "csv"]
    assert session.out_.text == (
        '{\n  "schema": "x/1",\n  "sample": true,\n  "a": 1\n}\n'
        "sample,a,b\r\nSAMPLE DATA — not real records,1,2\r\n")


def test_a_bad_format_is_refused_with_the_choices(mini_ws: Path, cli: RunCli) -> None:
    del mini_ws
    result = cli("log", "-f", "md")
    assert result.exit_code == 2
    assert ("Error: Invalid value for '--format' / '-f': 'md' is not one of: 'table', "
            "'plain', 'json', 'csv'" in result.stderr.splitlines())


# A new format, as docs/architecture.md shows it: a function that writes one of the view's forms
# and one line in the list, put in place before the commands are imported (as at a run's start).
WITH_YAML = """\
import sys

import yaml

from pilkada_cli.cli import screenformats as sf


def _yaml(s, v):
    s.out().write(yaml.safe_dump(v.data(), allow_unicode=True, sort_keys=False))


sf.FORMATS = (*sf.FORMATS, sf.ScreenFormat("yaml", _yaml, remarks=False))
from pilkada_cli.entry import main

sys.argv = ["pilkada", *sys.argv[1:]]
main()
"""


def test_a_new_format_is_a_function_and_one_line(mini_ws: Path, cli: RunCli) -> None:
    assert cli("done", "palembang", "nphd-kpu", "--at", "2024-02-20T10:00").exit_code == 0
    env = {**os.environ, "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", WITH_YAML, *args], cwd=mini_ws, env=env,
                              capture_output=True, text=True, timeout=120)

    for view in (("status", "--as-of", "2024-03-01"), ("stages",), ("regions", "16.10")):
        as_yaml = run(*view, "-f", "yaml")
        assert as_yaml.returncode == 0, as_yaml.stderr
        as_json = cli(*view, "-f", "json")
        assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout), view
    helped = run("status", "--help")
    assert "<table|plain|json|csv|md|yaml>" in helped.stdout
    assert "json, csv, md or yaml." in " ".join(helped.stdout.split())
    assert run("log", "-f", "yaml").returncode == 2  # log takes its own four

