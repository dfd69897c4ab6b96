"""Unit tests, without the CLI, of two refusals' wording in recording.py: why an item does not
apply to a region (``Recorder._not_applicable``, through ``Recorder.build``) and which ids an
unknown one may have meant (``suggest``)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from textwrap import dedent

import pytest

from conftest import MINI_CYCLE, write_tree
from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import set_language
from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.readiness import role_of
from pilkada_cli.domain.recording import Change, Recorder, suggest
from pilkada_cli.domain.regions import Region, load_regions

NOW = datetime(2024, 3, 1, 5, 0, tzinfo=timezone.utc)

# The mini cycle with two more tags, and elections as in Pilkada 2024's Jakarta but smaller: the
# only governor elected is Jakarta's (31), and every city but Jakarta Pusat (31.71) elects a
# mayor. That gives each role of ``role_of`` a region: Kota Palembang (16.71) elects ("own");
# Jakarta Pusat votes only for the governor and Sumatera Selatan (16) only hosts its cities'
# elections ("hosted"); Kabupaten Ogan Ilir (16.10) and its districts have no election at all
# (""), since no regency elects and neither does their province.
ELECTING_CYCLE = {
    **MINI_CYCLE,
    # Dedented first, so that the elections block appended lines up with the mini cycle's keys.
    "cycle.yaml": dedent(MINI_CYCLE["cycle.yaml"]).replace(
        "tags: [calon-tunggal]\n", "tags: [calon-tunggal, psu-mk, sengketa-mk]\n") + dedent("""\
        elections:
          provinsi:
            head: Gubernur dan Wakil Gubernur
            only: ["31"]
          kota:
            head: Wali Kota dan Wakil Wali Kota
            except:
              "31.71": kota administrasi, tanpa pemilihan wali kota
        """),
    "03-penetapan.yaml": """\
        id: penetapan
        title: Penetapan dan pelantikan
        start: H+1
        end: H+30
        items:
          - id: pelantikan
            title: Pelantikan kepala daerah
            owner: Pemda
            levels: [provinsi, kota]
            serves: own
          - id: rekap-ulang
            title: Rekapitulasi ulang
            owner: KPU
            unless: [calon-tunggal, psu-mk]
          - id: rekap-kabupaten
            title: Rekapitulasi kabupaten
            owner: KPU
            levels: [kabupaten]
            unless: [psu-mk]
          - id: sengketa
            title: Sengketa kolom kosong
            owner: KPU
            levels: [kabupaten, kota]
            when: [calon-tunggal, sengketa-mk]
        """,
}

# Tags are passed down: Kota Palembang has both, Kabupaten Ogan Ilir only psu-mk, and Jakarta
# none, so the messages' tag lists show which of an item's tags the region has (or lacks).
TAGS = {"16": frozenset({"psu-mk"}), "16.71": frozenset({"calon-tunggal"})}

PUSAT = "Kota Administrasi Jakarta Pusat"


def region(code: str) -> Region:
    found = load_regions().get(code)
    assert found is not None
    return found


@pytest.fixture
def cycle(tmp_path: Path) -> Cycle:
    return load_cycle(write_tree(tmp_path / "electing", ELECTING_CYCLE))


def recorder(cycle: Cycle) -> Recorder:
    return Recorder(cycle, TAGS, "pc-a1b2c3d4", "Rina", NOW)


def refusal(cycle: Cycle, code: str, item: str) -> str:
    """The message ``build`` refuses a done of ``item`` in region ``code`` with."""
    with pytest.raises(InputError) as e:
        recorder(cycle).build([Change(region(code), item, "done")])
    return str(e.value)


def test_the_cycle_gives_each_region_the_role_the_messages_rely_on(cycle: Cycle) -> None:
    # Without this the refusals below could come from a cycle that is not the one described.
    assert {code: role_of(cycle, code) for code in (
        "31", "31.71", "16", "16.71", "16.10", "16.10.01")} == {
        "31": "own", "31.71": "hosted", "16": "hosted", "16.71": "own", "16.10": "",
        "16.10.01": ""}
    # And the items are recordable where they do apply: the refusals are about the region.
    got = recorder(cycle).build([
        Change(region("16.71"), "pelantikan", "done"), Change(region("31.71"), "nphd-kpu", "done"),
        Change(region("31.71"), "rekap-ulang", "done")])
    assert [(e.region, e.item) for e in got] == [
        ("16.71", "pelantikan"), ("31.71", "nphd-kpu"), ("31.71", "rekap-ulang")]


@pytest.mark.parametrize(("code", "item", "message"), [
    # Hosted: the level and tags fit, but the item serves an own election the region lacks.
    ("31.71", "pelantikan", f"item 'pelantikan' serves a region's own election; {PUSAT} elects "
     "no head in cycle mini"),
    ("16", "pelantikan", "item 'pelantikan' serves a region's own election; Sumatera Selatan "
     "elects no head in cycle mini"),
    # No election on the region's ground: even an item for hosted elections has nothing to serve.
    ("16.10", "nphd-kpu", "Kabupaten Ogan Ilir hosts no election in cycle mini"),
    ("16.10.01", "logistik-tps", "Muara Kuang hosts no election in cycle mini"),
], ids=["hosted-city", "hosted-province", "no-election-regency", "no-election-district"])
def test_an_item_that_fits_but_serves_no_election_of_the_region_says_why(
        cycle: Cycle, code: str, item: str, message: str) -> None:
    assert refusal(cycle, code, item) == message


@pytest.mark.parametrize(("code", "item", "message"), [
    # Only the region's tags among the item's ``unless`` are named (Ogan Ilir: just psu-mk,
    # inherited from its province), sorted.
    ("16.71", "rekap-ulang", "item 'rekap-ulang' does not apply to regions tagged "
     "calon-tunggal, psu-mk; Kota Palembang is"),
    ("16.10", "rekap-ulang", "item 'rekap-ulang' does not apply to regions tagged psu-mk; "
     "Kabupaten Ogan Ilir is"),
    # An excluding tag is the reason given even when the level is wrong too.
    ("16.71", "rekap-kabupaten", "item 'rekap-kabupaten' does not apply to regions tagged "
     "psu-mk; Kota Palembang is"),
], ids=["both-tags", "inherited-tag", "tag-before-level"])
def test_an_item_excluded_by_a_tag_names_the_regions_tags_it_excludes(
        cycle: Cycle, code: str, item: str, message: str) -> None:
    assert refusal(cycle, code, item) == message


@pytest.mark.parametrize(("code", "item", "message"), [
    # Only the ``when`` tags the region lacks are named: Palembang has calon-tunggal already.
    ("16.71", "sengketa", "item 'sengketa' applies only to regions tagged sengketa-mk; "
     "Kota Palembang is not"),
    ("31.71", "sengketa", "item 'sengketa' applies only to regions tagged calon-tunggal, "
     f"sengketa-mk; {PUSAT} is not"),
    # A wrong level is the reason given before missing tags.
    ("16.10.01", "sengketa", "item 'sengketa' does not apply to kecamatan Muara Kuang "
     "(only: kabupaten, kota)"),
], ids=["one-missing", "both-missing", "level-before-tags"])
def test_an_item_for_tagged_regions_names_the_tags_the_region_lacks(
        cycle: Cycle, code: str, item: str, message: str) -> None:
    assert refusal(cycle, code, item) == message


def test_the_refusals_in_indonesian(cycle: Cycle) -> None:
    set_language("id")
    # One build: every refused change is reported, each on its own line, in the given order.
    with pytest.raises(InputError) as e:
        recorder(cycle).build([Change(region(code), item, "done") for code, item in (
            ("31.71", "pelantikan"), ("16.10", "nphd-kpu"), ("16.71", "rekap-ulang"),
            ("16.71", "sengketa"))])
    assert str(e.value).split("\n") == [
        f"butir 'pelantikan' untuk pemilihan kepala daerah di wilayah itu sendiri; {PUSAT} "
        "tidak memilih kepala daerah dalam siklus mini",
        "tidak ada pemilihan di Kabupaten Ogan Ilir dalam siklus mini",
        "butir 'rekap-ulang' tidak berlaku untuk wilayah bertag calon-tunggal, psu-mk; "
        "Kota Palembang bertag itu",
        "butir 'sengketa' hanya berlaku untuk wilayah bertag sengketa-mk; Kota Palembang "
        "tidak bertag itu"]


# --- suggest ------------------------------------------------------------------------------------

# Listed so that the order of the ids is the reverse of the order the rules give them in. Against
# "nphd-kpu-tand": nphd-kpu contains it; nphd-polri is close to it whole (ratio 0.611, cutoff 0.6)
# but its beginning is not (0.692); nphd-tni is not close whole (0.588) but its beginning is
# (0.769, cutoff 0.75); nphd-bawaslu is neither (0.579 and 0.538).
NPHD = ["nphd-tni-tanda-tangan", "nphd-polri-tanda-tangan", "nphd-bawaslu-tanda-tangan",
        "nphd-kpu-tanda-tangan"]
# Pilkada 2024's district, village and polling-station bodies being sworn in.
SWORN = ["pkd-dilantik", "ppk-dilantik", "ptps-dilantik", "pps-dilantik", "kpps-dilantik"]


def test_suggest_lists_ids_containing_the_query_first_in_their_own_order() -> None:
    # kpps-dilantik is the least similar whole (0.762 against 0.8), yet keeps its place.
    assert suggest("dilantik", ["pps-dilantik", "kpps-dilantik", "ppk-dilantik", "tps-siap"]
                   ) == ["pps-dilantik", "kpps-dilantik", "ppk-dilantik"]
    assert suggest("tanda", NPHD) == NPHD[:3]


def test_suggest_then_lists_ids_close_to_the_whole_query_best_first() -> None:
    ids = ["dps-ditetapkan", "dps-diumumkan", "dpt-diumumkan", "tps-siap"]
    # dps-diumumkan comes first in the list, but dpt-diumumkan is closer (0.96 against 0.88).
    assert suggest("dpt-diumumkn", ids) == ["dpt-diumumkan", "dps-diumumkan"]
    # The cutoff: dps-diumumkan at 0.615 is in, dpt-diumumkan at 0.538 is out.
    assert suggest("dps-ditetapkn", ids) == ["dps-ditetapkan", "dps-diumumkan"]


def test_suggest_then_lists_ids_whose_beginning_is_close_to_the_query() -> None:
    # "npdh" is far from either id whole (0.21, 0.24) but exactly 0.75 from their beginning.
    assert suggest("npdh", NPHD[2:]) == ["nphd-bawaslu-tanda-tangan", "nphd-kpu-tanda-tangan"]
    assert suggest("nphd-kpu-tand", NPHD[:1]) == ["nphd-tni-tanda-tangan"]  # 0.769
    # Just under the cutoff is not close: "nphd-kpu-ta" against "nphd-tni-ta" is 0.727 (and
    # 0.5 whole); nor is "pndh" against "nphd" (0.5).
    assert suggest("nphd-kpu-ta", NPHD[:1]) == []
    assert suggest("pndh", NPHD) == []


def test_suggest_orders_the_rules_contains_whole_beginning_each_id_once() -> None:
    # nphd-kpu also matches the other two rules, and is listed once, in its first place.
    assert suggest("nphd-kpu-tand", NPHD) == [
        "nphd-kpu-tanda-tangan", "nphd-polri-tanda-tangan", "nphd-tni-tanda-tangan"]
    assert suggest("gudang", ["gudang"]) == ["gudang"]  # contains, whole and beginning: once


@pytest.mark.parametrize(("n", "expected"), [
    (1, ["nphd-kpu-tanda-tangan"]),
    (2, ["nphd-kpu-tanda-tangan", "nphd-polri-tanda-tangan"]),
    (4, ["nphd-kpu-tanda-tangan", "nphd-polri-tanda-tangan", "nphd-tni-tanda-tangan"]),
])
def test_suggest_stops_at_n(n: int, expected: list[str]) -> None:
    assert suggest("nphd-kpu-tand", NPHD, n) == expected


def test_suggest_lists_at_most_three_by_default_and_n_when_given() -> None:
    assert suggest("kpps-dilantik", SWORN) == ["kpps-dilantik", "pps-dilantik", "ptps-dilantik"]
    assert suggest("kpps-dilantik", SWORN, n=5) == [
        "kpps-dilantik", "pps-dilantik", "ptps-dilantik", "ppk-dilantik", "pkd-dilantik"]


def test_suggest_nothing_for_an_empty_query() -> None:
    # Every id contains "": without the guard the first three would be suggested.
    assert suggest("", NPHD) == []
    assert suggest("", []) == []
