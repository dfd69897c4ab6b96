"""NO REPORT / BELUM LAPOR: a region that has recorded nothing is unknown, not critical, in every
view and format; a new workspace says what to do next, in its own language."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from conftest import RunCli

STEPS_EN = ("Next steps:", "pilkada done REGION ITEM", "pilkada record --from FILE.csv",
            "pilkada sheet REGION")
STEPS_ID = ("Langkah berikutnya:", "pilkada done WILAYAH BUTIR",
            "pilkada record --from BERKAS.csv", "pilkada sheet WILAYAH")


@pytest.fixture
def empty(tmp_path: Path, cli: RunCli) -> Path:
    """A new Sumsel workspace (to kabupaten) with no records."""
    result = cli("init", "ws", "--region", "16", "--depth", "kabupaten")
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def test_init_says_what_to_do_next_in_the_workspace_language(empty: Path, tmp_path: Path,
                                                             cli: RunCli) -> None:
    # The run started in English (no --lang, no locale); the new workspace speaks Indonesian.
    result = cli("init", "ws2", "--region", "16")
    assert result.exit_code == 0
    assert "Ruang kerja ws2/pilkada.yaml untuk Sumatera Selatan (16) telah dibuat." in result.stderr
    assert "cd ws2" in result.stderr
    assert all(step in result.stderr for step in STEPS_ID)
    english = cli("init", "ws3", "--region", "16", "--language", "en")
    assert all(step in english.stderr for step in STEPS_EN)
    assert "Created workspace ws3/pilkada.yaml for Sumatera Selatan (16)." in english.stderr
    # --lang is the user's explicit choice and wins over the workspace's language.
    chosen = cli("--lang", "en", "init", "ws4", "--region", "16")
    assert all(step in chosen.stderr for step in STEPS_EN)


@pytest.mark.parametrize("as_of", ["2024-08-21", None])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_empty_workspace_is_no_report_not_critical(empty: Path, cli: RunCli, lang: str,
                                                      as_of: str | None) -> None:
    when = ["--as-of", as_of] if as_of else []
    result = cli("--workspace", str(empty), "--lang", lang, "status", *when)
    assert result.exit_code == 0, result.output
    critical, none = ("KRITIS", "BELUM LAPOR") if lang == "id" else ("CRITICAL", "NO REPORT")
    assert critical not in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("16.")]
    assert len(rows) == 17 and all(none in row for row in rows)
    assert all(step in result.stderr for step in (STEPS_ID if lang == "id" else STEPS_EN))
    data = json.loads(cli("--workspace", str(empty), "status", *when, "--format",
                          "json").stdout)
    assert {r["level"] for r in data["regions"]} == {"no_report"}
    # Nothing is known to be late: no gate but no-report (and the score) fails.
    for gate in ("critical", "overdue", "red", "blocked"):
        assert cli("--workspace", str(empty), "status", *when, "--fail-on", gate).exit_code == 0
    assert cli("--workspace", str(empty), "status", *when, "--fail-on", "no-report"
               ).exit_code == 1
    assert data["root"]["level"] == "no_report" and data["totals"]["levels"] == {}
    assert data["totals"]["no_report"] == 17
    due = cli("--workspace", str(empty), "--lang", lang, "due", *when)
    assert due.exit_code == 0
    assert not [line for line in due.stdout.splitlines() if line.startswith("16")]
    assert all(step in due.stderr for step in (STEPS_ID if lang == "id" else STEPS_EN))


def test_fail_on_no_report(empty: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(empty)
    assert cli("done", "palembang", "hibah-kpu-tahap-1", "--at",
               "2024-01-05T10:00").exit_code == 0
    bad = cli("--lang", "en", "status", "--as-of", "2024-08-21", "--fail-on", "no-report")
    assert bad.exit_code == 1
    # Every kab/kota but Palembang: 16 of them, the first five named.
    assert "Gate failed: 16 region(s) with no report: 16.01 Kab. Ogan Komering Ulu" in bad.stderr
    assert bad.stderr.rstrip().endswith(", …")
    ok = cli("status", "palembang", "--as-of", "2024-08-21", "--fail-on", "no_report")
    assert ok.exit_code == 0, ok.output
    # --fail-on critical judges what is known: the province's own critical items and
    # Palembang's (but the one done), not those of the 16 kab/kota that reported nothing.
    crit = cli("--lang", "en", "status", "--as-of", "2024-08-21", "--fail-on", "critical")
    assert crit.exit_code == 1
    expected = _critical_due_before(empty, "16", "2024-08-21") + _critical_due_before(
        empty, "16.71", "2024-08-21") - 1
    assert f"Gate failed: {expected} critical item(s) overdue, 0 blocked" in crit.stderr


def _critical_due_before(ws: Path, code: str, day: str) -> int:
    """A region's own applicable critical items due before ``day``, counted from the cycle."""
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import region_tags
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import load_config

    region = load_regions().get(code)
    assert region is not None
    tags = region_tags(code, load_config(ws / "pilkada.yaml").tags)
    return sum(1 for i in open_cycle("pilkada-2024").items.values()
               if i.critical and i.applies_to(region.level, tags) and i.due.isoformat() < day)


