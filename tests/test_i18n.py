"""Bahasa Indonesia and English throughout: every message translatable and translated."""

from __future__ import annotations

import ast
import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, RunCli

sys.path.insert(0, str(REPO / "tools"))
import i18n as tool

PACKAGE = REPO / "src" / "pilkada_cli"
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("_", "ngettext"):
                found.append((path, node))
    return found


def test_every_translated_string_is_a_literal() -> None:
    """_(f"…"), _("a" + b) or _(variable) cannot be extracted or translated."""
    bad = []
    for path, call in _calls():
        literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args]
        expected = 1 if isinstance(call.func, ast.Name) and call.func.id == "_" else 2
        if call.args[:expected] and not all(literal[:expected]) or len(call.args) < expected:
            bad.append(f"{path.relative_to(REPO)}:{call.lineno}")
    assert bad == []


def test_every_message_has_an_indonesian_translation() -> None:
    assert tool.untranslated(tool.load_po(), tool.extract()) == []


def test_no_translation_runs_into_another_message() -> None:
    """A union merge of the .po (.gitattributes) can join one entry's msgstr with the next
    entry's msgid; `python tools/i18n.py mend REF…` mends it from the merged branches."""
    assert tool.run_together(tool.load_po()) == []
    po = tool.load_po()
    [first, second] = [m for m in po if isinstance(m.id, str) and len(m.id) > 60][:2]
    first.string = f"{first.string}{second.id}"
    assert tool.run_together(po) == [first.id]


def test_an_untranslated_plural_form_counts_as_missing() -> None:
    """A plural message is translated only when every form of it is (Babel keeps an
    untranslated plural as a tuple of empty strings, which is not empty)."""
    from babel.messages.catalog import Catalog

    template = Catalog(locale="id", domain="pilkada")
    po = Catalog(locale="id", domain="pilkada")
    for msgid, msgstr in ((("{n} day late", "{n} days late"), ("",)),
                          (("{n} region", "{n} regions"), ("{n} wilayah",)),
                          ("Region", "Wilayah"), ("Score", "")):
        template.add(msgid)
        po.add(msgid, msgstr)
    template.add("Due")  # not in the catalogue at all
    assert tool.untranslated(po, template) == ["{n} day late", "Score", "Due"]


def test_translations_keep_their_placeholders() -> None:
    for message in tool.load_po():
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(ids[0])), \
                    message.id


def test_compiled_catalogue_is_up_to_date() -> None:
    mo = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "pilkada.mo"
    with mo.open("rb") as fh:
        shipped = gettext.GNUTranslations(fh)
    for message in tool.load_po():
        if message.id and message.string and isinstance(message.id, str):
            assert shipped.gettext(message.id) == message.string
        elif message.id and isinstance(message.id, tuple):
            assert shipped.ngettext(*message.id, 2) == message.string[0], message.id


# Words that must not appear in the other language's screens (user data aside).
# "Target" is the word for the share due by now in both languages (issue 26 point 4).
ENGLISH = ("Region", "Score", "Overdue", "Blocked", "Due soon", "Last update",
           "ON TRACK", "AT RISK", "CRITICAL", "no report", "As of", "voting day", "Stages")
INDONESIAN = ("Wilayah", "Capaian", "Target", "Terlambat", "Terhambat", "Segera jatuh tempo",
              "Pembaruan terakhir", "SIAP", "WASPADA", "KRITIS", "belum lapor", "Per ",
              "hari pemungutan suara", "Tahapan")


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once for the module (its tests only read it)."""
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    ws = tmp_path_factory.mktemp("i18n") / "d"
    env = {"NO_COLOR": "1", "COLUMNS": "200", "PILKADA_LANG": "en",
           "PILKADA_HOME": str(ws.parent / "home")}
    assert CliRunner().invoke(app, ["demo", str(ws)], env=env).exit_code == 0
    return ws


def _words(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![A-Za-z]){re.escape(w)}", text)]


def test_status_in_indonesian_has_no_english(demo_ws: Path, cli: RunCli) -> None:
    out = cli("--workspace", str(demo_ws), "--lang", "id", "status", "--format", "plain").stdout
    assert _words(out, INDONESIAN)
    assert _words(out, ENGLISH) == []
    assert "21 Agu 2024" in out  # short dates on screen


def test_status_in_english_has_no_indonesian(demo_ws: Path, cli: RunCli) -> None:
    out = cli("--workspace", str(demo_ws), "--lang", "en", "status", "--format", "plain").stdout
    assert _words(out, ENGLISH)
    # Region names and checklist titles are data; the UI words must be English.
    assert _words(out, ("SIAP", "WASPADA", "KRITIS", "belum lapor", "Capaian", "Terlambat")) == []
    assert "21 Aug 2024" in out


def test_help_is_translated_before_commands_load(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PILKADA_LANG": "id", "PILKADA_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "pilkada_cli", "status", "--help"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert "Kesiapan per wilayah" in result.stdout


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_report_format_speaks_one_language(lang: str, demo_ws: Path, cli: RunCli,
                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("--workspace", str(demo_ws), "--lang", lang, "report", "-f",
                 "html,md,csv,xlsx", "-o", str(out / "r.{format}"))
    assert result.exit_code == 0, result.output
    import openpyxl

    book = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    cells = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(max_row=40,
                     values_only=True) for c in row if isinstance(c, str))
    texts = {fmt: (out / f"r.{fmt}").read_text(encoding="utf-8-sig") for fmt in
             ("html", "md", "csv")}
    texts["xlsx"] = cells + " " + " ".join(book.sheetnames)
    # ("Tahapan" is no UI word here: the regulation's title "... tentang Tahapan dan Jadwal" is
    # checklist data, shown as written.)
    other = ENGLISH if lang == "id" else ("SIAP", "WASPADA", "KRITIS", "belum lapor",
                                          "Capaian", "Terlambat", "Ringkasan")
    own = INDONESIAN if lang == "id" else ENGLISH
    for fmt, text in texts.items():
        assert _words(text, own), fmt
        assert _words(text, other) == [], fmt
        if fmt != "csv":  # one word for the share due by now, as on the screen (CSV: keys)
            assert re.search(r"\bexpected\b", text, re.IGNORECASE) is None, fmt
            assert re.search(r"\btarget\b", text, re.IGNORECASE), fmt


def test_no_function_shadows_the_translation_function() -> None:
    """``for _ in …`` or ``a, _ = …`` makes ``_`` local to the whole function, so a ``_("…")``
    call in it would fail at run time, typically only on an error path."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            nodes = list(ast.walk(fn))
            stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == "_"
                      and isinstance(n.ctx, ast.Store)]
            calls = [n for n in nodes if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id == "_"]
            if stores and calls:
                bad.append(f"{path.relative_to(REPO)}:{fn.lineno} {fn.name}")
    assert bad == []
