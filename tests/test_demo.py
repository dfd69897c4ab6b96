"""`pilkada demo`: a sample Sumsel workspace as of 21 August 2024, marked as sample."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import RunCli
from pilkada_cli.domain.workspace import load_config


def test_demo_creates_a_marked_sample_and_shows_its_status(tmp_path: Path, cli: RunCli) -> None:
    result = cli("demo", "d")
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "d" / "pilkada.yaml")
    assert config.sample and config.as_of is not None and config.as_of.isoformat() == "2024-08-21"
    assert config.language == "en"
    assert result.stdout.startswith("SAMPLE DATA — not real records")
    assert "As of 21 Aug 2024 · H-98" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line[:3] == "16."]
    assert len(rows) == 17
    checked = cli("--workspace", str(tmp_path / "d"), "verify")
    assert checked.exit_code == 0
    # One machine wrote the sample: its counter follows its clock, so nothing is flagged.
    assert checked.stderr.rstrip().splitlines()[-1] == "0 error(s), 0 warning(s)"


def _raw_events(ws: Path) -> list[dict[str, Any]]:
    """Every event of the record files, read as plain JSON (not through the journal)."""
    return [json.loads(line) for path in sorted((ws / "records").rglob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _score_by_hand(ws: Path, code: str) -> float:
    """A kab/kota's pooled score in percent, folded here from the raw lines: the latest event
    per (region, item) by (at, recorded, id); done 1, in progress p/100; over the weights of
    every applicable item of the kab/kota and its kecamatan."""
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import region_tags
    from pilkada_cli.domain.regions import load_regions

    cycle = open_cycle("pilkada-2024")
    tags = load_config(ws / "pilkada.yaml").tags
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in _raw_events(ws):
        key = (ev["region"], ev["item"])
        order = (datetime.fromisoformat(ev["at"]), datetime.fromisoformat(ev["recorded"]),
                 ev["id"])
        if key not in latest or order > latest[key]["order"]:
            latest[key] = {**ev, "order": order}
    index = load_regions()
    subtree = [index.get(code), *index.descendants(code, 3)]
    weight = credit = 0.0
    for region in subtree:
        assert region is not None
        for item in cycle.items.values():
            if not item.applies_to(region.level, region_tags(region.code, tags)):
                continue
            ev = latest.get((region.code, item.id))
            weight += item.weight
            if ev and ev["status"] == "done":
                credit += item.weight
            elif ev and ev["status"] == "in_progress":
                credit += item.weight * (ev["progress"] or 0) / 100
    return 100 * credit / weight


def _own_weight(ws: Path, code: str) -> int:
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import region_tags
    from pilkada_cli.domain.regions import load_regions

    region = load_regions().get(code)
    assert region is not None
    tags = region_tags(code, load_config(ws / "pilkada.yaml").tags)
    return sum(i.weight for i in open_cycle("pilkada-2024").items.values()
               if i.applies_to(region.level, tags))


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo workspace and its status as JSON, built once for this module."""
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    ws = tmp_path_factory.mktemp("demo") / "d"
    runner = CliRunner()
    env = {"NO_COLOR": "1", "COLUMNS": "200", "PILKADA_LANG": "en"}
    assert runner.invoke(app, ["demo", str(ws)], env=env).exit_code == 0
    out = runner.invoke(app, ["--workspace", str(ws), "status", "--format", "json"], env=env)
    return ws, json.loads(out.stdout)