def test_every_report_format_says_belum_lapor(empty: Path, tmp_path: Path, cli: RunCli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(empty)
    assert cli("done", "palembang", "hibah-kpu-tahap-1", "--at",
               "2024-01-05T10:00").exit_code == 0
    out = tmp_path / "out"
    result = cli("report", "--as-of", "2024-08-21", "-f", "html,xlsx,csv,md,json", "-o",
                 f"{out}/r.{{format}}")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert data["schema"] == "pilkada.status/2" and data["report"]["schema"] == \
        "pilkada.report/2"
    levels = {r["code"]: r["level"] for r in data["regions"]}
    assert levels["16.12"] == "no_report" and levels["16.71"] != "no_report"
    html = (out / "r.html").read_text(encoding="utf-8")
    # The workspace speaks Indonesian (init's default), and so does its report.
    assert '<span class="lv lv-no_report">BELUM LAPOR</span>' in html
    md = (out / "r.md").read_text(encoding="utf-8")
    pali = next(line for line in md.splitlines() if "16.12 Kab. Penukal" in line)
    assert "| BELUM LAPOR |" in pali
    rows = list(csv.reader(io.StringIO((out / "r.csv").read_text(encoding="utf-8-sig")),
                           delimiter=";"))
    assert rows[0][-1] == "Kesiapan wilayah"
    assert {r[-1] for r in rows[1:] if r[0] == "16.12"} == {"BELUM LAPOR"}
    assert {r[-1] for r in rows[1:] if r[0] == "16.71"} == {"KRITIS"}
    book = openpyxl.load_workbook(out / "r.xlsx")
    cells = [c.value for row in book.worksheets[1].iter_rows() for c in row]
    assert "BELUM LAPOR" in cells
    # Its counts are blank, as the terminal and the HTML show "—": nothing is known to be late.
    sheet = book.worksheets[1]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    counts = [header.index(h) for h in ("Terlambat kritis", "Terlambat", "Terhambat",
                                        "Segera jatuh tempo")]
    pali = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "16.12")
    assert [pali[i] for i in counts] == [None] * 4
    palembang = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "16.71")
    assert all(isinstance(palembang[i], int) for i in counts)


def test_the_matrix_names_a_silent_region_once_with_its_level(
        empty: Path, tmp_path: Path, cli: RunCli) -> None:
    """The regions × stages matrix says BELUM LAPOR in the level column; the region's name
    does not repeat it as "(belum lapor)" (HTML and Markdown; XLSX and CSV never did)."""
    out = tmp_path / "out"
    result = cli("--workspace", str(empty), "report", "--as-of", "2024-08-21", "-f", "html,md",
                 "--appendix", "all", "-o", f"{out}/r.{{format}}")
    assert result.exit_code == 0, result.output
    md = (out / "r.md").read_text(encoding="utf-8")
    matrix = md.split("## Wilayah × tahapan", 1)[1]
    row = next(line for line in matrix.splitlines() if "16.12 Kab. Penukal" in line)
    assert row.startswith("| · 16.12 Kab. Penukal Abab Lematang Ilir | BELUM LAPOR | 0,0% |")
    html = (out / "r.html").read_text(encoding="utf-8")
    matrix = html.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    row = next(r for r in matrix.split("<tr>") if "Penukal" in r)
    assert row.startswith('<td>16.12 Kab. Penukal Abab Lematang Ilir</td><td><span class="lv '
                          'lv-no_report">BELUM LAPOR</span></td>')
    assert "(belum lapor)" not in md + html
