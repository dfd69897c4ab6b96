"""The cycle model: who elects what, items serving own or hosted elections, `unless` tags,
owner aliases per province, and recurring items expanded into dated occurrences."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from conftest import RunCli, write_tree
from pilkada_cli.base.errors import ValidationError
from pilkada_cli.domain.checklist import load_cycle
from pilkada_cli.domain.readiness import AsOf, Readiness
from pilkada_cli.domain.recurrence import occurrences, period_start
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.schema import schema
from pilkada_cli.domain.workspace import Thresholds
from pilkada_cli.domain.yamlload import load_file

CYCLE = """\
    id: model
    name: Siklus Model
    voting_day: 2024-11-27
    regulation: PKPU uji
    owners: [KPU, Bawaslu, Pemda, Desk Pilkada]
    levels: [provinsi, kabupaten, kota]
    tags: [sengketa-mk, psu-mk]
    elections:
      provinsi:
        head: Gubernur
        except:
          "34": "UU 13/2012: gubernur DIY ditetapkan"
      kabupaten:
        head: Bupati
        except:
          "31.01": "UU 29/2007: kabupaten administrasi"
      kota:
        head: Wali Kota
        except:
          "31.71": "UU 29/2007: kota administrasi"
    owner_aliases:
      - region: "11"
        owners: {KPU: KIP, Bawaslu: Panwaslih}
        basis: UU 11/2006
    """
STAGE = """\
    id: s
    title: S
    start: 2024-01-01
    end: 2024-12-31
    items:
      - id: nphd-kpu
        title: NPHD dengan KPU dan Bawaslu ditandatangani (PKPU 2/2024)
        title_en: Grant agreement with KPU signed
        owner: Pemda
        serves: own
        due: 2024-03-01
      - id: tps-siap
        title: TPS siap
        owner: KPU
        levels: [provinsi, kabupaten, kota, kecamatan]
        due: 2024-11-26
      - id: ditetapkan
        title: Calon terpilih ditetapkan
        owner: KPU
        serves: own
        unless: [sengketa-mk]
      - id: ditetapkan-pasca-mk
        title: Calon terpilih ditetapkan setelah putusan MK
        owner: KPU
        serves: own
        when: [sengketa-mk]
        unless: [psu-mk]
      - id: laporan-bulanan
        title: Laporan bulanan Desk Pilkada
        title_en: Monthly Desk Pilkada report
        owner: Desk Pilkada
        every: month
        due: 2024-02-29
        until: 2024-12-31
      - id: laporan-mingguan
        title: Laporan mingguan
        owner: Desk Pilkada
        every: week
        due: 2024-11-04
        until: 2024-12-16
    """


@pytest.fixture(scope="module")
def cycle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("model"), {"cycle.yaml": CYCLE, "01-s.yaml": STAGE})


def _readiness(cycle_dir: Path, root: str, depth: int) -> Readiness:
    index = load_regions()
    top = index.get(root)
    assert top is not None
    regions = [top, *index.descendants(root, depth)]
    return Readiness(load_cycle(cycle_dir), regions, {"16.11": frozenset({"sengketa-mk"})}, [],
                     AsOf(day=date(2024, 8, 21)), Thresholds())


def test_who_elects_what(cycle_dir: Path) -> None:
    cycle = load_cycle(cycle_dir)
    assert cycle.elects("16") and cycle.elects("16.71") and cycle.elects("34.71")
    assert not cycle.elects("34") and not cycle.elects("31.71") and not cycle.elects("31.01")
    assert not cycle.elects("16.71.01")  # no level below kab/kota elects a head
    assert cycle.hosts("31.71")  # the governor's election is held there
    assert cycle.hosts("34")  # DIY's regencies and cities elect
    assert cycle.hosts("31.71.01")
    assert cycle.no_election_reason("34") == "UU 13/2012: gubernur DIY ditetapkan"
    assert cycle.no_election_reason("16") == ""


def test_only_listed_regions_elect(tmp_path: Path) -> None:
    text = CYCLE.split("    elections:")[0] + (
        '    elections:\n      kabupaten:\n        head: Bupati\n        only: ["19.01"]\n')
    stage = STAGE.replace("levels: [provinsi, kabupaten, kota, kecamatan]",
                          "levels: [kabupaten, kecamatan]")
    stage = stage.replace("        serves: own\n",
                          "        serves: own\n        levels: [kabupaten]\n")
    cycle = load_cycle(write_tree(tmp_path / "c", {"cycle.yaml": text, "01-s.yaml": stage}))
    assert cycle.elects("19.01") and not cycle.elects("19.02") and not cycle.elects("19.71")
    assert cycle.hosts("19") and cycle.hosts("19.01.01")
    assert not cycle.hosts("19.02") and not cycle.hosts("16")


def test_own_items_apply_only_where_the_region_elects(cycle_dir: Path) -> None:
    r = _readiness(cycle_dir, "31", 3)
    assert r.role("31") == "own" and r.role("31.71") == "hosted"
    own = {st.item.id for st in r.items("31")}
    city = {st.item.id for st in r.items("31.71")}
    assert "nphd-kpu" in own and "nphd-kpu" not in city
    assert "tps-siap" in city and "laporan-bulanan-2024-02" in city
    assert "tps-siap" in {st.item.id for st in r.items("31.71.01")}
    # DKI: the province and 4 of its 5 cities elect in this test cycle (31.71 does not)
    assert r.electing("31") == 1 + 4
    assert r.electing("31.71") == 0


def test_a_region_that_elects_no_head_weighs_less(cycle_dir: Path) -> None:
    r = _readiness(cycle_dir, "31", 2)
    # 31.72 elects: nphd-kpu, tps-siap, ditetapkan, 11 monthly and 7 weekly reports = 21 items
    # 31.71 hosts the governor's: the same without nphd-kpu and ditetapkan = 19
    assert r.overall("31.72").items == 1 + 1 + 1 + 11 + 7
    assert r.overall("31.71").items == 1 + 11 + 7


def test_unless_tags_rule_items_out(cycle_dir: Path) -> None:
    r = _readiness(cycle_dir, "16", 2)
    assert "ditetapkan" not in {st.item.id for st in r.items("16.11")}
    assert "ditetapkan-pasca-mk" in {st.item.id for st in r.items("16.11")}
    assert "ditetapkan" in {st.item.id for st in r.items("16.10")}


def test_owner_alias_renames_owner_and_titles_in_aceh_only(cycle_dir: Path) -> None:
    r = _readiness(cycle_dir, "11", 2)
    aceh = {st.item.id: st.item for st in r.items("11.71")}
    assert aceh["tps-siap"].owner == "KIP"
    assert aceh["nphd-kpu"].owner == "Pemda"
    assert aceh["nphd-kpu"].title == "NPHD dengan KIP dan Panwaslih ditandatangani (PKPU 2/2024)"
    assert aceh["nphd-kpu"].title_en == "Grant agreement with KIP signed"
    sumsel = _readiness(cycle_dir, "16", 1)
    assert {st.item.owner for st in sumsel.items("16")} >= {"KPU"}


def test_monthly_occurrences_keep_the_month_end() -> None:
    days = occurrences(date(2024, 2, 29), date(2024, 12, 31), "month")
    assert days == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
                    date(2024, 6, 30), date(2024, 7, 31), date(2024, 8, 31), date(2024, 9, 30),
                    date(2024, 10, 31), date(2024, 11, 30), date(2024, 12, 31)]
    assert occurrences(date(2024, 1, 30), date(2024, 3, 30), "month") == [
        date(2024, 1, 30), date(2024, 2, 29), date(2024, 3, 30)]
    assert occurrences(date(2024, 11, 4), date(2024, 11, 24), "week") == [
        date(2024, 11, 4), date(2024, 11, 11), date(2024, 11, 18)]


def test_an_occurrence_reports_on_the_month_it_names_or_the_week_up_to_its_day() -> None:
    assert period_start(date(2024, 9, 30), "month") == date(2024, 9, 1)
    assert period_start(date(2024, 2, 29), "month") == date(2024, 2, 1)
    assert period_start(date(2024, 11, 4), "week") == date(2024, 10, 29)


def test_recurring_items_expand_into_items_of_their_own(cycle_dir: Path) -> None:
    items = load_cycle(cycle_dir).items
    monthly = [i for i in items.values() if i.series == "laporan-bulanan"]
    assert [i.id for i in monthly][:2] == ["laporan-bulanan-2024-02", "laporan-bulanan-2024-03"]
    assert len(monthly) == 11
    feb = items["laporan-bulanan-2024-02"]
    assert (feb.due, feb.every) == (date(2024, 2, 29), "month")
    assert feb.title == "Laporan bulanan Desk Pilkada — Februari 2024"
    assert feb.title_en == "Monthly Desk Pilkada report — February 2024"
    weekly = [i.id for i in items.values() if i.series == "laporan-mingguan"]
    assert weekly == [f"laporan-mingguan-2024-{d}" for d in (
        "11-04", "11-11", "11-18", "11-25", "12-02", "12-09", "12-16")]
    assert "laporan-bulanan" not in items


BAD = {
    "until-without-every": ("      - id: a\n        title: T\n        owner: KPU\n"
                            "        until: 2024-05-01\n", 4,
                            "'until' is only for a recurring item"),
    "every-without-until": ("      - id: a\n        title: T\n        owner: KPU\n"
                            "        every: month\n        due: 2024-02-01\n", 1,
                            "a recurring item needs 'due'"),
    "every-unknown": ("      - id: a\n        title: T\n        owner: KPU\n"
                      "        every: day\n        due: 2024-02-01\n        until: 2024-03-01\n",
                      4, "unknown recurrence 'day'"),
    "until-before-due": ("      - id: a\n        title: T\n        owner: KPU\n"
                         "        every: week\n        due: 2024-02-01\n"
                         "        until: 2024-01-01\n", 6, "'until' (2024-01-01) is before"),
    "id-too-long": ("      - id: " + "x" * 45 + "\n        title: T\n        owner: KPU\n"
                    "        every: week\n        due: 2024-02-01\n        until: 2024-02-08\n",
                    1, "are longer than 48 characters"),
    "own-at-kecamatan": ("      - id: a\n        title: T\n        owner: KPU\n"
                         "        serves: own\n        levels: [kabupaten, kecamatan]\n", 4,
                         "no kecamatan elects a head"),
    "unknown-serves": ("      - id: a\n        title: T\n        owner: KPU\n"
                       "        serves: all\n", 4, "unknown election served 'all'"),
    "when-and-unless": ("      - id: a\n        title: T\n        owner: KPU\n"
                        "        when: [psu-mk]\n        unless: [psu-mk]\n", 5,
                        "tag 'psu-mk' is both in 'when' and 'unless'"),
    "requires-series": ("      - id: a\n        title: T\n        owner: KPU\n"
                        "        requires: [laporan]\n"
                        "      - id: laporan\n        title: T\n        owner: KPU\n"
                        "        every: week\n        due: 2024-02-01\n"
                        "        until: 2024-02-08\n", 1,
                        "a recurring item; name one of its occurrences, like "
                        "'laporan-2024-02-08'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_recurrence_or_election_keys_name_file_and_line(case: str, tmp_path: Path,
                                                           cli: RunCli) -> None:
    text, offset, message = BAD[case]
    stage = "id: s\ntitle: S\nstart: 2024-01-01\nend: 2024-12-31\nitems:\n" + "\n".join(
        line[4:] for line in text.splitlines()) + "\n"
    root = write_tree(tmp_path / case, {"cycle.yaml": CYCLE})
    (root / "01-s.yaml").write_text(stage, encoding="utf-8")
    result = cli("validate", str(root))
    assert result.exit_code == 2, result.output
    assert f"{root / '01-s.yaml'}:{5 + offset}: " in result.stderr, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(("snippet", "message"), [
    ('      provinsi:\n        head: G\n        only: ["16.71"]\n',
     "16.71 is a kota, not a provinsi"),
    ('      kota:\n        head: W\n        only: ["16.71"]\n        except:\n'
     '          "16.72": x\n', "give either 'only' or 'except', not both"),
    ("      kecamatan:\n        head: Camat\n", "unknown key 'kecamatan'"),
])
def test_bad_elections_are_reported(snippet: str, message: str, tmp_path: Path) -> None:
    text = CYCLE.split("    elections:")[0] + "    elections:\n" + snippet
    root = write_tree(tmp_path / "c", {"cycle.yaml": text, "01-s.yaml": STAGE.replace(
        "serves: own", "serves: hosted")})
    with pytest.raises(ValidationError) as err:
        load_cycle(root)
    assert message in str(err.value)


def test_alias_owner_must_be_a_cycle_owner(tmp_path: Path) -> None:
    text = CYCLE.replace("{KPU: KIP, Bawaslu: Panwaslih}", "{Polri: Polda}")
    root = write_tree(tmp_path / "c", {"cycle.yaml": text, "01-s.yaml": STAGE})
    with pytest.raises(ValidationError) as err:
        load_cycle(root)
    assert "cycle.yaml:23: unknown owner 'Polri'" in str(err.value)


def test_schema_accepts_the_new_keys_and_rejects_their_misuse(cycle_dir: Path) -> None:
    jsonschema.validate(load_file(cycle_dir / "cycle.yaml").data, schema("cycle"))
    jsonschema.validate(load_file(cycle_dir / "01-s.yaml").data, schema("stage"))
    item = {"id": "a", "title": "T", "owner": "KPU", "every": "month", "due": "2024-01-31"}
    stage = {"id": "s", "title": "S", "start": "2024-01-01", "end": "2024-02-01"}
    with pytest.raises(jsonschema.ValidationError):  # no 'until'
        jsonschema.validate({**stage, "items": [item]}, schema("stage"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**stage, "items": [{**item, "every": "day", "until": "H"}]},
                            schema("stage"))
    both = load_file(cycle_dir / "cycle.yaml").data
    both["elections"]["kota"]["only"] = ["16.71"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(both, schema("cycle"))


def test_recording_an_own_item_where_no_head_is_elected_is_refused(
        cycle_dir: Path, tmp_path: Path, cli: RunCli) -> None:
    assert cli("init", "ws", "--region", "31", "--depth", "kabupaten", "--cycle",
               str(cycle_dir), "--language", "en").exit_code == 0
    ws = str(tmp_path / "ws")
    refused = cli("--workspace", ws, "done", "31.71", "nphd-kpu")
    assert refused.exit_code == 2
    assert "serves a region's own election; Kota Administrasi Jakarta Pusat elects no head" in \
        refused.stderr
    assert cli("--workspace", ws, "done", "31.71", "tps-siap").exit_code == 0
    assert cli("--workspace", ws, "done", "31.72", "nphd-kpu").exit_code == 0
    data = json.loads(cli("--workspace", ws, "status", "--format", "json").stdout)
    rows = {row["code"]: row for row in data["regions"]}
    assert (rows["31.71"]["elects"], rows["31.71"]["electing_regions"]) == (False, 0)
    assert (rows["31.72"]["elects"], rows["31.72"]["electing_regions"]) == (True, 1)
    assert data["root"]["electing_regions"] == 5


def test_due_and_items_accept_the_local_owner_name(cycle_dir: Path, tmp_path: Path,
                                                   cli: RunCli) -> None:
    assert cli("init", "aceh", "--region", "11", "--depth", "kabupaten", "--cycle",
               str(cycle_dir), "--language", "en").exit_code == 0
    ws = str(tmp_path / "aceh")
    # A region that has recorded nothing is NO REPORT and left out of `due`: the province
    # reports one thing, so its open items are listed.
    assert cli("--workspace", ws, "done", "11", "nphd-kpu", "--at",
               "2024-02-01T10:00").exit_code == 0
    due = cli("--workspace", ws, "due", "--owner", "KIP", "--as-of", "2024-11-20",
              "--format", "json")
    assert due.exit_code == 0, due.output
    entries = json.loads(due.stdout)
    entries = entries["items"] if isinstance(entries, dict) else entries
    assert entries and {e["owner"] for e in entries} == {"KIP"}
    items = cli("--workspace", ws, "items", "--owner", "kip")
    assert items.exit_code == 0 and "KIP" in items.stdout and "KPU" not in items.stdout
