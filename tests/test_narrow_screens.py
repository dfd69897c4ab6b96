"""Every view of the demo fits 60 columns and more in both languages, and a wider window never
shows less: no line wider than the terminal, no region's name cut, and every field (a column,
a reason, a note, a name) shown at a width is shown at 20 columns more. Piped output is laid
out for the reader's terminal when its width is known; machine formats are left alone."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
import typer.testing
from rich.cells import cell_len
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.regions import load_regions

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = (60, 80, 100, 120)
VIEWS = (("status",), ("status", "16.04"), ("status", "--stage", "8"),
         ("status", "--depth", "kecamatan"), ("due",), ("changes", "--since", "2024-08-01"),
         ("log",), ("stages",), ("items",), ("regions",), ("verify",))
# A region code with a dot, followed by a name (not a time: "21 Agu 2024 16.05 WIB").
CODE = re.compile(r"(?<![\d.])(?<!\d{4} )(16\.\d\d(?:\.\d\d)?) (?!WIB|WITA|WIT)(?=\S)")
NOT_SHOWN = re.compile(r"(?:Not shown at this width|Tidak tampil pada lebar ini): (.*?);")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    ws = tmp_path_factory.mktemp("narrow") / "d"
    env = {"NO_COLOR": "1", "PILKADA_LANG": "en", "PILKADA_HOME": str(ws.parent / "home")}
    assert CliRunner().invoke(app, ["demo", str(ws)], env=env).exit_code == 0
    command = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _app: command)
        yield ws


def screen(ws: Path, lang: str, width: int, *args: str) -> str:
    """What a terminal ``width`` columns wide and 40 lines high shows (colours stripped)."""
    env = {"COLUMNS": str(width), "LINES": "40", "PILKADA_HOME": str(ws.parent / "home"),
           "NO_COLOR": None, "FORCE_COLOR": "1"}
    result = CliRunner().invoke(app, ["--workspace", str(ws), "--lang", lang, *args], env=env)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


@functools.cache
def _screen(ws: Path, lang: str, width: int, args: tuple[str, ...]) -> str:
    return screen(ws, lang, width, *args)


@functools.cache
def short_names() -> dict[str, str]:
    return {r.code: r.short_name for r in load_regions().descendants("16", 4)}


@functools.cache
def fields(ws: Path) -> frozenset[str]:
    """Names, reasons, notes, evidence, owners and titles of the demo, from the CSV formats."""
    out: set[str] = set()
    for args, columns in ((("log", "--format", "csv"), ("by", "note", "evidence", "office")),
                          (("due", "--format", "csv"), ("owner", "title")),
                          (("changes", "--since", "2024-08-01", "--format", "csv"),
                           ("note", "title"))):
        text = CliRunner().invoke(app, ["--workspace", str(ws), "--lang", "en", *args], env={
            "PILKADA_HOME": str(ws.parent / "home")}).stdout
        for row in csv.DictReader(io.StringIO(text)):
            out |= {" ".join(row[c].split()) for c in columns if len(row[c]) >= 4}
    return frozenset(out)


def flat(text: str) -> str:
    """The screen as one line: wrapped paragraphs joined again."""
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("args", VIEWS, ids=" ".join)
def test_every_view_fits_and_keeps_region_names_whole(demo: Path, lang: str,
                                                       args: tuple[str, ...]) -> None:
    names = short_names()
    for width in (60, 80, 120):
        text = _screen(demo, lang, width, args)
        wide = [line for line in text.splitlines() if cell_len(line) > width]
        assert not wide, (width, wide[:3])
        for line in text.splitlines():
            for m in CODE.finditer(line):
                assert line[m.end():].startswith(names[m.group(1)]), (width, line)


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("args", VIEWS, ids=" ".join)
def test_a_wider_window_never_shows_less(demo: Path, lang: str, args: tuple[str, ...]) -> None:
    known = fields(demo)
    for width in WIDTHS[:-1]:
        narrow, wider = _screen(demo, lang, width, args), _screen(demo, lang, width + 20, args)
        left_out = {c for m in NOT_SHOWN.finditer(flat(narrow)) for c in m.group(1).split(", ")}
        left_out_wider = {c for m in NOT_SHOWN.finditer(flat(wider))
                          for c in m.group(1).split(", ")}
        assert left_out_wider <= left_out, (width, left_out_wider - left_out)
        shown = {f for f in known if f in flat(narrow)}
        shown_wider = {f for f in known if f in flat(wider)}
        assert shown <= shown_wider, (width, sorted(shown - shown_wider)[:5])


def test_the_overview_stacks_regions_where_their_columns_do_not_fit(demo: Path) -> None:
    text = screen(demo, "id", 60, "status")
    lines = text.splitlines()
    at = lines.index("16.12 Kab. Penukal Abab Lematang Ilir")
    assert lines[at + 1] == "    BELUM LAPOR · 0% (target 32%)"
    at = lines.index("16.04 Kab. Lahat")
    assert lines[at + 1] == "    KRITIS · 17% (target 30%) · 179 terlambat (93 kritis)"
    assert "Tidak tampil pada lebar ini: Terhambat, Segera jatuh tempo, Tahapan, Pembaruan" \
        in text
    # at 80 columns the table holds them, with the overdue column
    assert "16.04 Kab. Lahat                       CRITICAL     17%     30%    179 (93)" in \
        screen(demo, "en", 80, "status").splitlines()


def test_a_blocked_reason_is_never_cut_or_left_out_at_any_width(demo: Path) -> None:
    reason = ("CONTOH: pencairan tahap II ditunda, menunggu pergeseran anggaran (Perbup "
              "perubahan penjabaran APBD belum ditandatangani)")
    for width in WIDTHS:
        assert reason in flat(screen(demo, "en", width, "changes", "--since", "2024-08-01"))


def test_the_log_shows_who_and_from_which_office_at_every_width(demo: Path) -> None:
    for width in WIDTHS:
        text = flat(screen(demo, "en", width, "log"))
        assert "dpt-diumumkan · f4821db5 · Contoh: Operator Desk Pilkada · demo-sumsel" in text \
            or re.search(r"dpt-diumumkan +f4821db5 +Contoh: Operator Desk Pilkada +demo-sumsel",
                         text), width


def test_a_title_is_never_narrower_than_the_item_id(demo: Path) -> None:
    text = screen(demo, "en", 120, "status", "16.04")
    row = next(line for line in text.splitlines() if "hibah-dianggarkan-apbd-2023" in line)
    # stacked: the title follows on the item's second line, longer than its id
    title = text.split("hibah-dianggarkan-apbd-2023", 1)[1].splitlines()[1]
    assert "40% of the Pilkada grant" in title and "16.04 Kab. Lahat" in row


def test_no_head_of_its_own_gives_way_to_a_star_with_its_legend(tmp_path: Path) -> None:
    env = {"NO_COLOR": "1", "PILKADA_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "nat"), "--region", "indonesia",
                               "--depth", "kabupaten"], env=env).exit_code == 0
    for lang, legend in (("en", "* no head of its own"), ("id", "* tanpa pilkada sendiri")):
        text = runner.invoke(app, ["--workspace", str(tmp_path / "nat"), "--lang", lang,
                                   "status"], env={**env, "COLUMNS": "80"}).stdout
        assert max(cell_len(line) for line in text.splitlines()) <= 80
        assert any(line.startswith("34 Daerah Istimewa Yogyakarta *  ")
                   for line in text.splitlines())
        assert legend in text.splitlines()
        wide = runner.invoke(app, ["--workspace", str(tmp_path / "nat"), "--lang", lang,
                                   "status"], env={**env, "COLUMNS": "200"}).stdout
        assert "34 Daerah Istimewa Yogyakarta · " + legend[2:] in wide


def test_piped_output_is_laid_out_for_a_known_terminal_width(demo: Path) -> None:
    env = {"NO_COLOR": "1", "PILKADA_HOME": str(demo.parent / "home")}
    base = ["--workspace", str(demo), "--lang", "en"]
    runner = CliRunner()
    piped = runner.invoke(app, [*base, "log"], env={**env, "COLUMNS": "80"}).stdout
    assert "\x1b[" not in piped and max(cell_len(line) for line in piped.splitlines()) <= 80
    assert len(piped.splitlines()) > 5452  # every event: the reader scrolls (| less)
    # no terminal known (cron), or a format asked for: every column on one line per row
    cron = runner.invoke(app, [*base, "log"], env={**env, "COLUMNS": None}).stdout
    asked = runner.invoke(app, [*base, "log", "--format", "plain"],
                          env={**env, "COLUMNS": "80"}).stdout
    assert cron == asked and len(asked.splitlines()) == 5453
    assert runner.invoke(app, [*base, "due", "--format", "csv"],
                         env={**env, "COLUMNS": "80"}).stdout == \
        runner.invoke(app, [*base, "due", "--format", "csv"], env={**env, "COLUMNS": None}).stdout