def test_the_demo_tells_a_story_of_regions_ahead_and_behind(
        demo_json: tuple[Path, dict[str, Any]]) -> None:
    ws, data = demo_json
    rows = {r["code"]: r for r in data["regions"]}
    # The storyline of demo.py: the three AHEAD kab/kota are well ahead of the schedule, the two
    # BEHIND ones far behind it, and the scores say so.
    for code in ("16.71", "16.74", "16.06"):
        assert rows[code]["level"] == "on_track"
        assert rows[code]["score"] >= rows[code]["expected"] + 5
    for code in ("16.04", "16.02"):
        assert rows[code]["level"] == "critical" and rows[code]["critical_overdue"] > 0
    assert rows["16.04"]["score"] <= rows["16.04"]["expected"] - 10
    # The numbers on screen are the ones the records give, folded independently here.
    for code in ("16.71", "16.04", "16.11"):
        assert rows[code]["score"] == round(_score_by_hand(ws, code), 1)
    # Levels by the story: Lahat, OKI and Empat Lawang (one blocked critical item) critical,
    # the four LOOSE kab/kota at risk, the other nine on track; PALI has sent nothing: no
    # report, counted apart, unknown rather than critical.
    assert data["totals"]["levels"] == {"critical": 3, "at_risk": 4, "on_track": 9}
    assert data["totals"]["no_report"] == 1
    assert (rows["16.12"]["level"], rows["16.12"]["no_report"]) == ("no_report", True)
    # Its items count at zero credit in the province's pooled score: the province's weight is
    # the sum of its own and its kab/kota's, and so is its credit.
    root = data["root"]
    assert root["weight"] == sum(r["weight"] for r in data["regions"]) + _own_weight(ws, "16")
    assert rows["16.12"]["credit"] == 0


def test_the_demo_has_one_blocked_critical_item_with_its_reason(
        demo_json: tuple[Path, dict[str, Any]]) -> None:
    from pilkada_cli.domain.cycles import open_cycle

    ws, data = demo_json
    cycle = open_cycle("pilkada-2024")
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in sorted(_raw_events(ws), key=lambda e: (e["at"], e["recorded"], e["id"])):
        latest[(ev["region"], ev["item"])] = ev
    blocked = [ev for ev in latest.values()
               if ev["status"] == "blocked" and cycle.items[ev["item"]].critical]
    assert [(ev["region"], ev["item"]) for ev in blocked] == [("16.11", "hibah-polri-tahap-2")]
    assert blocked[0]["note"].startswith("CONTOH: pencairan tahap II ditunda")
    row = next(r for r in data["regions"] if r["code"] == "16.11")
    # blocked wins: the late blocked item is counted as blocked, not also as overdue
    assert (row["level"], row["critical_overdue"], row["critical_blocked"], row["blocked"]) == (
        "critical", 0, 1, 1)
    # The kab/kota with no report has no event at all, nor have Lahat's last three kecamatan.
    regions = {ev["region"] for ev in latest.values()}
    assert not any(code.startswith("16.12") for code in regions)
    from pilkada_cli.domain.regions import load_regions

    districts = [r.code for r in load_regions().children("16.04")]
    assert set(districts[:-3]) <= regions and not set(districts[-3:]) & regions


