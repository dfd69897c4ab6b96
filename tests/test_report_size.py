"""A report stays meeting-sized when much is late: each printed attention section lists at most
SECTION_ROWS entries (each region keeping its worst), blocked pairs fold by item when there are
more than that, a line under each cut region says how many items are left out, and the XLSX
still lists every pair. The printed page count at national scale is measured by bench/run.py
(docs/reports.md, "Size"); here a province with 38 regencies where a third of everything due is
blocked and another third overdue.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from pilkada_cli.app.loading import scope_regions
from pilkada_cli.cli import app
from pilkada_cli.domain.cycles import open_cycle
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.report.attention import SECTION_ROWS, fit, shown
from pilkada_cli.report.model import APPENDIX_ROWS
from pilkada_cli.storage.journal import Journal

AS_OF = date(2024, 8, 21)
CONFIG = """\
cycle: pilkada-2024
region: "{root}"
depth: {depth}
language: id
"""
REASONS = ("menunggu juknis KPU RI", "anggaran belum cair")


def test_fit_gives_every_group_the_same_share_of_the_budget() -> None:
    assert fit([2, 3], 10) == [2, 3]  # all fit
    assert fit([94, 90, 3, 1], 10) == [3, 3, 3, 1]  # 3 each is the most that fits
    assert fit([5, 5, 5], 10) == [4, 3, 3]  # 3 each, the one left over to the worst group
    assert fit([7] * 50, 40) == [1] * 50  # at least one each, even over the budget
    assert fit([], 40) == []


def _workspace(ws: Path, root: str, depth: str) -> dict[str, Any]:
    """``root`` to ``depth`` on the shipped cycle, one event per (region, item) due before the
    as-of date: in turn blocked (with one of two reasons), in progress (so overdue) and done,
    shifted by one from region to region. Returns the workspace, the pairs per attention kind
    and the items the open appendix would list in full."""
    (ws / "records").mkdir(parents=True)
    (ws / "pilkada.yaml").write_text(CONFIG.format(root=root, depth=depth), encoding="utf-8")
    cycle = open_cycle("pilkada-2024")
    journal = Journal(ws / "records")
    kinds: Counter[str] = Counter()
    opened = 0  # the listed regions' open items: not done, or not recorded and due soon
    for k, region in enumerate(scope_regions(load_regions(), root, depth)):
        events = []
        items = [i for i in cycle.items.values() if i.applies_to(region.level, frozenset())]
        for n, item in enumerate(x for x in items if x.due < AS_OF):
            status = ("blocked", "in_progress", "done")[(n + k) % 3]
            note = REASONS[(n + k) % 2] if status == "blocked" else ""
            events.append(Event(
                id=new_event_id(), origin="test-late", seq=SEQ_AUTO, region=region.code,
                item=item.id, status=status, progress=50 if status == "in_progress" else None,
                note=note, evidence=(), by="Rina", at=parse_at("2024-08-01T10:00:00+07:00"),
                recorded=parse_recorded("2024-08-01T03:00:00+00:00")))
            if status == "blocked":
                kinds["blocked"] += 1
            elif status == "in_progress":
                kinds["critical_overdue" if item.critical else "overdue"] += 1
        if region.depth <= 2:  # listed in the report (the province and its kab/kota)
            opened += sum(1 for x in items if AS_OF <= x.due <= AS_OF + timedelta(days=14))
            opened += sum(1 for e in events if e.status != "done")
        journal.append(events)
    return {"ws": ws, "kinds": kinds, "open": opened}


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Jawa Timur (38 kab/kota) to regency level: 39 groups in each attention section."""
    return _workspace(tmp_path_factory.mktemp("late") / "ws", "35", "kabupaten")


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Gorontalo (6 kab/kota, 77 kecamatan) to district level: the same item late or blocked
    in several districts of a regency."""
    return _workspace(tmp_path_factory.mktemp("deep") / "ws", "75", "kecamatan")


def _report(ws: Path, out: Path, lang: str, formats: str = "html") -> dict[str, Path]:
    # module fixtures run before conftest's per-test isolation: isolate this run here
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PILKADA_HOME", str(out / "home"))
        for var in ("PILKADA_WORKSPACE", "PILKADA_LANG", "PILKADA_OPERATOR", "FORCE_COLOR"):
            mp.delenv(var, raising=False)
        result = CliRunner().invoke(app, [
            "--lang", lang, "--workspace", str(ws), "report", "-f", formats, "--as-of",
            AS_OF.isoformat(), "-o", str(out / "{region_name}.{format}")],
            catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {p.suffix[1:]: p for p in out.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def late_reports(late: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, dict[str, Path]]:
    """The late workspace's report in HTML, Markdown and XLSX, in both languages."""
    return {lang: _report(late["ws"], tmp_path_factory.mktemp(lang), lang, "html,md,xlsx")
            for lang in ("id", "en")}


