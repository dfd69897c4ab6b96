"""Every view of the demo fits 60 columns and more in both languages, and a wider window never
shows less: no line wider than the terminal, no region's name cut, and every field (a column,
a reason, a note, a name) shown at a width is shown at 20 columns more. Piped output is laid
out for the reader's terminal when its width is known; machine formats are left alone."""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
import typer.testing
from rich.cells import cell_len
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.cli._common import Session
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.render.text import hanging

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = (60, 80, 100, 120)
VIEWS = (("status",), ("status", "16.04"), ("status", "--stage", "8"),
         ("status", "--depth", "kecamatan"), ("due",), ("changes", "--since", "2024-08-01"),
         ("log",), ("stages",), ("items",), ("regions",), ("verify",))
# A region code with a dot, followed by a name (not a time: "21 Agu 2024 16.05 WIB").
CODE = re.compile(r"(?<![\d.])(?<!\d{4} )(16\.\d\d(?:\.\d\d)?) (?!WIB|WITA|WIT)(?=[A-Z])")
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
def short_names() -> dict[str, tuple[str, str]]:
    """Each region's short name (views) and full name (``regions``)."""
    return {r.code: (r.short_name, r.name) for r in load_regions().descendants("16", 4)}


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
    assert lines[at + 1:at + 3] == ["    KRITIS · 17% (target 30%) · 158 terlambat (93 kritis)",
                                    "      21 terhambat"]
    assert "Tidak tampil pada lebar ini: Segera jatuh tempo, Tahapan, Pembaruan terakhir, " \
        "Oleh;" in flat(text)
    # at 80 columns too: the blocked column does not fit beside the others in a table
    lines = screen(demo, "en", 80, "status").splitlines()
    at = lines.index("16.04 Kab. Lahat")
    assert lines[at + 1] == \
        "    CRITICAL · 17% (target 30%) · 158 overdue (93 critical) · 21 blocked"
    # at 100 columns the table holds them all, the critical blocked in brackets
    assert "16.04 Kab. Lahat                       CRITICAL     17%     30%    158 (93)" \
        "          21" in screen(demo, "en", 100, "status").splitlines()


# What makes Empat Lawang CRITICAL is one blocked critical item (hibah-polri-tahap-2), nothing
# overdue: its row says so at every width, in both languages.
EMPAT_LAWANG = {
    ("en", 60): ["16.11 Kab. Empat Lawang", "    CRITICAL · 32% (target 30%) · 0 overdue",
                 "      1 blocked (1 critical)"],
    ("id", 60): ["16.11 Kab. Empat Lawang", "    KRITIS · 32% (target 30%) · 0 terlambat",
                 "      1 terhambat (1 kritis)"],
    ("en", 80): ["16.11 Kab. Empat Lawang",
                 "    CRITICAL · 32% (target 30%) · 0 overdue · 1 blocked (1 critical)"],
    ("id", 80): ["16.11 Kab. Empat Lawang",
                 "    KRITIS · 32% (target 30%) · 0 terlambat · 1 terhambat (1 kritis)"],
    # from 83 columns the table, the target folded into the score's column where the two
    # do not fit side by side
    ("en", 84): ["16.11 Kab. Empat Lawang                CRITICAL   32% / 30%           0"
                 "       1 (1)"],
    ("id", 84): ["16.11 Kab. Empat Lawang                KRITIS       32% / 30%          0"
                 "      1 (1)"],
    ("en", 100): ["16.11 Kab. Empat Lawang                CRITICAL     32%     30%           0"
                  "       1 (1)"],
    ("id", 100): ["16.11 Kab. Empat Lawang                KRITIS           32%     30%          0"
                  "      1 (1)"],
}