def test_no_report_of_a_period_is_worked_on_before_the_period(
        demo_json: tuple[Path, dict[str, Any]]) -> None:
    """An occurrence of a recurring report (the monthly report for September) is not done,
    nor in progress, before its period begins, and not done before the period's last week.
    The period is worked out here from the occurrence's id and its series in the checklist
    file, not by the code that made the sample."""
    import re
    from datetime import date, timedelta

    import yaml

    ws, _data = demo_json
    every: dict[str, str] = {}
    for path in (Path(__file__).parents[1] / "checklists" / "pilkada-2024").glob("*.yaml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("items") or []:
            if "every" in item:
                every[item["id"]] = item["every"]
    assert set(every.values()) == {"month", "week"}
    seen = 0
    for ev in _raw_events(ws):
        m = re.fullmatch(r"(.+)-(\d{4})-(\d{2})(?:-(\d{2}))?", ev["item"])
        if not m or m[1] not in every:
            continue
        seen += 1
        day = date.fromisoformat(ev["at"][:10])  # the day where it happened
        if every[m[1]] == "month":
            begins = date(int(m[2]), int(m[3]), 1)  # this checklist's are due at month end
            due = (begins + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        else:
            due = date(int(m[2]), int(m[3]), int(m[4]))
            begins = due - timedelta(days=6)
        assert day >= begins, ev
        if ev["status"] == "done":
            assert day >= due - timedelta(days=6), ev
    # Diligent offices have this month's report in hand but none has done next month's.
    assert seen > 100
    months = {ev["item"][-7:] for ev in _raw_events(ws)
              if ev["item"].startswith("laporan-bulanan-desk-pilkada-")}
    assert max(months) == "2024-08"


def test_demo_again_shows_status_and_never_touches_a_real_workspace(tmp_path: Path,
                                                                    cli: RunCli) -> None:
    assert cli("demo", "d").exit_code == 0
    before = sorted(p.name for p in (tmp_path / "d" / "records").rglob("*.jsonl"))
    again = cli("demo", "d")
    assert again.exit_code == 0 and "already exists" in again.stderr
    assert sorted(p.name for p in (tmp_path / "d" / "records").rglob("*.jsonl")) == before
    assert cli("init", "real", "--region", "16").exit_code == 0
    refused = cli("demo", "real")
    assert refused.exit_code == 2 and "is a real workspace" in refused.stderr


def test_demo_speaks_the_language_it_was_asked_in(tmp_path: Path, cli: RunCli) -> None:
    result = cli("--lang", "id", "demo", "d")
    assert result.exit_code == 0
    assert load_config(tmp_path / "d" / "pilkada.yaml").language == "id"
    assert result.stdout.startswith("DATA CONTOH")
    assert "Per 21 Agu 2024 · H-98" in result.stdout


@pytest.mark.parametrize(("lang", "note"), [
    ("en", "Recorded as of 2024-08-21, the frozen date of this workspace (as_of in pilkada.yaml), "
           "so it shows in its status; --at gives another time."),
    ("id", "Dicatat per 2024-08-21, tanggal \"hari ini\" yang dibekukan di ruang kerja ini (as_of "
           "di pilkada.yaml), agar tampil di statusnya; pakai --at untuk waktu lain."),
])
def test_what_a_newcomer_records_in_the_demo_shows_in_its_status(
        tmp_path: Path, cli: RunCli, lang: str, note: str) -> None:
    assert cli("--lang", lang, "demo", "d").exit_code == 0
    ws = tmp_path / "d"

    def palembang() -> dict[str, Any]:
        doc = json.loads(cli("--workspace", str(ws), "status", "16.71", "--format",
                             "json").stdout)
        return doc["root"]  # type: ignore[no-any-return]

    def due_items() -> set[str]:
        doc = json.loads(cli("--workspace", str(ws), "due", "16.71", "--format", "json").stdout)
        return {i["item"] for i in doc["items"] if i["region"] == "16.71"}

    before = palembang()
    assert "pengumuman-pendaftaran-paslon" in due_items()
    result = cli("--workspace", str(ws), "done", "16.71", "pengumuman-pendaftaran-paslon")
    assert result.exit_code == 0, result.output
    saved, = result.stdout.splitlines()
    word, done = ("saved", "done") if lang == "en" else ("tersimpan", "selesai")
    assert saved.startswith(f"{word} ")
    assert saved.endswith(f" 16.71 pengumuman-pendaftaran-paslon {done}")
    assert result.stderr.splitlines() == [note]
    (event,) = [e for e in _raw_events(ws) if saved.split()[1] == e.get("id")]
    assert event["at"] == "2024-08-21T12:00:00+07:00"  # noon of the frozen day, Palembang's WIB
    after = palembang()
    assert after["done"] == before["done"] + 1
    assert "pengumuman-pendaftaran-paslon" not in due_items()
    # with --at the time given is kept and nothing more is said
    again = cli("--workspace", str(ws), "record", "16.71", "pengumuman-pendaftaran-paslon",
                "--status", "in_progress", "--progress", "50", "--at", "2024-08-21T15:00")
    assert again.exit_code == 0 and again.stderr == ""
    assert [e["at"] for e in _raw_events(ws) if e.get("progress") == 50
            and e["item"] == "pengumuman-pendaftaran-paslon"] == ["2024-08-21T15:00:00+07:00"]
