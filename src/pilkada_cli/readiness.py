"""The readiness rules of product.md, in one place, used by every view and format.

Pure: no I/O, no printing. Given a cycle, the regions in scope (sorted by code, root first), their
tags, the events and an as-of moment, it computes for every region its own and its subtree's
numbers per stage and overall. Sums are kept in integers (credit in hundredths of a weight) so a
score is exact and the same in every format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from pilkada_cli.checklist import Cycle, Item, Stage
from pilkada_cli.events import Event, parse_instant
from pilkada_cli.regions import UTC_OFFSET_HOURS, Region
from pilkada_cli.workspace import Thresholds

CRITICAL, AT_RISK, ON_TRACK, UPCOMING = "critical", "at_risk", "on_track", "upcoming"
LEVEL_ORDER = (CRITICAL, AT_RISK, ON_TRACK, UPCOMING)  # worst first
ZONES = {name: timezone(timedelta(hours=h), name) for name, h in UTC_OFFSET_HOURS.items()}

# Tally fields, kept as a flat list of ints so adding subtrees is one cheap loop.
(W, CREDIT, EXPECTED, ITEMS, DONE, OVERDUE, CRIT_OVERDUE, BLOCKED, CRIT_BLOCKED, DUE_SOON,
 CRIT_SOON_TODO, DUE_WITHIN, NA) = range(13)
FIELDS = 13


@dataclass(frozen=True)
class AsOf:
    """The moment readiness is judged at: a calendar day (same date in every zone, up to its
    end) or an instant (each region's date is that instant's date in its own zone)."""

    day: date | None = None
    instant: datetime | None = None

    @classmethod
    def now(cls) -> AsOf:
        """The current instant."""
        return cls(instant=datetime.now(timezone.utc))

    def date_in(self, zone: str) -> date:
        """The as-of calendar date in ``zone``."""
        if self.day is not None:
            return self.day
        assert self.instant is not None
        return self.instant.astimezone(ZONES[zone]).date()

    def cutoff_in(self, zone: str) -> float:
        """Events that happened before this POSIX time count (exclusive)."""
        if self.day is not None:
            end = datetime.combine(self.day + timedelta(days=1), time(), ZONES[zone])
            return end.timestamp()
        assert self.instant is not None
        return self.instant.timestamp() + 1e-6


@dataclass(frozen=True)
class Summary:
    """The numbers of one row: a region (or pooled subtree) over one stage or every stage."""

    weight: int
    credit: int  # in hundredths of a weight: done = 100, in_progress p = p
    expected_weight: int
    items: int
    done: int
    overdue: int
    critical_overdue: int
    blocked: int
    critical_blocked: int
    due_soon: int
    critical_due_soon_todo: int
    na: int
    level: str | None  # CRITICAL, AT_RISK, ON_TRACK, UPCOMING, or None if nothing applies

    @property
    def score(self) -> float | None:
        """Σ weight·credit / Σ weight, in 0..1; None when no item applies."""
        return self.credit / (100 * self.weight) if self.weight else None

    @property
    def expected(self) -> float | None:
        """The share of weight due by the as-of date, in 0..1."""
        return self.expected_weight / self.weight if self.weight else None


def judge(t: Sequence[int], red_gap: int, upcoming: bool = False) -> str | None:
    """The level word for a tally (product.md "Level")."""
    if upcoming:
        return UPCOMING
    if not t[W]:
        return None
    # score < expected − red_gap, in integers: credit/W < 100·expected/W − red_gap
    far_behind = t[CREDIT] < 100 * t[EXPECTED] - red_gap * t[W]
    if t[CRIT_OVERDUE] or t[CRIT_BLOCKED] or far_behind:
        return CRITICAL
    if t[OVERDUE] or t[BLOCKED] or t[CREDIT] < 100 * t[EXPECTED] or t[CRIT_SOON_TODO]:
        return AT_RISK
    return ON_TRACK


def summary(t: Sequence[int], level: str | None) -> Summary:
    """A frozen Summary of a tally."""
    return Summary(
        weight=t[W], credit=t[CREDIT], expected_weight=t[EXPECTED], items=t[ITEMS],
        done=t[DONE], overdue=t[OVERDUE], critical_overdue=t[CRIT_OVERDUE], blocked=t[BLOCKED],
        critical_blocked=t[CRIT_BLOCKED], due_soon=t[DUE_SOON],
        critical_due_soon_todo=t[CRIT_SOON_TODO], na=t[NA], level=level,
    )


@dataclass(frozen=True)
class ItemState:
    """One item of one region at the as-of date."""

    item: Item
    region: str
    status: str  # todo, in_progress, done, blocked, na
    progress: int | None
    due: date
    overdue: bool
    due_soon: bool
    days_late: int  # > 0 when overdue
    event: Event | None  # the event that set this status (None: nothing recorded)


def item_state(item: Item, region: str, d: date, warn_days: int, ev: Event | None) -> ItemState:
    """Judge one (region, item) pair on as-of date ``d``."""
    status = ev.status if ev else "todo"
    progress = ev.progress if ev and status == "in_progress" else None
    live = status not in ("done", "na")
    overdue = live and item.due < d
    soon = live and d <= item.due <= d + timedelta(days=warn_days)
    return ItemState(item, region, status, progress, item.due, overdue, soon,
                     (d - item.due).days if overdue else 0, ev)


def _contribution(item: Item, status: str, progress: int | None, d: date,
                  warn: date) -> list[int]:
    """What one pair adds to its stage's tally."""
    t = [0] * FIELDS
    if status == "na":
        t[NA] = 1
        return t
    w = item.weight
    t[W] = w
    t[ITEMS] = 1
    if item.due <= d:
        t[EXPECTED] = w
    if item.due <= warn:
        t[DUE_WITHIN] = 1
    if status == "done":
        t[CREDIT] = 100 * w
        t[DONE] = 1
        return t
    if status == "in_progress":
        t[CREDIT] = w * (progress or 0)
    if item.due < d:
        t[OVERDUE] = 1
        t[CRIT_OVERDUE] = int(item.critical)
    elif item.due <= warn:
        t[DUE_SOON] = 1
        t[CRIT_SOON_TODO] = int(item.critical and status == "todo")
    if status == "blocked":
        t[BLOCKED] = 1
        t[CRIT_BLOCKED] = int(item.critical)
    return t


