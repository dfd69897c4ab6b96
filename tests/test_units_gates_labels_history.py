"""Direct unit tests of the readiness gates (domain/gates.py), the level and status vocabulary
(render/labels.py) and the audit trail (domain/history.py), without running the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pilkada_cli.base.errors import ExitCode, InputError
from pilkada_cli.base.i18n import set_language
from pilkada_cli.domain import readiness
from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.events import STATUSES, Event, order_key
from pilkada_cli.domain.gates import CONDITIONS, check_gates, parse_fail_on
from pilkada_cli.domain.history import LOG_SCHEMA, LogSummary, event_json, log_filter, log_json
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.domain.readiness import AT_RISK, CRITICAL, NO_REPORT, ON_TRACK, UPCOMING, AsOf
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.views import Overview, overview
from pilkada_cli.domain.workspace import Thresholds
from pilkada_cli.render import labels

LEVELS = (CRITICAL, AT_RISK, ON_TRACK, UPCOMING, NO_REPORT, None, "bogus")
NAMES = "overdue, critical, blocked, red, no-report"


def ev(n: int, region: str, item: str, status: str, at: str, progress: int | None = None,
       by: str = "Rina", recorded: str | None = None, origin: str = "test-origin",
       note: str = "", evidence: tuple[str, ...] = (), undoes: str | None = None) -> Event:
    return Event(id=f"{n:032x}", origin=origin, seq=n, region=region, item=item, status=status,
                 progress=progress, note=note or ("x" if status in ("blocked", "na") else ""),
                 evidence=evidence, by=by, at=parse_at(at), undoes=undoes,
                 recorded=parse_recorded(recorded or at[:19] + "+00:00"))


@pytest.fixture
def cycle(mini_cycle: Path) -> Cycle:
    return load_cycle(mini_cycle)


def view(cycle: Cycle, day: date, events: Sequence[Event], codes: Sequence[str]) -> Overview:
    regions = [x for x in map(load_regions().get, codes) if x is not None]
    assert len(regions) == len(codes)
    return overview(readiness.Readiness(cycle, regions, {"16.10": frozenset({"calon-tunggal"})},
                                        sorted(events, key=order_key), AsOf(day=day),
                                        Thresholds()))


DONE = [ev(1, "16.71", "nphd-kpu", "done", "2024-02-20T10:00:00+07:00"),  # 16.71 alone on
        ev(2, "16.71", "gudang", "done", "2024-03-05T10:00:00+07:00")]  # 5 March: 75%
SLOW = [ev(7, "16.10", "nphd-kpu", "in_progress", "2024-02-25T10:00:00+07:00", 40),
        ev(8, "16.10", "gudang", "blocked", "2024-02-26T10:00:00+07:00"), DONE[0]]
STUCK = [ev(4, "16.71", "nphd-kpu", "blocked", "2024-02-01T08:00:00+07:00")]  # critical item


# --- gates -------------------------------------------------------------------------------------
def test_parse_fail_on_splits_commas_repeats_and_normalises() -> None:
    assert CONDITIONS == ("overdue", "critical", "blocked", "red", "no-report")
    assert parse_fail_on([]) == []
    assert parse_fail_on(["overdue,Critical", " BLOCKED ", "no_report , red", "overdue"]) == [
        "overdue", "critical", "blocked", "no-report", "red", "overdue"]


@pytest.mark.parametrize(("values", "name"), [
    (["overdue,late"], "late"), (["Very_Late"], "very-late"), (["overdue,"], ""),
    (["red", "reds"], "reds")])
def test_parse_fail_on_unknown_word_is_an_input_error(values: list[str], name: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_fail_on(values)
    assert str(caught.value) == f"unknown --fail-on condition '{name}'; expected one of: {NAMES}"
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    set_language("id")
    with pytest.raises(InputError) as caught:
        parse_fail_on(values)
    assert str(caught.value) == f"kondisi --fail-on '{name}' tidak dikenal; pilihan: {NAMES}"


@pytest.mark.parametrize(("fail_under", "tripped"), [
    (None, []), (0, []), (74.99, []), (75, []), (75.01, ["score 75.00% is under 75.01%"]),
    (75.5, ["score 75.00% is under 75.5%"]), (80, ["score 75.00% is under 80%"]),
    (100, ["score 75.00% is under 100%"]), (1000.5, ["score 75.00% is under 1,000.5%"])])
def test_fail_under_trips_only_strictly_below(cycle: Cycle, fail_under: float | None,
                                              tripped: list[str]) -> None:
    ov = view(cycle, date(2024, 3, 5), DONE, ["16.71"])
    assert ov.root.summary.score == 0.75
    assert check_gates(ov, fail_under, []) == tripped


def test_fail_under_in_indonesian_and_with_nothing_to_score(cycle: Cycle) -> None:
    set_language("id")
    ov = view(cycle, date(2024, 3, 5), DONE, ["16.71"])
    assert check_gates(ov, 1000.5, []) == ["capaian 75,00% di bawah 1.000,5%"]
    assert check_gates(ov, 80, []) == ["capaian 75,00% di bawah 80%"]
    set_language("en")
    na = [ev(10 + i, "16.71", item, "na", "2024-02-01T08:00:00+07:00")
          for i, item in enumerate(("nphd-kpu", "gudang", "logistik-tps"))]
    ov = view(cycle, date(2024, 3, 5), na, ["16.71"])
    assert ov.root.summary.score is None  # every item n/a: no score, which only 0 lets pass
    assert check_gates(ov, 50, []) == ["no score to hold against 50%: every item is n/a"]
    assert check_gates(ov, 0.5, []) == ["no score to hold against 0.5%: every item is n/a"]
    assert check_gates(ov, 0, []) == []
    set_language("id")
    assert check_gates(ov, 50, []) == [
        "tidak ada capaian untuk dibandingkan dengan 50%: semua butir tidak berlaku"]


@pytest.mark.parametrize(("score", "limit", "tripped"), [
    (0.74996, 75, "score 74.99% is under 75%"),  # cut, not rounded up to the limit
    (0.74994, 75, "score 74.99% is under 75%"), (0.04657, 50, "score 4.66% is under 50%"),
    (0.749951, 75.0, "score 74.99% is under 75%"),
    (0.749949, 74.999, "score 74.995% is under 74.999%"),
    (0.75, 75.0001, "score 75.0000% is under 75.0001%"),  # the limit as given
    (0.2899, 29, "score 28.99% is under 29%"),
    (0.29, 29.5, "score 29.00% is under 29.5%"),  # (28.999999999999996 is 29.00)
    (0.28999, 29, "score 28.99% is under 29%"),
    (0.5, 50.123456789, "score 50.000000000% is under 50.123456789%"),
    (0.75, 75, None), (0.750001, 75.0001, None),
    (0.29, 29, None), (29 / 100, 29.0, None), (0.57, 57, None)])  # (float products of 100)
def test_fail_under_never_says_a_score_is_under_what_it_equals(
        score: float, limit: float, tripped: str | None) -> None:
    from pilkada_cli.domain.gates import _under

    assert _under(score, limit) == ([tripped] if tripped else [])


def test_conditions_trip_in_the_order_given_once_each(cycle: Cycle) -> None:
    # 16.10's critical item blocked (and overdue from 2 March); 16.71 has reported nothing
    blocked = [ev(3, "16.10", "nphd-kpu", "blocked", "2024-02-01T08:00:00+07:00")]
    ov = view(cycle, date(2024, 3, 2), blocked, ["16", "16.10", "16.71"])
    order = ["no-report", "red", "blocked", "critical", "overdue", "red", "no-report"]
    assert check_gates(ov, None, order) == [
        "1 region(s) with no report: 16.71 Kota Palembang", "1 region(s) CRITICAL",
        "1 item(s) blocked", "1 critical item(s) overdue, 1 blocked", "1 item(s) overdue"]
    set_language("id")
    assert check_gates(ov, None, CONDITIONS) == [
        "1 butir terlambat", "1 butir kritis terlambat, 1 terhambat", "1 butir terhambat",
        "1 wilayah KRITIS", "1 wilayah belum lapor: 16.71 Kota Palembang"]


@pytest.mark.parametrize(("day", "events", "codes", "state", "tripped"), [
    (date(2024, 3, 5), DONE, ["16.71"], (ON_TRACK, 0, []), []),
    # 1 March: nothing overdue yet, 16.10 AT RISK (not CRITICAL): only the blocked item trips
    (date(2024, 3, 1), SLOW, ["16", "16.10", "16.71"], (AT_RISK, 0, [AT_RISK, ON_TRACK]),
     ["1 item(s) blocked"]),
    # a blocked critical item is critical; the root alone CRITICAL is one red region
    (date(2024, 2, 2), STUCK, ["16.71"], (CRITICAL, 0, []),
     ["0 critical item(s) overdue, 1 blocked", "1 item(s) blocked", "1 region(s) CRITICAL"]),
    # a root that recorded nothing: its overdue critical item is not known to be late
    (date(2024, 3, 2), [], ["16", "16.10"], (NO_REPORT, 1, [NO_REPORT]),
     ["1 region(s) with no report: 16 Sumatera Selatan"])])
def test_conditions_trip_only_on_what_holds(cycle: Cycle, day: date, events: list[Event],
                                            codes: list[str], state: tuple[str, int, list[str]],
                                            tripped: list[str]) -> None:
    ov = view(cycle, day, events, codes)
    s = ov.root.summary
    assert (s.level, s.critical_overdue, [row.summary.level for row in ov.rows]) == state
    assert check_gates(ov, None, CONDITIONS) == tripped


@pytest.mark.parametrize(("count", "tail"), [(5, ""), (6, ", …")])
def test_no_report_names_five_regions_at_most(cycle: Cycle, count: int, tail: str) -> None:
    codes = ["16", *(f"16.0{i}" for i in range(1, count + 1)), "16.71"]
    ov = view(cycle, date(2024, 3, 1), DONE[:1], codes)
    assert check_gates(ov, None, ["no-report"]) == [
        f"{count} region(s) with no report: 16.01 Kab. Ogan Komering Ulu, 16.02 Kab. Ogan "
        "Komering Ilir, 16.03 Kab. Muara Enim, 16.04 Kab. Lahat, 16.05 Kab. Musi Rawas" + tail]


# --- labels ------------------------------------------------------------------------------------
def test_level_words_and_letters_per_language() -> None:
    english = ["CRITICAL", "AT RISK", "ON TRACK", "upcoming", "NO REPORT", "—", "—"]
    assert [labels.level_word(x) for x in LEVELS] == english
    assert "".join(labels.level_letter(x) for x in LEVELS) == "CAO·?  "
    set_language("id")
    assert [labels.level_word(x) for x in LEVELS] == [
        "KRITIS", "WASPADA", "SIAP", "belum mulai", "BELUM LAPOR", "—", "—"]
    assert "".join(labels.level_letter(x) for x in LEVELS) == "KWS·?  "
    set_language("en")  # the words are cached per language, not once
    assert [labels.level_word(x) for x in LEVELS] == english


def test_status_and_state_words_symbols_and_styles() -> None:
    plain, clash = SimpleNamespace(status="blocked", conflict=None), SimpleNamespace(conflict=1)
    assert [labels.status_word(s) for s in STATUSES] == [
        "todo", "in progress", "done", "blocked", "not applicable"]
    assert (labels.state_word(plain), labels.state_word(clash)) == ("blocked", "CONFLICT")
    assert labels.state_word(SimpleNamespace(status="na")) == "not applicable"
    assert [labels.STATUS_SYMBOL[s] for s in STATUSES] == ["○", "◐", "✓", "✗", "–"]
    assert set(labels.STATUS_STYLE) == set(STATUSES)
    assert set(labels.LEVEL_STYLE) == set(labels.LEVEL_COLOURS) == set(LEVELS[:-1])
    set_language("id")
    assert [labels.status_word(s) for s in STATUSES] == [
        "belum", "proses", "selesai", "terhambat", "tidak berlaku"]
    assert (labels.state_word(plain), labels.state_word(clash)) == ("terhambat", "KONFLIK")
    with pytest.raises(KeyError):
        labels.status_word("finished")


def test_conflict_sides_text() -> None:
    sides = [("done", None, "Rina", "Kota Palembang"), ("in_progress", 0, "Desk", "Provinsi")]
    text = "done by Rina (Kota Palembang) vs in progress 0% by Desk (Provinsi)"
    assert labels.sides_only(sides) == text
    assert labels.sides_text(sides) == "CONFLICT: " + text
    events = (ev(5, "16.71", "gudang", "done", "2024-03-02T10:00:00+07:00"),
              ev(6, "16.71", "gudang", "in_progress", "2024-03-01T10:00:00+07:00", 0, "Desk"))
    conflict = SimpleNamespace(sides=events, offices=("Kota Palembang", "Provinsi"))
    assert labels.conflict_text(conflict) == "CONFLICT: " + text
    with pytest.raises(ValueError):  # one office per side
        labels.conflict_text(SimpleNamespace(sides=events, offices=("Provinsi",)))
    set_language("id")
    assert labels.sides_text(sides[1:] + sides[:1]) == (
        "KONFLIK: proses 0% oleh Desk (Provinsi) lawan selesai oleh Rina (Kota Palembang)")


def test_settle_hint_region_level_and_election_words() -> None:
    assert labels.settle_hint("16.71", "gudang") == (
        "To settle it, agree with the other office which status is right, record it once more "
        "here (pilkada record 16.71 gudang --status STATUS, with --note for the reason of "
        "blocked) and share it (pilkada sync or export).")
    names = ("nasional", "provinsi", "kabupaten", "kota", "kecamatan", "desa")
    assert [labels.region_level_word(x) for x in names] == [
        "nation", "province", "regency", "city", "district", "village"]
    assert (labels.no_head_word(), labels.no_election_word()) == (
        "elects no head", "no election of its own")
    set_language("id")
    assert [labels.region_level_word(x) for x in names] == list(names)
    assert labels.no_head_word() == labels.no_election_word() == "tanpa pilkada sendiri"
    with pytest.raises(KeyError):
        labels.region_level_word("dusun")


# --- history -----------------------------------------------------------------------------------
TRAIL = [ev(21, "16.71", "nphd-kpu", "done", "2024-03-01T09:00:00+07:00"),
         # 2 March where it was recorded (+08:00), though still 1 March in WIB and UTC
         ev(22, "16.71.01", "gudang", "in_progress", "2024-03-02T00:30:00+08:00", 30, "Desk"),
         ev(23, "16.72", "gudang", "blocked", "2024-03-03T10:00:00+07:00", by="RINA"),
         ev(24, "64.72", "nphd-kpu", "done", "2024-02-29T23:59:59+07:00", by="rina")]


@pytest.mark.parametrize(("query", "shown"), [
    ({}, [23, 22, 21, 24]), ({"region": "ID"}, [23, 22, 21, 24]),
    ({"region": "16"}, [23, 22, 21]), ({"region": "16.71"}, [22, 21]), ({"region": "16.7"}, []),
    ({"item": "gudang"}, [23, 22]), ({"by": "rina"}, [23, 21, 24]), ({"by": "Rin"}, []),
    ({"since": date(2024, 3, 2)}, [23, 22]), ({"until": date(2024, 3, 1)}, [21, 24]),
    ({"since": date(2024, 3, 1), "until": date(2024, 3, 1)}, [21]),
    ({"region": "16", "item": "gudang", "by": "DESK", "until": date(2024, 3, 2)}, [22])])
def test_log_filter_shows_matching_events(query: dict[str, Any], shown: list[int]) -> None:
    assert [int(e.id, 16) for e in log_filter(TRAIL, **query)] == shown


def test_log_filter_is_newest_first_by_instant_then_recorded_then_id() -> None:
    at, rec = "2024-03-01T09:00:00+07:00", "2024-03-01T02:00:00+00:00"
    events = [ev(1, "16.71", "gudang", "done", at, recorded=rec),
              ev(2, "16.71", "gudang", "done", at, recorded=rec),
              ev(3, "16.71", "gudang", "done", at, recorded="2024-03-01T03:00:00+00:00"),
              ev(4, "16.71", "gudang", "done", "2024-03-01T10:00:00+08:00",  # the same instant
                 recorded="2024-03-01T01:00:00+00:00"),
              ev(5, "16.71", "gudang", "done", "2024-03-01T03:00:00+00:00")]  # an hour later
    assert [int(e.id, 16) for e in log_filter(events)] == [5, 3, 2, 1, 4]


def test_log_json_contract() -> None:
    first = ev(31, "16.71", "gudang", "blocked", "2024-03-01T09:00:00+07:00", note="lahan",
               origin="pc-a")
    undo = ev(32, "16.71", "gudang", "in_progress", "2024-03-02T09:00:00+07:00", 10, "Desk",
              "2024-03-02T02:00:00.123456+00:00", "pc-b", note="salah catat",
              evidence=("BA-12/2024", "foto.jpg"), undoes=first.id)
    two: dict[str, Any] = {
        "at": "2024-03-02T09:00:00+07:00", "recorded": "2024-03-02T02:00:00.123456+00:00",
        "region": "16.71", "item": "gudang", "status": "in_progress", "progress": 10,
        "by": "Desk", "note": "salah catat", "evidence": ["BA-12/2024", "foto.jpg"],
        "id": f"{32:032x}", "undoes": f"{31:032x}", "origin": "pc-b", "office": "KPU Palembang",
        "office_verified": True}
    offices = {"pc-a": "Provinsi", "pc-b": "KPU Palembang"}
    assert LOG_SCHEMA == "pilkada.log/2"
    assert log_json([undo], offices, ["pc-b"]) == {"schema": "pilkada.log/2", "events": [two]}
    assert event_json(undo, offices) == {**two, "office_verified": False}
    assert log_json([undo])["events"] == [{**two, "office": None, "office_verified": False}]
    shown = log_json([undo, first], offices, {"pc-b"})["events"]  # in the order given
    assert [(x["id"], x["progress"], x["undoes"], x["evidence"], x["office_verified"])
            for x in shown] == [(undo.id, 10, first.id, two["evidence"], True),
                                (first.id, None, None, [], False)]
    assert log_json([]) == {"schema": "pilkada.log/2", "events": []}


def test_log_summary_keeps_the_widest_and_the_most_digits() -> None:
    s = LogSummary()
    assert (s.count, s.names, s.note, s.evidence) == (0, (0, 0), (0, 0, False), (0, 0, False))
    s.widen((5, 4, False), (0, 0, False), (10, 9))
    s.widen((3, 6, True), (7, 7, True), (8, 12))
    s.widen((1, 1, False), (2, 2, False), (1, 1))
    assert (s.note, s.evidence, s.names) == ((5, 6, True), (7, 7, True), (10, 12))
    s.dates("WIB", [1] * 12, [2] * 12)
    s.dates("WIB", [2, 1] + [1] * 10, [1] * 11 + [3])
    s.dates("WITA", [4] * 12, [0] * 12)
    assert s.zones == {"WIB", "WITA"}
    assert s.at_digits == {"WIB": [2] + [1] * 11, "WITA": [4] * 12}
    assert s.rec_digits == {"WIB": [2] * 11 + [3], "WITA": [0] * 12}
    with pytest.raises(ValueError):  # a digit count for each month
        s.dates("WIT", [1] * 11, [1] * 12)
