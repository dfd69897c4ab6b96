"""`pilkada status`, `due` and `changes` through the CLI: formats agree, colours obey the
environment, gates exit 1, and cron's bare environment works."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import FEW_RECORDS, RunCli, sumsel_ws

ESC = "\x1b["


@pytest.fixture
def ws(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sumsel to kabupaten level on the mini cycle, with a few recorded changes."""
    return sumsel_ws(cli, tmp_path, mini_cycle, monkeypatch, ("--depth", "kabupaten",
                     "--language", "en"), (*FEW_RECORDS, ("done", "16.71", "gudang", "--at",
                                                         "2024-03-05T10:00")))


def _json(cli: RunCli, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("status", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_numbers_are_exact(ws: Path, cli: RunCli) -> None:
    data = _json(cli, "--as-of", "2024-03-01")
    assert data["schema"] == "pilkada.status/2"
    assert data["as_of"] == "2024-03-01"
    assert data["thresholds"] == {"warn_days": 7, "red_gap": 25}
    rows = {r["code"]: r for r in data["regions"]}
    assert len(rows) == 17
    assert (rows["16.71"]["score"], rows["16.71"]["expected"], rows["16.71"]["level"]) == \
        (25.0, 25.0, "on_track")
    assert (rows["16.10"]["score"], rows["16.10"]["blocked"], rows["16.10"]["level"]) == \
        (8.0, 1, "at_risk")
    assert rows["16.01"]["no_report"] is True
    assert data["totals"]["no_report"] == 15
    # worst first: Ogan Ilir at risk (a blocked item), then the 15 kab/kota that have recorded
    # nothing (no report: not critical, not on track), Palembang on track last
    assert [r["level"] for r in data["regions"]] == ["at_risk"] + ["no_report"] * 15 + [
        "on_track"]
    assert data["regions"][0]["code"] == "16.10" and data["regions"][-1]["code"] == "16.71"
    assert data["totals"]["levels"] == {"at_risk": 1, "on_track": 1}
    assert data["days_to_voting"] == 271


def whole_percent(part: Fraction) -> str:
    """A share as the screens show it: a whole percentage rounded half up, never 0% for
    something nor 100% for less than everything."""
    p = math.floor(part * 100 + Fraction(1, 2))
    if 0 < part and p == 0:
        p = 1
    if part < 1 and p == 100:
        p = 99
    return f"{p}%"


def test_every_format_carries_the_same_numbers(ws: Path, cli: RunCli) -> None:
    data = _json(cli, "--as-of", "2024-03-02")
    exact = {r["code"]: (f"{r['score']:.1f}", f"{r['expected']:.1f}") for r in data["regions"]}
    # Screens show whole percentages, from the JSON's exact sums.
    whole = {r["code"]: (whole_percent(Fraction(str(r["credit"])) / r["weight"]),
                         whole_percent(Fraction(r["expected_weight"], r["weight"])))
             for r in data["regions"]}
    plain = cli("--lang", "en", "status", "--as-of", "2024-03-02", "--format", "plain").stdout
    md = cli("--lang", "en", "status", "--as-of", "2024-03-02", "--format", "md").stdout
    table = cli("--lang", "en", "status", "--as-of", "2024-03-02", "--format", "table").stdout
    csv_rows = list(csv.DictReader(io.StringIO(cli("status", "--as-of", "2024-03-02",
                                                   "--format", "csv").stdout)))
    assert {r["code"]: (r["score_pct"], r["expected_pct"]) for r in csv_rows} == exact
    assert whole["16.10"] == ("8%", "20%")  # 0.4 of 5; 1 of 5 due
    for text in (plain, md, table):
        for code, (score, exp) in whole.items():
            line = next(line for line in text.splitlines() if code + " " in line)
            assert re.search(rf"(?<!\d){re.escape(score)}.*(?<!\d){re.escape(exp)}", line), \
                (code, line)


def test_piped_and_no_color_output_has_no_escapes(ws: Path, cli: RunCli,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert ESC not in cli("status", "--as-of", "2024-03-02").output
    assert ESC not in cli("status", "--as-of", "2024-03-02", "--format", "table").output
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ESC in cli("status", "--as-of", "2024-03-02", "--format", "table").stdout
    assert ESC not in cli("--no-color", "status", "--as-of", "2024-03-02", "--format",
                          "table").stdout


def test_fail_on_critical(ws: Path, cli: RunCli) -> None:
    # On 1 March the critical NPHD item is due today, not overdue: gate passes.
    ok = cli("status", "--as-of", "2024-03-01", "--fail-on", "critical")
    assert ok.exit_code == 0, ok.output
    bad = cli("status", "--as-of", "2024-03-02", "--fail-on", "critical")
    assert bad.exit_code == 1
    # the province's own and Ogan Ilir's are overdue (Palembang's is done); the 15 kab/kota
    # with no report are unknown, not late
    assert "Gate failed: 2 critical item(s) overdue, 0 blocked" in bad.stderr
    assert cli("status", "--as-of", "2024-03-02", "--fail-on", "bogus").exit_code == 2


def test_fail_under_and_blocked(ws: Path, cli: RunCli) -> None:
    result = cli("status", "--as-of", "2024-03-10", "--fail-under", "50")
    assert result.exit_code == 1
    # (300 + 40) / (100 × (3 + 15 × 4 + 2 × 5)): Palembang 3 of 4, Ogan Ilir 0.4 of 5
    # (Ogan Ilir and Empat Lawang have the calon-tunggal item): 4.657…%
    assert "score 4.66% is under 50%" in result.stderr
    assert cli("status", "--as-of", "2024-03-10", "--fail-under", "4.65").exit_code == 0
    assert cli("status", "--as-of", "2024-03-10", "--fail-under", "4.66").exit_code == 1
    assert cli("status", "--as-of", "2024-03-10", "--fail-on", "blocked").exit_code == 1


def test_region_detail_lists_items(ws: Path, cli: RunCli) -> None:
    result = cli("--lang", "en", "status", "ogan ilir", "--as-of", "2024-03-02",
                 "--format", "plain", "--all")
    assert result.exit_code == 0
    # Needs action first: the blocked item with its reason, then the critical overdue one.
    lines = result.stdout.splitlines()
    blocked = lines.index("Blocked (1):")
    assert "16.10 Kab. Ogan Ilir · gudang" in lines[blocked + 1]
    assert "lahan belum ada" in lines[blocked + 1]
    late = next(line for line in lines if line.startswith("16.10 Kab. Ogan Ilir  ! 1 day late"))
    assert "nphd-kpu" in late
    gudang = next(line for line in result.stdout.splitlines() if line.startswith("gudang"))
    assert "blocked" in gudang and "lahan belum ada" in gudang
    nphd = next(line for line in result.stdout.splitlines() if line.startswith("nphd-kpu"))
    assert "in progress 40%" in nphd and "1 day late" in nphd


def test_unknown_stage_and_bad_date_exit_2(ws: Path, cli: RunCli) -> None:
    assert cli("status", "--stage", "nope").exit_code == 2
    bad = cli("status", "--as-of", "21-08-2024")
    assert bad.exit_code == 2 and "bad date '21-08-2024'" in bad.stderr


def test_due_lists_worst_first(ws: Path, cli: RunCli) -> None:
    result = cli("due", "--as-of", "2024-03-05", "--format", "json")
    data = json.loads(result.stdout)
    first = data["items"][0]
    assert (first["item"], first["overdue"], first["critical"]) == ("nphd-kpu", True, True)
    assert all(i["status"] != "done" for i in data["items"])
    only = json.loads(cli("due", "--as-of", "2024-03-05", "--overdue", "--format",
                          "json").stdout)["items"]
    assert only and all(i["overdue"] for i in only)
    # the province's own NPHD item and Ogan Ilir's (Palembang's is done); the kab/kota with
    # no report are listed apart, not as 15 overdue rows each
    assert {i["region"] for i in only} == {"16", "16.10"}
    silent = [f"16.{n:02d}" for n in range(1, 14) if n != 10] + ["16.72", "16.73", "16.74"]
    assert data["no_report"] == silent


def test_changes_since(ws: Path, cli: RunCli) -> None:
    result = cli("changes", "--since", "2024-03-01", "--until", "2024-03-06", "--format", "json")
    assert result.exit_code == 0, result.output
    kinds = {(c["region"], c["item"], c["kind"]) for c in json.loads(result.stdout)["changes"]}
    assert ("16.71", "gudang", "done") in kinds
    assert ("16.10", "nphd-kpu", "overdue") in kinds
    assert ("16.71", "nphd-kpu", "overdue") not in kinds


def test_bare_cron_environment(ws: Path) -> None:
    env = {"PATH": os.environ["PATH"]}
    result = subprocess.run([sys.executable, "-m", "pilkada_cli", "status", "--as-of",
                             "2024-03-02"], cwd=ws, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert ESC not in result.stdout
    assert "16.71 Kota Palembang" in result.stdout


@pytest.mark.parametrize(("lang", "title", "tally"), [
    ("en", "late items only", "1 overdue (1 critical) · 0 blocked (0 critical)"),
    ("id", "hanya butir terlambat", "1 terlambat (1 kritis) · 0 terhambat (0 kritis)"),
])
@pytest.mark.parametrize("fmt", ["table", "plain"])
def test_due_overdue_is_headed_and_counted_as_what_it_shows(
        ws: Path, cli: RunCli, lang: str, title: str, tally: str, fmt: str) -> None:
    result = cli("--lang", lang, "due", "16.10", "--as-of", "2024-03-05", "--overdue",
                 "--format", fmt)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    as_of = "As of" if lang == "en" else "Per"
    assert lines[0] == f"Kabupaten Ogan Ilir (16.10) · {as_of} 5 Mar 2024 · H-267 · {title} · " \
                       "Siklus Mini"
    assert lines[1] == tally
