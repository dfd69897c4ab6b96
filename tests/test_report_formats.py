"""The report's formats come from one list (report/formats.py): ``--format`` takes exactly its
names and aliases, ``{format}`` puts in its extensions, the help names them, and a new format
is a module with ``render(report) -> bytes`` plus one line in the list."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.base.errors import InputError
from pilkada_cli.report import formats
from pilkada_cli.report.formats import Format
from pilkada_cli.report.model import Report


def test_the_list_is_every_format_with_a_renderer() -> None:
    assert formats.names() == ("html", "pdf", "xlsx", "csv", "md", "text", "json")
    for f in formats.FORMATS:
        module = importlib.import_module(f"pilkada_cli.report.{f.module}")
        assert callable(module.render), f.name
    assert set(formats.DEFAULT) <= set(formats.names())


def test_format_words_names_and_aliases() -> None:
    assert formats.parse(["md,HTML", " txt ", "chat,markdown", "json"]) == [
        "md", "html", "text", "json"]
    assert formats.extensions(["text", "md", "xlsx"]) == {"text": "txt", "md": "md",
                                                          "xlsx": "xlsx"}
    with pytest.raises(InputError) as bad:
        formats.parse(["html,docx"])
    assert str(bad.value) == ("unknown report format 'docx'; formats: html, pdf, xlsx, csv, "
                              "md, text, json")
    with pytest.raises(InputError) as empty:
        formats.parse([" , "])
    assert str(empty.value) == ("--format needs at least one of: html, pdf, xlsx, csv, md, "
                                "text, json")


def test_the_help_names_every_format() -> None:
    assert formats.help_text() == ("Formats, comma-separated or repeated: html, pdf, xlsx, "
                                   "csv, md, text, json (default: html,xlsx).")


def test_a_new_format_is_one_module_and_one_line(mini_ws: Path, cli: RunCli,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A module of report/ with ``render`` (here put in place of a file) and one line in the
    list: ``--format`` takes it, its extension names the file, the help lists it."""
    module = types.ModuleType("pilkada_cli.report.odt")

    def render(report: Report) -> bytes:
        return f"ODT {report.target.code} {len(report.why)}\n".encode()

    module.render = render  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pilkada_cli.report.odt", module)
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, Format("odt", "odt", "fodt")))

    result = cli("report", "16", "-f", "odt,json", "-o", "out/{region}.{format}")
    assert result.exit_code == 0, result.output
    assert (mini_ws / "out" / "16.fodt").read_bytes() == b"ODT 16 17\n"
    assert (mini_ws / "out" / "16.json").read_bytes().startswith(b"{")
    assert cli("report", "-f", "odt", "-o", "-").stdout_bytes == b"ODT 16 17\n"
    assert formats.help_text().endswith("text, json, odt (default: html,xlsx).")