SECTION = re.compile(r"<h3>([^<]*) \((\d+)\)</h3>\s*<div class=\"scroll\"><table class=\"list\">"
                     r"(.*?)</table>", re.S)
MORE = {"id": re.compile(r"… (\d+) butir lagi tidak dicantumkan di sini: semuanya ada di "
                         r"laporan XLSX \(lembar “Perlu perhatian”\)"),
        "en": re.compile(r"… (\d+) more item\(s\) not listed here: the XLSX report lists "
                         r"every one \(sheet “Attention”\)")}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_attention_is_cut_to_a_meeting_and_the_xlsx_keeps_everything(
        late: dict[str, Any], late_reports: dict[str, dict[str, Path]], lang: str) -> None:
    files = late_reports[lang]
    html = files["html"].read_text(encoding="utf-8")
    kinds: Counter[str] = late["kinds"]
    assert kinds["blocked"] > 2 * SECTION_ROWS and kinds["critical_overdue"] > SECTION_ROWS
    sections = SECTION.findall(html)
    # blocked, critical overdue, overdue (due within 14 days: no regency has recorded those)
    assert [int(n) for _t, n, _b in sections[:3]] == [
        kinds["blocked"], kinds["critical_overdue"], kinds["overdue"]]
    for title, total, body in sections[:3]:
        groups = body.count('<tr class="grp">')
        entries = len(re.findall(r"<tr><td>", body))
        assert groups == 39, title  # the province's own items, and each of its 38 regencies
        assert groups <= entries <= SECTION_ROWS, title
        heads = [int(n) for n in re.findall(r"· (\d+) (?:butir|item\(s\))</th>", body)]
        assert sum(heads) == int(total), title
        assert MORE[lang].findall(body), title  # every regency's list is cut
    assert '<section class="one"><div class="mapbox"><svg' in html  # the map beside reasons
    # the XLSX lists every pair
    sheet = openpyxl.load_workbook(files["xlsx"], read_only=True).worksheets[3]
    rows = Counter(r[0] for r in sheet.iter_rows(min_row=2, values_only=True))
    titles = [t for t, _n, _b in sections]
    assert [rows[t] for t in titles[:3]] == [int(n) for _t, n, _b in sections[:3]]
    # the Markdown is cut the same way
    md = files["md"].read_text(encoding="utf-8")
    assert len(MORE[lang].findall(md)) == len(MORE[lang].findall(html))
    assert len(md.splitlines()) < 1000  # 5,000 late items; uncut, a line each