def _add(into: list[int], other: Sequence[int], sign: int = 1) -> None:
    for i in range(FIELDS):
        into[i] += sign * other[i]


def region_tags(code: str, tags: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """A region's tags: its own and every ancestor's (a tagged regency tags its districts)."""
    out: set[str] = set()
    parts = code.split(".")
    for n in range(1, len(parts) + 1):
        out |= tags.get(".".join(parts[:n]), frozenset())
    return frozenset(out)


@dataclass
class RegionResult:
    """A region's own and pooled (subtree) tallies per stage, and what its records say."""

    region: Region
    d: date
    own: list[list[int]]
    pooled: list[list[int]]
    events: int = 0  # events counted for this region itself
    subtree_events: int = 0
    last: Event | None = None  # latest event in the subtree
    child_levels: dict[str, int] = field(default_factory=dict)
    no_report_children: int = 0


class Readiness:
    """Readiness of every region in scope at one as-of moment."""

    def __init__(self, cycle: Cycle, regions: Sequence[Region],
                 tags: Mapping[str, frozenset[str]], events: Iterable[Event], as_of: AsOf,
                 thresholds: Thresholds) -> None:
        self.cycle = cycle
        self.as_of = as_of
        self.thresholds = thresholds
        self.stages: tuple[Stage, ...] = cycle.stages
        self._stage_index = {s.id: i for i, s in enumerate(cycle.stages)}
        self.regions = list(regions)
        self.root = self.regions[0]
        self._by_code = {r.code: r for r in self.regions}
        self._tags = {r.code: region_tags(r.code, tags) for r in self.regions}
        self.latest: dict[tuple[str, str], Event] = {}
        self.results: dict[str, RegionResult] = {}
        self._fold(events)
        self._tally()

    # -- folding events ----------------------------------------------------------------------

    def _fold(self, events: Iterable[Event]) -> None:
        cutoffs = {zone: self.as_of.cutoff_in(zone) for zone in ZONES}
        items = self.cycle.items
        self.event_counts: dict[str, int] = {}
        self.last_event: dict[str, Event] = {}
        self.ignored = 0
        for ev in events:  # in order_key order, so a later event replaces an earlier one
            region = self._by_code.get(ev.region)
            if region is None:
                continue
            if parse_instant(ev.at).timestamp() >= cutoffs[region.timezone]:
                continue
            item = items.get(ev.item)
            if item is None or not item.applies_to(region.level, self._tags[region.code]):
                self.ignored += 1
                continue
            self.latest[(ev.region, ev.item)] = ev
            self.event_counts[ev.region] = self.event_counts.get(ev.region, 0) + 1
            self.last_event[ev.region] = ev

    # -- tallies -----------------------------------------------------------------------------

    def _baseline(self, region: Region, d: date) -> list[list[int]]:
        warn = d + timedelta(days=self.thresholds.warn_days)
        tags = self._tags[region.code]
        tallies = [[0] * FIELDS for _ in self.stages]
        for stage_i, stage in enumerate(self.stages):
            for item in stage.items:
                if item.applies_to(region.level, tags):
                    _add(tallies[stage_i], _contribution(item, "todo", None, d, warn))
        return tallies

    def _tally(self) -> None:
        cache: dict[tuple[str, frozenset[str], date], list[list[int]]] = {}
        items = self.cycle.items
        by_region: dict[str, list[Event]] = {}
        for (code, _item), ev in self.latest.items():
            by_region.setdefault(code, []).append(ev)
        for region in self.regions:
            d = self.as_of.date_in(region.timezone)
            key = (region.level, self._tags[region.code], d)
            if key not in cache:
                cache[key] = self._baseline(region, d)
            own = [list(t) for t in cache[key]]
            warn = d + timedelta(days=self.thresholds.warn_days)
            for ev in by_region.get(region.code, ()):
                item = items[ev.item]
                stage_i = self._stage_index[item.stage]
                _add(own[stage_i], _contribution(item, "todo", None, d, warn), -1)
                _add(own[stage_i], _contribution(item, ev.status, ev.progress, d, warn))
            self.results[region.code] = RegionResult(
                region, d, own, [list(t) for t in own], self.event_counts.get(region.code, 0))
        self._pool()

    def _pool(self) -> None:
        for region in reversed(self.regions):  # children come after parents in code order
            result = self.results[region.code]
            result.subtree_events += result.events
            mine = self.last_event.get(region.code)
            if mine is not None and (result.last is None or _later(mine, result.last)):
                result.last = mine
            parent = self.results.get(region.parent_code or "")
            if parent is None or region is self.root:
                continue
            for stage_i, t in enumerate(result.pooled):
                _add(parent.pooled[stage_i], t)
            parent.subtree_events += result.subtree_events
            if result.last is not None and (parent.last is None or _later(result.last,
                                                                          parent.last)):
                parent.last = result.last
            level = self.overall(region.code).level
            if level is not None:
                parent.child_levels[level] = parent.child_levels.get(level, 0) + 1
            if result.subtree_events == 0:
                parent.no_report_children += 1

    # -- views -------------------------------------------------------------------------------

    def is_upcoming(self, code: str, stage_i: int) -> bool:
        """A stage that has not started and has nothing due within warn_days (for ``code``)."""
        result = self.results[code]
        return self.stages[stage_i].start > result.d and not result.pooled[stage_i][DUE_WITHIN]

    def stage(self, code: str, stage_id: str) -> Summary:
        """One stage of a region's subtree."""
        stage_i = self._stage_index[stage_id]
        t = self.results[code].pooled[stage_i]
        return summary(t, judge(t, self.thresholds.red_gap, self.is_upcoming(code, stage_i)))

    def overall(self, code: str) -> Summary:
        """Every stage of a region's subtree; upcoming stages are left out of the level."""
        result = self.results[code]
        total = [0] * FIELDS
        judged = [0] * FIELDS
        for stage_i, t in enumerate(result.pooled):
            _add(total, t)
            if not self.is_upcoming(code, stage_i):
                _add(judged, t)
        # Score and expected cover the whole cycle; the warning flags only live stages.
        for i in (W, CREDIT, EXPECTED):
            judged[i] = total[i]
        return summary(total, judge(judged, self.thresholds.red_gap))

    def children(self, code: str) -> list[Region]:
        """The regions in scope directly under ``code``."""
        return [r for r in self.regions if r.parent_code == code]

    def no_report(self, code: str) -> bool:
        """No event at all in the region's subtree up to the as-of date."""
        return self.results[code].subtree_events == 0

    def items(self, code: str, stage_id: str | None = None) -> list[ItemState]:
        """Every applicable item of one region (not its subtree), in stage order."""
        region = self._by_code[code]
        d = self.results[code].d
        tags = self._tags[code]
        out = []
        for stage in self.stages:
            if stage_id is not None and stage.id != stage_id:
                continue
            for item in stage.items:
                if item.applies_to(region.level, tags):
                    ev = self.latest.get((code, item.id))
                    out.append(item_state(item, code, d, self.thresholds.warn_days, ev))
        return out

    def region(self, code: str) -> Region:
        """A region in scope by code (KeyError if it is not in scope)."""
        return self._by_code[code]

    def subtree(self, code: str) -> list[Region]:
        """The regions in scope under ``code`` (not itself)."""
        prefix = "" if code == self.root.code and code == "ID" else code + "."
        return [r for r in self.regions if r.code.startswith(prefix) and r.code != code]


def _later(a: Event, b: Event) -> bool:
    return (parse_instant(a.at), parse_instant(a.recorded), a.id) > (
        parse_instant(b.at), parse_instant(b.recorded), b.id)


def days_to_voting(cycle: Cycle, d: date) -> int:
    """Days from ``d`` to voting day (positive before it): H-N is N."""
    return (cycle.voting_day - d).days


def worst_first(levels: Mapping[str, int]) -> list[tuple[str, int]]:
    """Level counts ordered worst first."""
    return [(lvl, levels[lvl]) for lvl in LEVEL_ORDER if levels.get(lvl)]