@pytest.mark.parametrize(("lang", "width"), sorted(EMPAT_LAWANG))
def test_a_critical_region_shows_why_at_every_width(demo: Path, lang: str, width: int) -> None:
    lines = _screen(demo, lang, width, ("status",)).splitlines()
    expected = EMPAT_LAWANG[(lang, width)]
    at = lines.index(expected[0])
    assert lines[at:at + len(expected)] == expected
    if width >= 84:  # the header says what the brackets hold
        head = {("en", 84): ("Score /     Overdue     Blocked",
                             "target  (critical)  (critical)"),
                ("id", 84): ("Capaian /  Terlambat  Terhambat", "target   (kritis)   (kritis)"),
                ("en", 100): ("Overdue     Blocked", "Target  (critical)  (critical)"),
                ("id", 100): ("Terlambat  Terhambat", "Target   (kritis)   (kritis)")}
        assert lines[at - 5].endswith(head[(lang, width)][0])  # the third row
        assert lines[at - 4].endswith(head[(lang, width)][1])
        left_out = {"en": "Not shown at this width: Due soon, Stages, Last update, By;",
                    "id": "Tidak tampil pada lebar ini: Segera jatuh tempo, Tahapan, Pembaruan "
                          "terakhir, Oleh;"}[lang]
        assert left_out in flat("\n".join(lines))
    # the verdict counts the critical blocked too
    verdict = {"en": "29 blocked (1 critical)", "id": "29 terhambat (1 kritis)"}[lang]
    assert verdict in flat("\n".join(lines[:at]))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_width_from_60_shows_each_regions_blocked_count(demo: Path, lang: str) -> None:
    """Between the widths pinned above too: Empat Lawang's one critical blocked item, as
    "1 (1)" under the header or as words under its name, and the column never left out."""
    words = {"en": "1 blocked (1 critical)", "id": "1 terhambat (1 kritis)"}[lang]
    header = {"en": "Blocked", "id": "Terhambat"}[lang]
    for width in range(60, 121, 3):
        lines = _screen(demo, lang, width, ("status",)).splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("16.11 Kab. Empat"))
        if lines[at] == "16.11 Kab. Empat Lawang":  # stacked: the lines under its name
            assert words in flat("\n".join(lines[at + 1:at + 3])), width
        else:
            assert re.search(r"  0 +1 \(1\)(  |$)", lines[at]), (width, lines[at])
        left_out = NOT_SHOWN.search(flat("\n".join(lines)))
        assert left_out is None or header not in left_out.group(1).split(", "), width


def test_a_blocked_reason_is_never_cut_or_left_out_at_any_width(demo: Path) -> None:
    reason = ("CONTOH: pencairan tahap II ditunda, menunggu pergeseran anggaran (Perbup "
              "perubahan penjabaran APBD belum ditandatangani)")
    for width in WIDTHS:
        assert reason in flat(screen(demo, "en", width, "changes", "--since", "2024-08-01"))


def test_the_log_shows_who_and_from_which_office_at_every_width(demo: Path) -> None:
    for width in WIDTHS:
        text = flat(screen(demo, "en", width, "log"))
        # a line break (stacked) or a column gap (a table) between the fields
        assert re.search(r"tps-lokasi-khusus(?: · | +)76ea1278(?: · | +)Contoh: Operator Desk "
                         r"Pilkada(?: · | +)demo-sumsel", text), width


def test_a_title_is_never_narrower_than_the_item_id(demo: Path) -> None:
    """At 120 columns a row of late items with its title no narrower than its 27-character id
    does not fit: the items are stacked, each title whole where a line holds it."""
    title = "40% of the Pilkada grant budgeted in the 2023 regional budget (APBD)"
    for width in (80, 100, 120):
        text = flat(screen(demo, "en", width, "status", "16.04"))
        assert re.search(r"16\.04 Kab\. Lahat · hibah-dianggarkan-apbd-2023 \(critical\) 285 days "
                         r"late · 10 Nov 2023 · BPKAD(?: ·)? " + re.escape(title), text), width
    assert "BPKAD 40% of the Pilkada grant budgeted in the 2023 regio…" in flat(
        screen(demo, "en", 60, "status", "16.04"))