def test_blocked_items_fold_by_item_when_there_are_many(deep: dict[str, Any],
                                                        tmp_path: Path) -> None:
    files = _report(deep["ws"], tmp_path, "en", "html,text")
    html = files["html"].read_text(encoding="utf-8")
    title, total, body = SECTION.findall(html)[0]
    assert (title, int(total)) == ("Blocked", deep["kinds"]["blocked"])
    assert int(total) > SECTION_ROWS
    # the same item blocked in several districts of a regency: one line, naming them, with
    # the reasons counted and the date of the first
    folded = re.findall(r"<tr><td>(\d+) of (\d+) districts: [^<]+</td>.*?<td[^>]*>(\d+) "
                        r"blocked since [^<]+</td><td[^>]*>([^<]*)</td></tr>", body)
    assert folded
    for n, of, count, reasons in folded:
        assert n == count and int(n) < int(of)
        assert re.fullmatch(r"(menunggu juknis KPU RI|anggaran belum cair)( \(\d+×\))?"
                            r"(; (menunggu juknis KPU RI|anggaran belum cair)( \(\d+×\))?)?",
                            reasons), reasons
    assert len(re.findall(r"<tr><td>", body)) <= SECTION_ROWS
    # the chat message still names blocked places one by one, and counts the others
    chat = files["txt"].read_text(encoding="utf-8").split("\n\n")
    (blocked,) = [b for b in chat if b.startswith(f"*Blocked ({total}):*")]
    lines = blocked.splitlines()[1:]
    legend = lines[-1] == "(!) = critical item"  # closes the list when a critical item shows
    assert legend == any(" (!) — " in line for line in lines)
    lines = lines[:-1] if legend else lines
    assert lines[-1] == f"… and {int(total) - len(lines) + 1} more"
    assert all(re.fullmatch(r"• [^:]+: .+ — (menunggu juknis KPU RI|anggaran belum cair) "
                            r"\(Rina, since 1 Aug 2024\)", line) for line in lines[:-1])


def test_a_map_much_wider_than_tall_goes_above_the_reasons(tmp_path: Path) -> None:
    """The nation's map beside the table of reasons would be a strip a third of the page wide:
    it goes above the table, which then runs the page's width (one line per province)."""
    nation = _workspace(tmp_path / "ws", "ID", "provinsi")
    html = _report(nation["ws"], tmp_path, "en")["html"].read_text(encoding="utf-8")
    assert html.count('<section class="one wide"><div class="mapbox"><svg') == 1


APPENDIX = re.compile(r'<table class="items">(.*?)</table>', re.S)
MORE_ITEMS = re.compile(r"… (\d+) more item\(s\) not listed here: the XLSX report lists "
                        r"every one \(sheet “Items”\)")


def test_the_open_appendix_keeps_each_regions_most_urgent_and_counts_the_rest(
        late: dict[str, Any], late_reports: dict[str, dict[str, Path]]) -> None:
    html = late_reports["en"]["html"].read_text(encoding="utf-8")
    (body,) = APPENDIX.findall(html)
    rows = len(re.findall(r'<tr><td class="n">', body))
    more = [int(n) for n in MORE_ITEMS.findall(body)]
    assert rows <= APPENDIX_ROWS < late["open"]
    assert rows + sum(more) == late["open"]
    assert body.count('<tr class="grp">') == 39  # the province and its 38 regencies


@pytest.mark.parametrize("fixture", ["late", "deep"])
def test_what_is_left_out_adds_up_and_is_never_worse(fixture: str,
                                                     request: pytest.FixtureRequest) -> None:
    from pilkada_cli.cli import _common
    from pilkada_cli.cli.report import _build

    ws = request.getfixturevalue(fixture)["ws"]
    _common.reset_session(workspace_path=ws, lang="en")
    doc = _build(_common.get_session(), None, AS_OF.isoformat(), None, None, None, None, None)
    for sec in doc.sections:
        cut = shown(sec)
        assert sum(len(e.states) for g in cut for e in g.entries) + sum(
            g.more for g in cut) == sec.pairs
        assert sum(len(g.entries) for g in cut) <= max(SECTION_ROWS, len(sec.groups))
        for g in cut:  # each region keeps its worst: critical first, then most days late
            left = g.group.entries[len(g.entries):]
            if left:
                kept = g.entries[-1]
                assert (not kept.item.critical, -kept.days_late) <= min(
                    (not e.item.critical, -e.days_late) for e in left)
