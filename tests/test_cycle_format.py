"""Issue 25's format: per-region variants, window items, fiscal-year dates, own_tags, the
listing commands' formats and ``--stage`` by number or short name, and ``pilkada cycle new``.
Every bad input is exit 2 with file:line and nothing written."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import textwrap
from datetime import date
from pathlib import Path

import pytest

from conftest import MINI_CYCLE, RunCli, write_tree
from pilkada_cli.base.errors import ValidationError
from pilkada_cli.domain.checklist import load_cycle

# A cycle of two stages whose items have variants: a date per cluster (by code), a name in one
# province (narrowed to a level), a date by tag; a window item; a grant of the voting year.
CYCLE = {
    "cycle.yaml": """\
        id: var
        name: Siklus varian
        voting_day: 2024-11-27
        regulation: PKPU uji
        owners: [KPU, Pemda, Bawaslu, BPKAD]
        tags: [psu-mk, calon-tunggal]
        """,
    "01-persiapan.yaml": """\
        id: persiapan
        title: Persiapan
        short: Persiapan
        short_en: Preparation
        start: 2024-01-01
        end: 2024-06-30
        variants:
          - regions: ["11"]
            start: 2024-03-01
            title: Persiapan Aceh
        items:
          - id: hibah-tahap-2
            title: Hibah tahap II disalurkan
            owner: BPKAD
            due: H-150
            fiscal_year: Y
          - id: pasal-71
            title: Tidak ada penggantian pejabat
            owner: Pemda
            from: 2024-03-22
            due: 2025-02-20
          - id: panwascam
            title: Panwaslu Kecamatan terbentuk
            owner: Bawaslu
            due: 2024-05-27
            levels: [kabupaten, kota, kecamatan]
            variants:
              - regions: ["11"]
                due: 2024-08-12
                title: Panwaslih Kecamatan ditetapkan
        """,
    "02-psu.yaml": """\
        id: psu
        title: Pemungutan suara ulang
        short: PSU
        short_en: Re-vote
        start: 2025-02-24
        end: 2025-08-06
        items:
          - id: psu-dilaksanakan
            title: PSU dilaksanakan
            owner: KPU
            due: 2025-04-19
            when: [psu-mk]
            variants:
              - regions: ["14.08", "35.20"]
                due: 2025-03-22
              - regions: ["91"]
                levels: [provinsi]
                due: 2025-08-06
                owner: Pemda
              - tags: [calon-tunggal]
                due: 2025-05-24
        """,
}


@pytest.fixture
def var_cycle(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "var", CYCLE)


def _key(cycle, code: str, level: str, *tags: str):  # type: ignore[no-untyped-def]
    return cycle.variant_key(code, level, frozenset(tags))


def test_variants_give_each_region_its_dates_and_names(var_cycle: Path) -> None:
    cycle = load_cycle(var_cycle)
    psu, panwascam = cycle.items["psu-dilaksanakan"], cycle.items["panwascam"]
    # by code: the region and every region under it
    assert cycle.item_for(psu, _key(cycle, "14.08", "kabupaten", "psu-mk")).due == \
        date(2025, 3, 22)
    assert cycle.item_for(psu, _key(cycle, "14.08.01", "kecamatan", "psu-mk")).due == \
        date(2025, 3, 22)
    assert cycle.item_for(psu, _key(cycle, "16.11", "kabupaten", "psu-mk")).due == \
        date(2025, 4, 19)
    # narrowed to a level: the province's own, not its regencies'
    papua = cycle.localise(psu, "91", _key(cycle, "91", "provinsi", "psu-mk"))
    assert (papua.due, papua.owner) == (date(2025, 8, 6), "Pemda")
    assert cycle.item_for(psu, _key(cycle, "91.01", "kabupaten", "psu-mk")).due == \
        date(2025, 4, 19)
    # by tag, where no code variant applies; a code variant wins over a tag variant
    assert cycle.item_for(psu, _key(cycle, "16.10", "kabupaten", "calon-tunggal")).due == \
        date(2025, 5, 24)
    assert cycle.item_for(psu, _key(cycle, "35.20", "kabupaten", "calon-tunggal")).due == \
        date(2025, 3, 22)
    # names and a stage window
    aceh = cycle.item_for(panwascam, _key(cycle, "11.08.01", "kecamatan"))
    assert (aceh.due, aceh.title) == (date(2024, 8, 12), "Panwaslih Kecamatan ditetapkan")
    stage = cycle.stage_for(cycle.stages[0], _key(cycle, "11", "provinsi"))
    assert (stage.start, stage.title) == (date(2024, 3, 1), "Persiapan Aceh")
    # a cycle without variants: nothing to look up
    assert load_cycle(write_tree(var_cycle.parent / "mini", MINI_CYCLE)).variant_key(
        "11", "provinsi", frozenset()) == ()


def _bad(tmp_path: Path, name: str, text: str) -> list[str]:
    folder = write_tree(tmp_path / name, {**CYCLE, "02-psu.yaml": text})
    with pytest.raises(ValidationError) as e:
        load_cycle(folder)
    return [f"{Path(p.path).name}:{p.line}: {p.message}" for p in e.value.problems]


PSU = textwrap.dedent(CYCLE["02-psu.yaml"])


@pytest.mark.parametrize(("case", "old", "new", "expected"), [
    ("unknown code", '["14.08", "35.20"]', '["14.08", "99.99"]',
     "02-psu.yaml:14: unknown region code '99.99'"),
    ("not a code", '["14.08", "35.20"]', '["Siak"]',
     "02-psu.yaml:14: 'Siak' is not a region code"),
    ("unknown tag", "tags: [calon-tunggal]", "tags: [kolom-kosong]",
     "02-psu.yaml:20: tag 'kolom-kosong' is not listed under 'tags' in cycle.yaml"),
    ("overlap by code", '["91"]', '["35.20"]',
     "02-psu.yaml:16: this variant overlaps the one at line 14: both apply to 35.20"),
    ("both selectors", "      - tags: [calon-tunggal]", "      - tags: [calon-tunggal]\n"
     "        regions: [\"16\"]", "02-psu.yaml:20: a variant names its regions either by"),
    ("changes nothing", "        due: 2025-05-24\n", "",
     "02-psu.yaml:20: the variant changes nothing"),
    ("window backwards", "        due: 2025-05-24\n", "        due: 2025-05-24\n"
     "        from: 2025-06-01\n",
     "02-psu.yaml:20: the variant's window ends (2025-05-24) before it starts (2025-06-01)"),
    ("unknown owner", "owner: Pemda", "owner: Gubernur",
     "02-psu.yaml:19: unknown owner 'Gubernur'"),
    ("level not the item's", "levels: [provinsi]", "levels: [desa]",
     "02-psu.yaml:17: level 'desa' is not one of the item's levels"),
    ("item window backwards", "due: 2025-04-19", "due: 2025-04-19\n    from: 2025-05-01",
     "02-psu.yaml:12: the window ends (2025-04-19) before it starts (2025-05-01)"),
])
def test_bad_variants_name_file_and_line(tmp_path: Path, case: str, old: str, new: str,
                                         expected: str) -> None:
    assert old in PSU, case
    problems = _bad(tmp_path, case.replace(" ", "-"), PSU.replace(old, new, 1))
    assert any(p.startswith(expected) for p in problems), problems


def test_overlap_needs_a_level_in_common(tmp_path: Path) -> None:
    """The same code twice at disjoint levels is two variants, not an overlap (Aceh's governor
    and its regents)."""
    text = PSU.replace('''      - regions: ["91"]
        levels: [provinsi]''', '''      - regions: ["91"]
        levels: [provinsi]
        title: Gubernur
      - regions: ["91"]
        levels: [kabupaten, kota]''')
    cycle = load_cycle(write_tree(tmp_path / "ok", {**CYCLE, "02-psu.yaml": text}))
    psu = cycle.items["psu-dilaksanakan"]
    assert cycle.item_for(psu, _key(cycle, "91", "provinsi")).title == "Gubernur"
    regency = cycle.item_for(psu, _key(cycle, "91.01", "kabupaten"))
    assert (regency.title, regency.due) == ("PSU dilaksanakan", date(2025, 8, 6))


def test_a_variant_outside_the_cycle_s_elections(tmp_path: Path) -> None:
    head = textwrap.dedent(CYCLE["cycle.yaml"]) + textwrap.dedent("""\
        elections:
          kabupaten: {head: Bupati, only: ["19.01"]}
          kota: {head: Wali Kota, only: ["19.71"]}
        """)
    folder = write_tree(tmp_path / "only", {**CYCLE, "cycle.yaml": head})
    with pytest.raises(ValidationError) as e:
        load_cycle(folder)
    assert any("14.08 Kabupaten Siak is outside this cycle: no election of it is held there"
               in p.message for p in e.value.problems)


def test_fiscal_year_and_fiscal_dates(tmp_path: Path, var_cycle: Path) -> None:
    cycle = load_cycle(var_cycle)
    assert cycle.items["hibah-tahap-2"].due == date(2024, 6, 30)
    text = CYCLE["01-persiapan.yaml"]
    # a grant of the voting year's budget due in the year before: refused at its line
    moved = text.replace("due: H-150\n", "due: Y-1:12-20\n")
    with pytest.raises(ValidationError) as e:
        load_cycle(write_tree(tmp_path / "fy", {**CYCLE, "01-persiapan.yaml": moved}))
    assert [(p.line, p.message) for p in e.value.problems] == [(15, (
        "2023-12-20 is before fiscal year 2024, whose budget this item spends (fiscal_year: Y)"))]
    bad = text.replace("fiscal_year: Y\n", "fiscal_year: 2024\n").replace(
        "due: H-150", "due: Y-1:13-01")
    with pytest.raises(ValidationError) as e:
        load_cycle(write_tree(tmp_path / "fy2", {**CYCLE, "01-persiapan.yaml": bad}))
    messages = sorted(p.message for p in e.value.problems)
    assert messages[0].startswith("'2024' is not a year counted from voting day's")
    assert messages[1].startswith("'Y-1:13-01' is not a date")


def test_recurring_items_take_no_window_nor_variants(tmp_path: Path) -> None:
    text = textwrap.dedent(CYCLE["01-persiapan.yaml"]) + textwrap.indent(textwrap.dedent("""\
        - id: laporan
          title: Laporan
          owner: Pemda
          every: month
          due: 2024-01-31
          until: 2024-03-31
          from: 2024-01-01
        """), "  ")
    with pytest.raises(ValidationError) as e:
        load_cycle(write_tree(tmp_path / "rec", {**CYCLE, "01-persiapan.yaml": text}))
    assert [p.message for p in e.value.problems] == [
        "a recurring item cannot have 'from'"]


@pytest.fixture
def var_ws(tmp_path: Path, cli: RunCli, var_cycle: Path) -> Path:
    """A national workspace to kabupaten on the variant cycle: Siak re-voted, Papua province
    on its own (own_tags), Ogan Ilir a single candidate that re-voted too (its date by tag);
    each recorded something."""
    assert cli("init", "ws", "--region", "ID", "--depth", "kabupaten", "--cycle",
               str(var_cycle), "--language", "en").exit_code == 0
    ws = tmp_path / "ws"
    config = ws / "pilkada.yaml"
    text = config.read_text(encoding="utf-8")  # the tags init wrote (of 2024) replaced by ours
    config.write_text(text[:text.index("\ntags:") + 1] + textwrap.dedent("""\
        tags:
          "14.08": [psu-mk]
          "16.10": [calon-tunggal, psu-mk]
        own_tags:
          "91": [psu-mk]
        """), encoding="utf-8")
    for code in ("14.08", "16.10", "91", "16.71"):
        assert cli("--workspace", str(ws), "record", code, "pasal-71", "--status", "in_progress",
                   "--progress", "10", "--at", "2024-04-01T10:00").exit_code == 0
    return ws


def _due_of(data: dict, region: str, item: str) -> str:  # type: ignore[type-arg]
    return next(i["due"] for i in data["items"] if i["region"] == region and i["item"] == item)


def test_every_view_shows_the_region_s_date(var_ws: Path, tmp_path: Path, cli: RunCli) -> None:
    ws = ["--workspace", str(var_ws)]
    as_of = ["--as-of", "2025-04-01"]
    # status REGION (json, csv)
    for code, day in (("14.08", "2025-03-22"), ("16.10", "2025-05-24"), ("91", "2025-08-06")):
        data = json.loads(cli(*ws, "status", code, *as_of, "--format", "json").stdout)
        assert _due_of(data, code, "psu-dilaksanakan") == day, code
    rows = list(csv.DictReader(io.StringIO(cli(*ws, "status", "14.08", *as_of, "--format",
                                               "csv").stdout)))
    assert {r["due"] for r in rows if r["item"] == "psu-dilaksanakan"} == {"2025-03-22"}
    # Papua's regencies do not inherit a province's own tag
    regency = json.loads(cli(*ws, "items", "91.03", "--format", "json").stdout)
    assert regency["region"]["tags"] == []
    assert "psu-dilaksanakan" not in {i["id"] for i in regency["items"]}
    # due: Siak's re-vote is late on 1 Apr, Ogan Ilir's not yet due; every format
    due = json.loads(cli(*ws, "due", *as_of, "--within", "60", "--format", "json").stdout)
    assert _due_of(due, "14.08", "psu-dilaksanakan") == "2025-03-22"
    assert _due_of(due, "16.10", "psu-dilaksanakan") == "2025-05-24"
    siak = next(i for i in due["items"] if i["region"] == "14.08" and
                i["item"] == "psu-dilaksanakan")
    assert siak["overdue"] and siak["days_late"] == 10
    plain = cli(*ws, "due", *as_of, "--within", "60", "--format", "plain").stdout
    line = next(x for x in plain.splitlines() if x.startswith("14.08") and "psu-dil" in x)
    assert "22 Mar 2025" in line and "10 days late" in line
    csv_due = cli(*ws, "due", *as_of, "--within", "60", "--format", "csv").stdout
    assert "16.10,psu-dilaksanakan,2025-05-24," in csv_due
    # report: csv and json carry the region's date
    out = tmp_path / "r.{format}"
    assert cli(*ws, "report", *as_of, "--depth", "kabupaten", "-f", "csv,json", "-o",
               str(out), "--appendix", "all").exit_code == 0
    report_csv = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "14.08" in report_csv and "2025-03-22" in report_csv
    # sheet: the fill-in workbook's due column
    from openpyxl import load_workbook

    book = tmp_path / "s-{region}.xlsx"
    assert cli(*ws, "sheet", "14.08", "--stage", "2", "-o", str(book)).exit_code == 0
    sheet = load_workbook(next(tmp_path.glob("s-*.xlsx"))).active
    assert sheet is not None
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert any(getattr(v, "date", lambda: None)() == date(2025, 3, 22) for v in values)


def test_a_window_item_is_under_way_from_its_start(var_ws: Path, cli: RunCli) -> None:
    ws = ["--workspace", str(var_ws)]
    # 1 Apr 2024: Pasal 71 runs from 22 Mar 2024 to 20 Feb 2025; due lists it as under way
    due = json.loads(cli(*ws, "due", "--as-of", "2024-04-01", "--format", "json").stdout)
    entry = next(i for i in due["items"] if i["region"] == "16.71" and i["item"] == "pasal-71")
    assert (entry["from"], entry["due"], entry["under_way"], entry["due_soon"]) == (
        "2024-03-22", "2025-02-20", True, False)
    table = cli(*ws, "due", "--as-of", "2024-04-01", "--format", "plain").stdout
    assert "under way" in next(x for x in table.splitlines() if x.startswith("16.71"))
    assert " · 0 due within 14 days · " in table or "0 due within 14 days" in table
    status = cli(*ws, "status", "16.71", "--as-of", "2024-04-01", "--format", "plain",
                 "--all").stdout
    row = next(x for x in status.splitlines() if x.startswith("pasal-71"))
    assert "22 Mar 2024–20 Feb 2025 · under way" in row
    # a stage that has not started is not "not started" while a window of it is under way
    from pilkada_cli.domain.readiness import AsOf, Readiness
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import Thresholds

    cycle = load_cycle(Path(str(var_ws.parent / "var")))
    region = load_regions().get("16.71")
    assert region is not None
    for start, upcoming in (("2024-12-01", False), (None, True)):
        item = cycle.items["psu-dilaksanakan"]
        moved = dataclasses.replace(item, when=frozenset(), start=date.fromisoformat(start)
                                    if start else None)
        stage = dataclasses.replace(cycle.stages[1], items=(moved,))
        r = Readiness(dataclasses.replace(cycle, stages=(cycle.stages[0], stage)), [region], {},
                      [], AsOf(day=date(2025, 1, 10)), Thresholds())
        assert r.is_upcoming("16.71", 1) is upcoming, start
    # before its start it is neither listed nor under way
    before = json.loads(cli(*ws, "due", "--as-of", "2024-03-01", "--format", "json").stdout)
    assert not [i for i in before["items"] if i["item"] == "pasal-71"]


def test_listings_take_formats(var_ws: Path, cli: RunCli) -> None:
    ws = ["--workspace", str(var_ws)]
    items = json.loads(cli(*ws, "items", "14.08", "--format", "json").stdout)
    assert items["schema"] == "pilkada.items/1"
    assert items["region"] == {"code": "14.08", "name": "Kabupaten Siak", "level": "kabupaten",
                               "tags": ["psu-mk"], "elects": True}
    psu = next(i for i in items["items"] if i["id"] == "psu-dilaksanakan")
    assert psu["due"] == "2025-03-22" and psu["variant"]["where"] == "14.08, 35.20"
    assert psu["variants"] == ["14.08, 35.20", "91", "#calon-tunggal"]
    rows = list(csv.DictReader(io.StringIO(cli(*ws, "items", "14.08", "--format",
                                               "csv").stdout)))
    assert {r["id"]: r["due"] for r in rows}["psu-dilaksanakan"] == "2025-03-22"
    plain = cli(*ws, "items", "14.08", "--format", "plain").stdout
    assert plain.splitlines()[0] == "Items for 14.08 Kabupaten Siak, with its dates"
    stages = json.loads(cli(*ws, "stages", "11", "--format", "json").stdout)
    assert stages["schema"] == "pilkada.stages/1"
    assert stages["stages"][0]["start"] == "2024-03-01" and stages["stages"][0]["variant"] == "11"
    assert cli(*ws, "stages", "--format", "csv").stdout.splitlines()[:2] == [
        "n,id,title,title_en,short,short_en,phase,start,end,items",
        "1,persiapan,Persiapan,,Persiapan,Preparation,,2024-01-01,2024-06-30,3"]
    regions = json.loads(cli(*ws, "regions", "91", "--format", "json").stdout)
    assert regions["schema"] == "pilkada.regions/1" and regions["regions"][0]["code"] == "91"
    assert cli(*ws, "regions", "91", "--format", "csv").stdout.splitlines()[0] == \
        "code,name,level,timezone,elects"


def test_a_stage_by_number_id_or_short_name(var_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    ws = ["--workspace", str(var_ws)]
    by = {args: json.loads(cli(*ws, "items", "--stage", args, "--format", "json").stdout)
          for args in ("2", "psu", "PSU", "re-vote")}
    assert all([i["id"] for i in v["items"]] == ["psu-dilaksanakan"] for v in by.values())
    status = json.loads(cli(*ws, "status", "--stage", "Re-vote", "--as-of", "2025-04-01",
                            "--format", "json").stdout)
    assert status["stage"] == "psu"
    due = json.loads(cli(*ws, "due", "--stage", "2", "--as-of", "2025-04-01", "--within", "60",
                         "--format", "json").stdout)
    assert {i["item"] for i in due["items"]} == {"psu-dilaksanakan"}
    plain = cli(*ws, "due", "--stage", "2", "--as-of", "2025-04-01", "--format", "plain").stdout
    assert "pasal-71" not in plain and "psu-dilaksanakan" in plain
    assert cli(*ws, "map", "--stage", "1", "--as-of", "2025-04-01", "-o",
               str(tmp_path / "m.svg")).exit_code == 0
    bad = cli(*ws, "items", "--stage", "3")
    assert bad.exit_code == 2
    assert "unknown stage '3'; give its number (1-2), id or short name: persiapan, psu" in \
        bad.stderr


def test_cycle_new_rebases_every_date(tmp_path: Path, cli: RunCli) -> None:
    src = write_tree(tmp_path / "src", {**CYCLE, "02-psu.yaml": PSU.replace(
        "due: 2025-04-19", "due: 2025-04-19  # 19 Apr 2025")})
    made = cli("cycle", "new", "next", "--from", str(src), "--voting-day", "2031-11-26",
               "--name", "Siklus 2031")
    assert made.exit_code == 0, made.output
    assert "Created cycle next in next: 2 stages, 4 items, voting day 2031-11-26" in made.stderr
    cycle = load_cycle(tmp_path / "next")
    assert (cycle.id, cycle.name, cycle.voting_day) == ("next", "Siklus 2031", date(2031, 11, 26))
    items = cycle.items
    assert items["pasal-71"].start == date(2031, 3, 21)  # H-251 as in 2024
    assert items["pasal-71"].due_spec == "H+85"
    assert items["hibah-tahap-2"].due_spec == "H-150"  # already relative: as written
    assert cycle.stages[0].start == date(2030, 12, 30)  # stage bounds too
    text = (tmp_path / "next" / "02-psu.yaml").read_text(encoding="utf-8")
    assert "    due: H+143\n" in text and "19 Apr 2025" not in text  # its comment dropped
    assert "        due: H+115\n" in text  # a variant's date
    assert all(d.kind != "absolute" for d in cycle.dates)
    # a folder that is not empty, a bad date, a bad id: exit 2, nothing written
    again = cli("cycle", "new", "next", "--from", str(src), "--voting-day", "2031-11-26")
    assert again.exit_code == 2 and "is not an empty folder" in again.stderr
    assert cli("cycle", "new", "x1", "--from", str(src), "--voting-day", "26-11-2031"
               ).exit_code == 2
    assert cli("cycle", "new", "Bad Name", "--from", str(src), "--voting-day", "2031-11-26"
               ).exit_code == 2
    assert not (tmp_path / "x1").exists() and not (tmp_path / "Bad Name").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_cycle_list_names_the_shipped_cycles(cli: RunCli) -> None:
    data = json.loads(cli("cycle", "list", "--format", "json").stdout)
    by_id = {c["id"]: c for c in data["cycles"]}
    assert set(by_id) == {"pilkada-2024", "pilkada-template", "pilkada-ulang-2025", "psu",
                          "wakil-kosong"}
    assert by_id["pilkada-template"]["draft"] is True
    assert "DRAFT" in cli("cycle", "list").stdout
    bad = cli("init", "w", "--cycle", "nope")
    assert bad.exit_code == 2 and "psu" in bad.stderr and "wakil-kosong" in bad.stderr


def test_an_office_can_start_on_a_cycle_years_ahead(tmp_path: Path, cli: RunCli) -> None:
    """A template re-based on 2031 is usable today: recording now (or today, typed) is never
    taken for a typo; a typed date more than a year ago still is. Its names say the new voting
    day in each language, and no item id of the template carries a year."""
    from datetime import datetime, timedelta

    assert cli("cycle", "new", "c2031", "--from", "pilkada-template", "--voting-day",
               "2031-11-26").exit_code == 0
    made = load_cycle(tmp_path / "c2031")
    assert made.name.endswith("(pemungutan suara 26 November 2031)")
    assert made.name_en.endswith("(voting day 26 November 2031)")
    assert not [i for i in made.items if any(ch.isdigit() for ch in i.split("-")[-1])
                and len(i.split("-")[-1]) == 4]
    assert cli("init", "ws", "--region", "16", "--cycle", str(tmp_path / "c2031"), "--language",
               "en").exit_code == 0
    item = "hibah-dianggarkan-apbd-tahun-sebelumnya"
    ws = str(tmp_path / "ws")
    now = cli("-w", ws, "record", "16.10", item, "--status", "in_progress", "--progress", "10")
    assert now.exit_code == 0, now.output
    today = datetime.now().date()
    typed = cli("-w", ws, "record", "16.10", item, "--status", "in_progress", "--progress", "20",
                "--at", (today - timedelta(days=1)).isoformat())
    assert typed.exit_code == 0, typed.output
    old = (today - timedelta(days=400)).isoformat()
    refused = cli("-w", ws, "done", "16.10", item, "--at", old)
    assert refused.exit_code == 2
    assert f"the date {old} is more than a year ago: a typo?" in refused.output
