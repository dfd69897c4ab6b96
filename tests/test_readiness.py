"""The readiness rules with exact numbers (product.md "Readiness")."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.events import Event, order_key
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.domain.readiness import (
    AT_RISK,
    CRITICAL,
    NO_REPORT,
    ON_TRACK,
    UPCOMING,
    AsOf,
    ItemState,
    Readiness,
)
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.workspace import Thresholds

TAGS = {"16.10": frozenset({"calon-tunggal"})}
_n = 0


def ev(region: str, item: str, status: str, at: str, progress: int | None = None,
       recorded: str | None = None, note: str = "") -> Event:
    global _n
    _n += 1
    return Event(id=f"{_n:032x}", origin="test-origin", seq=_n, region=region, item=item,
                 status=status, progress=progress, note=note or ("x" if status in
                                                                 ("blocked", "na") else ""),
                 evidence=(), by="Rina", at=parse_at(at),
                 recorded=parse_recorded(recorded or at[:19] + "+00:00"))


@pytest.fixture
def cycle(mini_cycle: Path) -> Cycle:
    return load_cycle(mini_cycle)


EVENTS = [
    ev("16.71", "nphd-kpu", "done", "2024-02-20T10:00:00+07:00"),
    ev("16.10", "nphd-kpu", "in_progress", "2024-02-25T10:00:00+07:00", progress=40),
    ev("16.10", "gudang", "blocked", "2024-02-26T10:00:00+07:00", note="lahan belum ada"),
    ev("16.71", "gudang", "done", "2024-03-05T10:00:00+07:00"),
]


def readiness(cycle: Cycle, day: date, events: list[Event] = EVENTS,
              codes: tuple[str, ...] = ("16", "16.10", "16.71")) -> Readiness:
    index = load_regions()
    regions = [index.get(c) for c in codes]
    return Readiness(cycle, regions, TAGS, sorted(events, key=order_key),  # type: ignore[arg-type]
                     AsOf(day=day), Thresholds())


def nums(r: Readiness, code: str) -> tuple[object, ...]:
    s = r.overall(code)
    return (s.weight, s.credit, s.expected_weight, s.overdue, s.critical_overdue, s.blocked,
            s.due_soon, s.level)


def test_due_on_the_as_of_date_is_not_overdue(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 1))
    # 16.71: nphd done (w1), gudang (w2), logistik-tps (w1): 25% of 25% expected.
    assert nums(r, "16.71") == (4, 100, 1, 0, 0, 0, 0, ON_TRACK)
    assert r.overall("16.71").score == 0.25 and r.overall("16.71").expected == 0.25
    # 16.10 (calon tunggal: + sosialisasi): nphd 40% due today, gudang blocked.
    assert nums(r, "16.10") == (5, 40, 1, 0, 0, 1, 1, AT_RISK)
    assert r.overall("16.10").score == pytest.approx(0.08)
    # 16 (provinsi): nothing recorded, score 0 vs 33.3% expected: more than 25 points behind.
    assert nums(r, "16") [:3] == (3 + 4 + 5, 140, 3)
    assert r.results["16"].own[0][:3] == [3, 0, 1]


def test_own_province_row_far_behind_is_critical(cycle: Cycle) -> None:
    started = ev("16", "gudang", "in_progress", "2024-02-28T10:00:00+07:00", progress=0)
    r = readiness(cycle, date(2024, 3, 1), [started], codes=("16",))
    assert nums(r, "16") == (3, 0, 1, 0, 0, 0, 1, CRITICAL)
    assert not r.no_report("16")


def test_no_report_is_a_level_apart_and_its_items_count_in_the_parent(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 2), codes=("16", "16.10", "16.71", "16.72"))
    # Kota Pagar Alam has recorded nothing: the same numbers as if nothing was done, but its
    # level is NO REPORT, in every stage that is under way, not CRITICAL.
    assert r.no_report("16.72")
    assert nums(r, "16.72") == (4, 0, 1, 1, 1, 0, 0, NO_REPORT)
    assert r.stage("16.72", "persiapan").level == NO_REPORT
    assert r.stage("16.72", "pemungutan").level == UPCOMING
    # Its weights and expected count in the province's score (at zero credit); its overdue
    # item does not count as the province's: province 1 (own) + Ogan Ilir 1 overdue.
    province = r.overall("16")
    assert (province.weight, province.credit, province.expected_weight) == (3 + 5 + 4 + 4,
                                                                          140, 1 + 1 + 1 + 1)
    assert (province.overdue, province.critical_overdue) == (2, 2)
    assert r.results["16"].no_report_children == 1
    assert r.results["16"].child_levels == {CRITICAL: 1, ON_TRACK: 1}


def test_the_day_after_due_is_overdue(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 2))
    assert nums(r, "16.71") == (4, 100, 1, 0, 0, 0, 0, ON_TRACK)
    # the critical NPHD item is overdue at 40%: CRITICAL
    assert nums(r, "16.10") == (5, 40, 1, 1, 1, 1, 0, CRITICAL)
    states = {st.item.id: st for st in r.items("16.10")}
    assert states["nphd-kpu"].overdue and states["nphd-kpu"].days_late == 1
    assert states["nphd-kpu"].progress == 40


def test_event_after_the_as_of_date_is_ignored(cycle: Cycle) -> None:
    before = readiness(cycle, date(2024, 3, 4))
    after = readiness(cycle, date(2024, 3, 5))
    assert before.overall("16.71").credit == 100
    assert after.overall("16.71").credit == 300
    assert after.overall("16.71").score == 0.75


def test_na_leaves_the_denominator(cycle: Cycle) -> None:
    events = [*EVENTS, ev("16.10", "logistik-tps", "na", "2024-03-01T08:00:00+07:00")]
    r = readiness(cycle, date(2024, 3, 1), events)
    s = r.overall("16.10")
    assert (s.weight, s.na, s.items) == (4, 1, 3)
    assert s.score == pytest.approx(40 / 400)


def test_in_progress_40_counts_point_4(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 1), [EVENTS[1]], codes=("16.10",))
    assert r.overall("16.10").credit == 40  # 0.4 of weight 1, in hundredths
    assert r.stage("16.10", "persiapan").score == pytest.approx(0.4 / 3)


def test_blocked_critical_item_makes_region_critical(cycle: Cycle) -> None:
    events = [ev("16.71", "nphd-kpu", "blocked", "2024-02-01T08:00:00+07:00", note="dana")]
    r = readiness(cycle, date(2024, 2, 2), events, codes=("16.71",))
    assert r.overall("16.71").level == CRITICAL
    assert r.overall("16.71").critical_blocked == 1


def test_no_report_region_is_flagged(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 1))
    assert r.no_report("16") is False  # its subtree has events
    assert r.results["16"].no_report_children == 0
    r2 = readiness(cycle, date(2024, 3, 1), EVENTS[:1], codes=("16", "16.10", "16.71"))
    assert r2.no_report("16.10") and not r2.no_report("16.71")
    assert r2.results["16"].no_report_children == 1


def test_parent_pools_its_subtree_and_counts_child_levels(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 2))
    s = r.overall("16")
    assert (s.weight, s.credit, s.expected_weight) == (12, 140, 3)
    assert s.critical_overdue == 2  # 16 itself and 16.10
    assert s.level == CRITICAL
    assert r.results["16"].child_levels == {CRITICAL: 1, ON_TRACK: 1}


def test_stage_not_started_is_upcoming_until_warn_days(cycle: Cycle) -> None:
    r = readiness(cycle, date(2024, 3, 1))
    assert r.stage("16.71", "pemungutan").level == UPCOMING
    # logistik-tps is due H-1 = 26 Nov; 7 days before that the stage is no longer upcoming.
    r = readiness(cycle, date(2024, 11, 19))
    assert r.stage("16.71", "pemungutan").level != UPCOMING
    r = readiness(cycle, date(2024, 11, 18))
    assert r.stage("16.71", "pemungutan").level == UPCOMING


def test_wita_deadline_day_differs_from_wib_at_the_same_instant(cycle: Cycle) -> None:
    index = load_regions()
    regions = [index.get(c) for c in ("ID", "16", "16.71", "64", "64.72")]
    moment = datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=7)))
    # Both regions have reported something (not yet due), so their overdue items count.
    started = [ev(code, "gudang", "in_progress", "2024-02-01T10:00:00+07:00", progress=10)
               for code in ("16.71", "64.72")]
    r = Readiness(cycle, regions, {}, started, AsOf(instant=moment), Thresholds())  # type: ignore[arg-type]
    assert r.results["16.71"].d == date(2024, 3, 1)
    assert r.results["64.72"].d == date(2024, 3, 2)  # already 00:30 WITA
    assert r.overall("16.71").critical_overdue == 0
    assert r.overall("64.72").critical_overdue == 1
    assert r.overall("ID").critical_overdue == 2  # province 64 and 64.72, both WITA


def test_event_at_counts_in_its_own_zone_cutoff(cycle: Cycle) -> None:
    # Done at 23:30 WITA on 1 March = 22:30 WIB: counts as of 1 March in a WITA region.
    done = ev("64.72", "nphd-kpu", "done", "2024-03-01T23:30:00+08:00")
    index = load_regions()
    r = Readiness(cycle, [index.get("64.72")], {}, [done], AsOf(day=date(2024, 3, 1)),  # type: ignore[list-item]
                  Thresholds())
    assert r.overall("64.72").done == 1


def test_item_states_compare_by_value_reading_events_only_when_needed(cycle: Cycle) -> None:
    """Two judgments differ by what the fold decided without their events being read from
    the records; only states equal in all of that compare their events. Not hashable."""
    item, due = cycle.items["nphd-kpu"], date(2024, 3, 1)
    loads: list[str] = []

    def lazy(event: Event, name: str) -> ItemState:
        def load() -> Event:
            loads.append(name)
            return event
        return ItemState(item, "16.71", "done", None, due, False, False, 0, None, load=load)

    first, second = EVENTS[0], ev("16.71", "nphd-kpu", "done", "2024-02-21T10:00:00+07:00")
    a, b = lazy(first, "a"), lazy(second, "b")
    other = ItemState(item, "16.71", "in_progress", 50, due, False, False, 0, None,
                      load=lambda: pytest.fail("read"))
    assert a != other and loads == []  # another status: no event read
    assert a != b and loads == ["a", "b"]  # the same judgment: the events decide
    assert lazy(first, "c") == a and loads == ["a", "b", "c"]
    with pytest.raises(TypeError):
        hash(a)