def test_no_head_of_its_own_gives_way_to_a_star_with_its_legend(tmp_path: Path) -> None:
    env = {"NO_COLOR": "1", "PILKADA_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "nat"), "--region", "indonesia",
                               "--depth", "kabupaten"], env=env).exit_code == 0
    for lang, legend in (("en", "* elects no head"), ("id", "* tanpa pilkada sendiri")):
        text = runner.invoke(app, ["--workspace", str(tmp_path / "nat"), "--lang", lang,
                                   "status"], env={**env, "COLUMNS": "80"}).stdout
        assert max(cell_len(line) for line in text.splitlines()) <= 80
        assert any(line.startswith("34 Daerah Istimewa Yogyakarta *  ")
                   for line in text.splitlines())
        # the region, level, score and target (folded in one column), overdue and blocked
        # side by side in 80 columns: nothing has been recorded yet
        row = {"en": "NO REPORT  0% / 100%           —           —",
               "id": "BELUM LAPOR  0% / 100%          —          —"}[lang]
        assert "11 Aceh" + " " * 29 + row in text.splitlines()
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
    assert len(piped.splitlines()) > 5339  # every event: the reader scrolls (| less)
    # no terminal known (cron), or a format asked for: every column on one line per row
    cron = runner.invoke(app, [*base, "log"], env={**env, "COLUMNS": None}).stdout
    asked = runner.invoke(app, [*base, "log", "--format", "plain"],
                          env={**env, "COLUMNS": "80"}).stdout
    assert cron == asked and len(asked.splitlines()) == 5340
    assert runner.invoke(app, [*base, "due", "--format", "csv"],
                         env={**env, "COLUMNS": "80"}).stdout == \
        runner.invoke(app, [*base, "due", "--format", "csv"], env={**env, "COLUMNS": None}).stdout


def test_a_closed_pipe_ends_quietly_also_when_laid_out(demo: Path) -> None:
    """`pilkada log | head -1` in an 80-column terminal: laid out for 80 columns, and the
    reader going away early ends the run quietly (141), as plain text does."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PILKADA_", "LC_", "LANG")) and k != "FORCE_COLOR"}
    env.update({"PILKADA_HOME": str(demo.parent / "home"), "PILKADA_LANG": "en",
                "NO_COLOR": "1", "COLUMNS": "80"})
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run([sys.executable, "-m", "pilkada_cli", "log", "--all"],
                                cwd=demo, env=env, stdout=write, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, timeout=120)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr.decode("utf-8", "replace")) == (141, "")
    shown = subprocess.run([sys.executable, "-m", "pilkada_cli", "log"], cwd=demo, env=env,
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    lines = shown.stdout.decode("utf-8").splitlines()
    assert shown.returncode == 0 and len(lines) > 5339
    assert max(cell_len(line) for line in lines) <= 80


def test_long_messages_wrap_between_words_on_a_terminal() -> None:
    steps = "\n".join([
        "Langkah berikutnya:",
        "  pilkada record --from BERKAS.csv banyak perubahan sekaligus (CSV/lembar isian)",
        "Peringatan: " + "catatan " * 12 + "selesai."])
    assert hanging(steps, 60).split("\n") == [
        "Langkah berikutnya:",
        "  pilkada record --from BERKAS.csv banyak perubahan",
        "    sekaligus (CSV/lembar isian)",
        "Peringatan: catatan catatan catatan catatan catatan catatan",
        "  catatan catatan catatan catatan catatan catatan selesai."]
    assert hanging(steps, 120) == steps
    two = "  pilkada items     what the cycle asks for, with the item ids of every stage"
    assert hanging(two, 50).split("\n") == ["  pilkada items     what the cycle asks for, with",
                                            "                    the item ids of every stage"]


def test_messages_wrap_only_where_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    text = "Peringatan: " + "catatan " * 12 + "selesai."
    for tty, expected in ((False, text + "\n"), (True, hanging(text, 40) + "\n")):
        stream = Tty() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setenv("COLUMNS", "40")
        session = Session(no_color=True)
        session.say(text)
        assert stream.getvalue() == expected
