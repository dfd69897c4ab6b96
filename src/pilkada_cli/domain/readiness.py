"""The readiness rules of product.md, in one place, used by every view and format.

Pure: no I/O of its own, no printing. Given a cycle, the regions in scope (sorted by code, root
first), their tags, the events (Event objects, or columns: ``Chunk``) and an as-of moment, it
computes for every region its own and its subtree's numbers per stage and overall. Sums are kept
in integers (credit in hundredths of a weight) so a score is exact and the same in every format.
The event behind an item's state is fetched only when a view asks for it, through the loader its
chunk came with (a list lookup, or cache.py reading one line of a record file).
"""

from __future__ import annotations

import bisect
import functools
import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pilkada_cli.domain.checklist import Cycle, Item, Stage
from pilkada_cli.domain.chunks import Chunk, EventLoader, event_chunks
from pilkada_cli.domain.events import STATUSES, Event
from pilkada_cli.domain.regions import UTC_OFFSET_HOURS, Region, level_of, timezone_of
from pilkada_cli.domain.workspace import Thresholds

CRITICAL, AT_RISK, ON_TRACK, UPCOMING = "critical", "at_risk", "on_track", "upcoming"
# No event at all in a region's subtree: shown in place of a level, counted apart from the
# levels; unknown, so neither critical nor on track (product.md "No report").
NO_REPORT = "no_report"
LEVEL_ORDER = (CRITICAL, AT_RISK, ON_TRACK, UPCOMING)  # the judged levels, worst first
# Rows are listed worst first: the unknown after the known bad news, before the good.
RANK = (CRITICAL, AT_RISK, NO_REPORT, ON_TRACK, UPCOMING)
ZONES = {name: timezone(timedelta(hours=h), name) for name, h in UTC_OFFSET_HOURS.items()}

# Tally fields: a region's tallies are one flat block of ints (stage, field) in the Readiness's
# arrays, so adding a subtree is one map over two slices.
(W, CREDIT, EXPECTED, ITEMS, DONE, OVERDUE, CRIT_OVERDUE, BLOCKED, CRIT_BLOCKED, DUE_SOON,
 CRIT_SOON_TODO, DUE_WITHIN, NA) = range(13)
FIELDS = 13
_BLOCKED = STATUSES.index("blocked")
# What a pair's recorded status says (late, blocked, due soon and untouched): unknown for a
# subtree that has reported nothing, so it does not reach the parent's counts and level.
STATUS_FLAGS = (OVERDUE, CRIT_OVERDUE, BLOCKED, CRIT_BLOCKED, DUE_SOON, CRIT_SOON_TODO)
_INF = float("inf")
# regions to pool again above which their children are found in one pass over the scope (a
# bulk import), not by a bisection of the codes each
POOL_MAP = 256
_CLOSED = (STATUSES.index("done"), STATUSES.index("na"))


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
    level: str | None  # CRITICAL, AT_RISK, ON_TRACK, UPCOMING, NO_REPORT; None: nothing applies

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


class ItemState:
    """One item of one region at the as-of date. ``event`` (what set this status; None when
    nothing is recorded) may be read from the records only when asked for."""

    __slots__ = ("item", "region", "status", "progress", "due", "overdue", "due_soon",
                 "days_late", "under_way", "_event", "_load", "_conflict", "_conflicts")

    def __init__(self, item: Item, region: str, status: str, progress: int | None, due: date,
                 overdue: bool, due_soon: bool, days_late: int, event: Event | None,
                 load: Callable[[], Event] | None = None, under_way: bool = False) -> None:
        self.item = item
        self.region = region
        self.status = status  # todo, in_progress, done, blocked, na
        self.progress = progress
        self.due = due
        self.overdue = overdue
        self.due_soon = due_soon
        self.days_late = days_late  # > 0 when overdue
        # a window item (``from``) open between its start and its end: running, not upcoming
        self.under_way = under_way
        self._event = event
        self._load = load
        self._conflict: Any = None
        self._conflicts: Mapping[tuple[str, str], Any] | None = None  # where to read it from

    @property
    def conflict(self) -> Any:
        """A conflicts.Conflict when offices recorded different values unseen by each other
        (the status is then "blocked" until someone records a decision); read from the
        readiness's conflicts only when asked for (their sides come from the record files)."""
        if self._conflicts is not None:
            self._conflict, self._conflicts = self._conflicts.get((self.region,
                                                                   self.item.id)), None
        return self._conflict

    @conflict.setter
    def conflict(self, value: Any) -> None:
        self._conflict, self._conflicts = value, None

    @property
    def event(self) -> Event | None:
        """The event that set this status (None: nothing recorded)."""
        if self._load is not None:
            self._event, self._load = self._load(), None
        return self._event

    def _key(self) -> tuple[object, ...]:
        return (self.item, self.region, self.status, self.progress, self.due, self.overdue,
                self.due_soon, self.days_late, self.under_way)

    def __eq__(self, other: object) -> bool:
        """The same judgment of the same pair, from the same event. What the fold decided is
        compared first; the events (which may have to be read from the record files) only
        when all of that is equal."""
        if not isinstance(other, ItemState):
            return NotImplemented
        return self._key() == other._key() and self.event == other.event

    __hash__ = None  # type: ignore[assignment]  # (compared by value, and not immutable)

    def __repr__(self) -> str:
        return (f"ItemState(item={self.item.id!r}, region={self.region!r}, "
                f"status={self.status!r}, progress={self.progress!r}, due={self.due!r})")


def item_state(item: Item, region: str, d: date, warn_days: int, ev: Event | None,
               status: str | None = None, progress: int | None = None,
               load: Callable[[], Event] | None = None) -> ItemState:
    """Judge one (region, item) pair on as-of date ``d`` (from ``ev``, or from ``status`` and
    ``progress`` with the event to be loaded by ``load``)."""
    if status is None:
        status = ev.status if ev else "todo"
        progress = ev.progress if ev else None
    progress = progress if status == "in_progress" else None
    live = status not in ("done", "na")
    overdue = live and item.due < d
    soon = live and d <= item.due <= d + timedelta(days=warn_days)
    under_way = live and item.start is not None and item.start <= d <= item.due
    return ItemState(item, region, status, progress, item.due, overdue, soon,
                     (d - item.due).days if overdue else 0, ev, load, under_way)


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
    if item.due <= warn or (item.start is not None and item.start <= warn):
        t[DUE_WITHIN] = 1  # (a window item under way keeps its stage from being upcoming)
    if status == "done":
        t[CREDIT] = 100 * w
        t[DONE] = 1
        return t
    if status == "in_progress":
        t[CREDIT] = w * (progress or 0)
    if status == "blocked":  # blocked wins: counted once, as blocked, however late it is
        t[BLOCKED] = 1
        t[CRIT_BLOCKED] = int(item.critical)
    elif item.due < d:
        t[OVERDUE] = 1
        t[CRIT_OVERDUE] = int(item.critical)
    elif item.due <= warn:
        t[DUE_SOON] = 1
        t[CRIT_SOON_TODO] = int(item.critical and status == "todo")
    return t


def _own_array(values: array[int] | memoryview) -> array[int]:
    """An array of its own with the values of ``values`` (a view: of its format)."""
    if isinstance(values, array):
        return values
    out: array[int] = array(values.format)
    out.frombytes(values.cast("B"))
    return out


def _changeable(values: array[int] | memoryview) -> array[int] | memoryview:
    """``values`` if it can be changed in place, else an array of its own."""
    return _own_array(values) if isinstance(values, memoryview) and values.readonly else values


def _typecode(values: array[int] | memoryview) -> str:
    """An array's type code, or the same of a view of one (its one-letter format)."""
    return values.typecode if isinstance(values, array) else values.format


def _add(into: list[int], other: Sequence[int], sign: int = 1) -> None:
    for i in range(FIELDS):
        into[i] += sign * other[i]


def role_of(cycle: Cycle, code: str) -> str:
    """A region's part in the cycle's elections: ``own`` (it elects a head), ``hosted`` (it
    only hosts others' elections: a city voting for its governor, a province whose regencies
    elect) or ``""`` (no election on its ground)."""
    if cycle.elects(code):
        return "own"
    return "hosted" if cycle.hosts(code) else ""


def serves(item: Item, role: str) -> bool:
    """Whether an item serves an election a region of this role takes part in."""
    return role == "own" or (role == "hosted" and item.serves == "hosted")


def applies(cycle: Cycle, item: Item, region: Region, tags: frozenset[str]) -> bool:
    """Whether an item applies to a region with these tags: its level, its tags, and the
    election the item serves (domain.md §8a: who elects what)."""
    return item.applies_to(region.level, tags) and serves(item, role_of(cycle, region.code))


def region_tags(code: str, tags: Mapping[str, frozenset[str]],
                own: Mapping[str, frozenset[str]] | None = None) -> frozenset[str]:
    """A region's tags: its own and every ancestor's (a tagged regency tags its districts),
    and those given to it alone (``own``: not passed down)."""
    out: set[str] = set()
    parts = code.split(".")
    for n in range(1, len(parts) + 1):
        out |= tags.get(".".join(parts[:n]), frozenset())
    if own:
        out |= own.get(code, frozenset())
    return frozenset(out)


# --- results ------------------------------------------------------------------------------------

_Ref = tuple[int, int]  # loader index, locator
_Key = tuple[int, int, bytes]  # at, rec, id: an event's place in order_key order (see Chunk)


class RegionResult:
    """A region's own and pooled (subtree) tallies per stage, and what its records say.

    The tallies of every region live in two flat arrays of the Readiness (region, stage,
    field); ``own`` and ``pooled`` give one region's as lists of per-stage lists."""

    __slots__ = ("region", "d", "events", "subtree_events", "child_levels",
                 "no_report_children", "_flat", "_offset", "_stages", "_at", "_last", "_load")

    def __init__(self, region: Region, d: date, flat: tuple[Sequence[int], Sequence[int]],
                 offset: int, stages: int, events: int = 0) -> None:
        self.region = region
        self.d = d
        self.events = events  # events counted for this region itself
        self.subtree_events = 0
        self.child_levels: dict[str, int] = {}
        self.no_report_children = 0
        self._flat = flat
        self._offset = offset
        self._stages = stages
        self._at: tuple[_Key, _Ref] | None = None  # the latest event in the subtree
        self._last: Event | None = None
        # the Readiness's loaders (not the Readiness: no reference cycle, so all of it is freed
        # as soon as it is dropped, not by a slow cyclic collection, e.g. at exit)
        self._load: Sequence[EventLoader] | None = None

    def _lists(self, arr: Sequence[int]) -> list[list[int]]:
        o = self._offset
        return [list(arr[o + i * FIELDS:o + (i + 1) * FIELDS]) for i in range(self._stages)]

    @property
    def own(self) -> list[list[int]]:
        """The region's own tallies, per stage (a copy)."""
        return self._lists(self._flat[0])

    @property
    def pooled(self) -> list[list[int]]:
        """The tallies of the region and everything under it, per stage (a copy)."""
        return self._lists(self._flat[1])

    @property
    def last(self) -> Event | None:
        """The latest event in the subtree."""
        if self._last is None and self._at is not None and self._load is not None:
            src, locator = self._at[1]
            self._last = self._load[src](locator)
        return self._last


class _Results(dict[str, RegionResult]):
    """Region code -> RegionResult of a restored Readiness, each made when first asked for;
    every region in scope is a key."""

    def __init__(self, make: Callable[[str], RegionResult], codes: Mapping[str, int]) -> None:
        super().__init__()
        self._make = make
        self._codes = codes

    def __missing__(self, code: str) -> RegionResult:
        if code not in self._codes:
            raise KeyError(code)
        found = self[code] = self._make(code)
        return found

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def get(self, code: str, default: Any = None) -> Any:
        return self[code] if code in self._codes else default

    def _every(self) -> None:
        for code in self._codes:
            if not super().__contains__(code):
                self[code] = self._make(code)

    def values(self) -> Any:
        self._every()
        return super().values()

    def items(self) -> Any:
        self._every()
        return super().items()

    def keys(self) -> Any:
        return self._codes.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


class _Latest(Mapping[tuple[str, str], Event]):
    """(region, item id) -> the event that set the pair's status, read when asked for."""

    def __init__(self, r: Readiness) -> None:
        self._r = r

    def __getitem__(self, key: tuple[str, str]) -> Event:
        code, item_id = key
        ci = self._r._item_index.get(item_id)
        pair = self._r._pairs_of(code).get(ci if ci is not None else -1)
        if pair is None:
            raise KeyError(key)
        return self._r._event(pair[2])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        items = self._r._item_list
        for region in self._r.regions:
            for ci in self._r._pairs_of(region.code):
                yield region.code, items[ci].id

    def __len__(self) -> int:
        return sum(len(self._r._pairs_of(r.code)) for r in self._r.regions)


_PAIR_ARRAYS = (("pair_item", "H"), ("pair_status", "B"), ("pair_progress", "b"),
                ("pair_src", "q"), ("pair_loc", "q"))
# The parts of ``state()`` that only an update reads (``restore`` may be given them later).
UPDATE_ONLY = ("own_last", "ignored_by")


class Readiness:
    """Readiness of every region in scope at one as-of moment.

    Events come in as columns (``Chunk``; a list of Event objects is turned into them), are
    folded region by region into each (region, item) pair's latest status, kept as compact
    arrays, and tallied into flat arrays of integers: a national workspace's millions of events
    never exist as objects at once, and a view reads only the regions it shows."""

    conflicts: Mapping[tuple[str, str], Any]  # (region, item) -> conflicts.Conflict
    # Set by a derived cache (cache/folds.py): where it keeps this readiness, and per region a
    # number it changes whenever it folds the region again (the same number: the same pairs).
    kept: Any = None
    # Of a restored state, what only an update reads (UPDATE_ONLY), given as a call made when
    # an update first needs it: a warm run reads none of it (~10 ms at the national scale).
    _later: Callable[[], Mapping[str, Any]] | None = None
    # every region's own and pooled tallies (region, stage, field): arrays, or of a restored
    # state views of the cache file it came from (cache/entries.py)
    _own: array[int] | memoryview
    _pooled: array[int] | memoryview
    # of a restored state: its per-region rows of what the results hold (_result_rows)
    _restored_rows: tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[Any],
                          Sequence[Any]] | None = None

    def __init__(self, cycle: Cycle, regions: Sequence[Region],
                 tags: Mapping[str, frozenset[str]], events: Iterable[Event], as_of: AsOf,
                 thresholds: Thresholds, *,
                 chunks: Iterable[Chunk] | Callable[[str], list[Chunk]] | None = None,
                 conflicts: Mapping[tuple[str, str], Any] | None = None,
                 own_tags: Mapping[str, frozenset[str]] | None = None) -> None:
        """``chunks``: the events, or a call giving a region's (asked for once per region, in
        scope order, before the region is folded: it may add to ``conflicts`` for that region,
        which is kept as given)."""
        self._setup(cycle, regions, tags, as_of, thresholds, own_tags)
        self.conflicts = {} if conflicts is None else conflicts
        self._fold(event_chunks(events) if chunks is None else chunks)
        self._pool()

    def _setup(self, cycle: Cycle, regions: Sequence[Region],
               tags: Mapping[str, frozenset[str]], as_of: AsOf, thresholds: Thresholds,
               own_tags: Mapping[str, frozenset[str]] | None = None) -> None:
        self.cycle = cycle
        self.as_of = as_of
        self.thresholds = thresholds
        self.stages: tuple[Stage, ...] = cycle.stages
        self._stage_index = {s.id: i for i, s in enumerate(cycle.stages)}
        self.regions = list(regions)
        self.root = self.regions[0]
        self._by_code = {r.code: r for r in self.regions}
        self._row = {r.code: n for n, r in enumerate(self.regions)}
        self._tag_map = tags
        self._own_tag_map = own_tags or {}
        self._tags: dict[str, frozenset[str]] = {}
        # Per-region variants (checklist.Cycle.variant_key): the key of each region, and per
        # key of the variants that change dates, the items and stage starts with those dates
        # (made once per key, not per region; a cycle without variants has only the key ()).
        self._vkeys: dict[str, tuple[int, ...]] = {}
        self._tally_keys: dict[tuple[int, ...], tuple[int, ...]] = {(): ()}
        self._dated: dict[tuple[int, ...], list[Item]] = {}
        self._vdeltas: dict[tuple[int, ...], dict[tuple[int, int, int, date],
                                                  list[tuple[int, int]]]] = {}
        self._stage_starts = tuple(s.start for s in cycle.stages)
        self._stages_by_key: dict[tuple[int, ...], tuple[Stage, ...]] = {}
        self._starts_by_key: dict[tuple[int, ...], tuple[date, ...]] = {}
        self._starts_code: dict[str, tuple[date, ...]] = {}
        self._varied_starts = any(v.kind == "stage" and v.changed("start") is not None
                                  for v in cycle.variants)
        self._roles: dict[str, str] = {}
        self._code_list: list[str] | None = None
        self._applicable_of: dict[tuple[str, frozenset[str], str], tuple[Item, ...]] = {}
        self._electing: dict[str, int] | None = None
        self._item_list = list(cycle.items.values())
        self._item_index = {item.id: i for i, item in enumerate(self._item_list)}
        self._item_stage = [self._stage_index[item.stage] for item in self._item_list]
        self._block = len(self.stages) * FIELDS
        self._loaders: list[EventLoader] = []
        self._sources: list[Any] = []
        self._source_at: dict[Any, int] = {}  # source -> its index in _loaders (one per file)
        self._pairs: dict[str, dict[int, tuple[int, int, _Ref]]] = {}  # unpacked on demand
        n = len(self.regions)
        self._packed: dict[str, Any] = {name: array(code) for name, code in _PAIR_ARRAYS}
        self._packed["pair_lo"] = array("q", bytes(8 * n))
        self._packed["pair_hi"] = array("q", bytes(8 * n))
        self.event_counts: dict[str, int] = {}
        self.ignored = 0
        self.results: dict[str, RegionResult] = {}
        self._dates = {zone: as_of.date_in(zone) for zone in ZONES}
        self.conflicts = {}
        # Per region, what an incremental update needs: events of items that do not apply,
        # the latest counted event, and the ``at`` nearest below and at-or-above the cutoff of
        # every event (whether the set of counted events is the same at another cutoff).
        self._ignored = array("q", bytes(8 * n))
        self._own_last: dict[str, tuple[_Key, _Ref]] = {}
        self._below = array("d", [-_INF]) * n
        self._above = array("d", [_INF]) * n

    def tags_of(self, code: str) -> frozenset[str]:
        """A region's tags, its ancestors' included."""
        found = self._tags.get(code)
        if found is None:
            found = self._tags[code] = region_tags(code, self._tag_map, self._own_tag_map)
        return found

    def variant_key(self, code: str) -> tuple[int, ...]:
        """The variants of the cycle that apply in region ``code`` (``()``: none)."""
        if not self.cycle.variants:
            return ()
        found = self._vkeys.get(code)
        if found is None:
            region = self._by_code.get(code)
            found = self._vkeys[code] = self.cycle.variant_key(
                code, region.level if region is not None else level_of(code),
                self.tags_of(code))
        return found

    def _tally_key(self, code: str) -> tuple[int, ...]:
        """Of a region's variants, those that change a date (all that the tallies see)."""
        key = self.variant_key(code)
        found = self._tally_keys.get(key)
        if found is None:
            variants = self.cycle.variants
            found = self._tally_keys[key] = tuple(n for n in key if variants[n].dated)
        return found

    def _items_dated(self, key: tuple[int, ...]) -> list[Item]:
        """The cycle's items (in ``_item_list`` order) with the dates of ``key``'s variants."""
        if not key:
            return self._item_list
        found = self._dated.get(key)
        if found is None:
            found = self._dated[key] = [self.cycle.item_for(item, key)
                                        for item in self._item_list]
        return found

    def stages_of(self, code: str) -> tuple[Stage, ...]:
        """The stages as region ``code`` reads them (their windows and titles: variants)."""
        key = self.variant_key(code)
        if not key:
            return self.stages
        found = self._stages_by_key.get(key)
        if found is None:
            found = self._stages_by_key[key] = tuple(self.cycle.stage_for(s, key)
                                                     for s in self.stages)
        return found

    def _starts_of(self, code: str) -> tuple[date, ...]:
        """The stages' starts as region ``code`` reads them (kept per variant key, and found
        per region with one look-up: is_upcoming asks for every stage of every region)."""
        key = self.variant_key(code)
        found = self._starts_by_key.get(key)
        if found is None:
            found = self._starts_by_key[key] = tuple(s.start for s in self.stages_of(code))
        self._starts_code[code] = found
        return found

    def item_for(self, code: str, item: Item) -> Item:
        """The item as region ``code`` reads it: its variant's dates, title, owner and basis,
        and local owner names (KIP in Aceh)."""
        return self.cycle.localise(item, code, self.variant_key(code))

    def role(self, code: str) -> str:
        """``own``, ``hosted`` or ``""``: see ``role_of``."""
        found = self._roles.get(code)
        if found is None:
            found = self._roles[code] = role_of(self.cycle, code)
        return found

    def _applies(self, item: Item, region: Region, tags: frozenset[str]) -> bool:
        return item.applies_to(region.level, tags) and serves(item, self.role(region.code))

    def electing(self, code: str) -> int:
        """How many regions in scope at or under ``code`` elect a head of their own."""
        if self._electing is None:
            counts: dict[str, int] = {}
            elects = self.cycle.elects  # role() == "own", without judging the other roles
            # only a level some election is held at can elect (7.8 k kecamatan need no look)
            levels = {e.level for e in self.cycle.elections}
            for region in self.regions:
                if level_of(region.code) in levels and elects(region.code):
                    code_i: str | None = region.code
                    while code_i is not None and code_i in self._by_code:
                        counts[code_i] = counts.get(code_i, 0) + 1
                        code_i = self._by_code[code_i].parent_code
            self._electing = counts
        return self._electing.get(code, 0)

    @property
    def latest(self) -> Mapping[tuple[str, str], Event]:
        """(region, item id) -> the latest counted event of the pair."""
        return _Latest(self)

    def _event(self, ref: _Ref) -> Event:
        return self._loaders[ref[0]](ref[1])

    def _pairs_of(self, code: str) -> dict[int, tuple[int, int, _Ref]]:
        """item index -> (status code, progress or -1, event ref) of a region's recorded
        pairs."""
        found = self._pairs.get(code)
        if found is None:
            found = {}
            n = self._row.get(code)
            if n is not None:
                p = self._packed
                item, status, progress = p["pair_item"], p["pair_status"], p["pair_progress"]
                src, loc = p["pair_src"], p["pair_loc"]
                a, b = p["pair_lo"][n], p["pair_hi"][n]
                found = dict(zip(item[a:b], zip(status[a:b], progress[a:b],
                                                zip(src[a:b], loc[a:b], strict=True),
                                                strict=True),
                                 strict=True))  # slices zipped: no loop per pair in Python
            self._pairs[code] = found
        return found

    # -- folding events, region by region ----------------------------------------------------

    def _fold(self, chunks: Iterable[Chunk] | Callable[[str], list[Chunk]]) -> None:
        """Per (region, item) the latest event (by order_key) that happened before the region's
        cutoff; per region how many events count and the latest of them; then the region's own
        tallies. Regions are finished one at a time, so only one region's pairs are objects."""
        cutoffs = {zone: self.as_of.cutoff_in(zone) for zone in ZONES}
        block = self._block
        own = array("q")
        baselines: dict[tuple[str, frozenset[str], date, str, tuple[int, ...]], array[int]] = {}
        if callable(chunks):
            of = chunks
        else:
            by_region: dict[str, list[Chunk]] = {}
            for ch in chunks:
                if ch.region in self._by_code:
                    by_region.setdefault(ch.region, []).append(ch)

            def of(code: str) -> list[Chunk]:
                return by_region.pop(code, [])
        self._deltas: dict[tuple[int, int, int, date], list[tuple[int, int]]] = {}
        self._vdeltas = {}
        for n, region in enumerate(self.regions):
            d = self._dates[region.timezone]
            key = (region.level, self.tags_of(region.code), d, self.role(region.code),
                   self._tally_key(region.code))
            base = baselines.get(key)
            if base is None:
                base = baselines[key] = self._baseline(region, d)
            mine = of(region.code)
            if not mine:
                own.extend(base)
            else:
                own.extend(self._fold_region(n, region, mine, cutoffs[region.timezone], base))
            self.results[region.code] = RegionResult(
                region, d, (own, own), n * block, len(self.stages),
                self.event_counts.get(region.code, 0))
        self._own = own
        del self._deltas

    def _fold_region(self, n: int, region: Region, chunks: list[Chunk], cut: float,
                     base: Sequence[int], prior: Callable[[_Ref], _Key] | None = None
                     ) -> list[int]:
        """A region's pairs, counts and own tallies from ``base`` (its baseline). With
        ``prior`` (an update), ``chunks`` hold only the events added since the region was
        folded and ``base`` is its own tallies as folded: only the pairs they touch change,
        ``prior`` giving the order key of a kept pair's event."""
        code = region.code
        index, items = self._item_index, self._item_list
        applicable = {item.id for item in self._applicable(code)}
        keys: dict[int, _Key] = {}
        best: dict[int, tuple[int, int, int, int]] = {}  # item index -> status, progress, ref
        last: tuple[_Key, _Ref] | None = None
        count = ignored = 0
        below, above = -_INF, _INF
        for ch in chunks:
            src = self.number(ch)
            if len(ch.at):
                top = max(ch.at)
                if top < cut:  # the usual case: every event before the cutoff
                    below = max(below, top)
                else:
                    below = max([below, *(a for a in ch.at if a < cut)])
                    above = min(above, min(a for a in ch.at if a >= cut))
            cmap = [index.get(name, -1) for name in ch.items]
            ok = [name in applicable for name in ch.items]
            skip, ids, rec, item, locate = ch.skip, ch.ids, ch.rec, ch.item, ch.locate
            for pos, a in enumerate(ch.at):
                if a >= cut or (skip and pos in skip):
                    continue
                li = item[pos]
                if not ok[li]:
                    ignored += 1
                    continue
                count += 1
                key = (a, rec[pos], b"" if ids is None else ids[16 * pos:16 * pos + 16])
                ci = cmap[li]
                cur = keys.get(ci)
                if cur is None or key > cur:
                    keys[ci] = key
                    best[ci] = (ch.status[pos], ch.progress[pos], src, locate[pos])
                if last is None or key > last[0]:
                    last = (key, (src, locate[pos]))
        old = {} if prior is None else self._pairs_of(code)
        if prior is not None:  # the kept counts, and the kept pairs whose event is later
            best = {ci: v for ci, v in best.items() if ci not in old or keys[ci] > prior(
                old[ci][2])}
            count, ignored = count + self.event_counts.get(code, 0), ignored + self._ignored[n]
            below, above = max(below, self._below[n]), min(above, self._above[n])
            was = self._own_last.get(code)
            last = was if last is None or (was is not None and was[0] > last[0]) else last
        self.ignored += ignored - self._ignored[n]
        self._ignored[n] = ignored
        self._below[n], self._above[n] = below, above
        if self.conflicts:
            for ci in best:
                if (code, items[ci].id) in self.conflicts:  # blocked until a decision
                    best[ci] = (_BLOCKED, -1, best[ci][2], best[ci][3])
        self.event_counts.pop(code, None)
        if count:
            self.event_counts[code] = count
        self._own_last.pop(code, None)
        if last is not None:
            self._own_last[code] = last
        # the region's own tallies: its baseline (everything to do) plus what each pair changed
        tally = list(base)
        d = self._dates[region.timezone]
        tkey = self._tally_key(code)
        for ci, (st, progress, _src, _loc) in best.items():
            for i, v in self._delta(ci, st, progress, d, tkey):
                tally[i] += v
            if ci in old:  # (an update: what the kept pair added goes)
                for i, v in self._delta(ci, old[ci][0], old[ci][1], d, tkey):
                    tally[i] -= v
        self._pairs.pop(code, None)
        p = self._packed
        lo = p["pair_lo"][n]
        if old and best.keys() <= old.keys():  # (an update: each pair in its place)
            for ci, values in best.items():
                k = bisect.bisect_left(p["pair_item"], ci, lo, p["pair_hi"][n])
                for (name, _code), v in zip(_PAIR_ARRAYS[1:], values, strict=True):
                    p[name][k] = v
            return tally
        for ci, (st, progress, ref) in old.items():
            best.setdefault(ci, (st, progress, *ref))
        rows = [(ci, *best[ci]) for ci in sorted(best)]  # item, status, progress, src, loc
        if len(rows) > p["pair_hi"][n] - lo:  # appended: an update leaves the old ones unused
            self._growable()
            lo = p["pair_lo"][n] = len(p["pair_item"])
            for (name, _code), values in zip(_PAIR_ARRAYS, zip(*rows, strict=True), strict=False):
                p[name].extend(values)
        else:  # in the region's place (a restored state's views are changed in place)
            for (name, _code), values in zip(_PAIR_ARRAYS, zip(*rows, strict=True), strict=False):
                p[name][lo:lo + len(rows)] = array(_typecode(p[name]), values)
        p["pair_hi"][n] = lo + len(rows)
        return tally

    # -- what a derived store (cache/folds.py) keeps with a state: events are referred to as
    # (source number, locator), a source being where a chunk's events are read from

    @property
    def loaders(self) -> Sequence[EventLoader]:
        """Each source's event loader, by source number."""
        return self._loaders

    @property
    def rows(self) -> Mapping[str, int]:
        """Region code -> its row: its place in ``regions`` and in the state's arrays."""
        return self._row

    def source_number(self, source: Any) -> int:
        """The number of a source already folded (KeyError if none)."""
        return self._source_at[source]

    def number(self, ch: Chunk) -> int:
        """The number of a chunk's source (its loader's index), numbered now if new: one per
        source (record file), however often its region is folded again."""
        if ch.source is not None:
            found = self._source_at.get(ch.source)
            if found is not None:
                return found
            self._source_at[ch.source] = len(self._loaders)
        self._loaders.append(ch.load)
        self._sources.append(ch.source)
        return len(self._loaders) - 1

    def _delta(self, ci: int, st: int, progress: int, d: date,
               tkey: tuple[int, ...] = ()) -> list[tuple[int, int]]:
        """(flat index within a region's block, change) of one pair leaving ``todo``, with
        the dates of the variants of ``tkey``."""
        deltas = self._deltas if not tkey else self._vdeltas.setdefault(tkey, {})
        found = deltas.get((ci, st, progress, d))
        if found is None:
            item = self._items_dated(tkey)[ci]
            warn = d + timedelta(days=self.thresholds.warn_days)
            now = _contribution(item, STATUSES[st], None if progress < 0 else progress, d, warn)
            todo = _contribution(item, "todo", None, d, warn)
            o = self._item_stage[ci] * FIELDS
            found = [(o + f, now[f] - todo[f]) for f in range(FIELDS) if now[f] != todo[f]]
            deltas[(ci, st, progress, d)] = found
        return found

    def _baseline(self, region: Region, d: date) -> array[int]:
        warn = d + timedelta(days=self.thresholds.warn_days)
        tags = self.tags_of(region.code)
        tkey = self._tally_key(region.code)
        dated = self._items_dated(tkey)
        tallies = [0] * self._block
        for stage_i, stage in enumerate(self.stages):
            for item in stage.items:
                if self._applies(item, region, tags):
                    if tkey:
                        item = dated[self._item_index[item.id]]
                    t = _contribution(item, "todo", None, d, warn)
                    for f in range(FIELDS):
                        tallies[stage_i * FIELDS + f] += t[f]
        return array("q", tallies)

    def _pool(self) -> None:
        """Pool each region's tallies into its parent's, bottom up; count children per level,
        children with no report, and find each subtree's latest event."""
        self._pooled = array("q", self._own)
        for res in self.results.values():
            res._flat = (self._own, self._pooled)
            res._load = self._loaders
        kids = self._children()
        for region in reversed(self.regions):  # children come after parents in code order
            self._pool_region(region.code, kids.get(region.code, ()))

    def _children(self) -> dict[str, list[str]]:
        """Parent code -> the codes of its children in scope, in code order."""
        out: dict[str, list[str]] = {}
        for region in self.regions:
            if region is not self.root and (region.parent_code or "") in self.results:
                out.setdefault(region.parent_code or "", []).append(region.code)
        return out

    def _pool_region(self, code: str, kids: Sequence[str]) -> None:
        """A region's pooled tallies, subtree events, latest event and children's levels, from
        its own and its children's (already pooled); children in reverse code order, as a
        bottom-up pass meets them (the order ``child_levels`` lists levels in)."""
        block, add, row = self._block, operator.add, self._row
        result = self.results[code]
        o = row[code] * block
        acc = self._own[o:o + block]
        subtree = result.events
        at = self._own_last.get(code)
        no_report = 0
        levels: dict[str, int] = {}
        for kid in reversed(kids):
            child_result = self.results[kid]
            c = row[kid] * block
            child = self._pooled[c:c + block]
            if child_result.subtree_events == 0:  # unreported: weights count, flags do not
                child = array("q", child)
                for f0 in range(0, block, FIELDS):
                    for f in STATUS_FLAGS:
                        child[f0 + f] = 0
            acc = array("q", map(add, acc, child))
            subtree += child_result.subtree_events
            if child_result._at is not None and (at is None or child_result._at[0] > at[0]):
                at = child_result._at
            if child_result.subtree_events == 0:
                no_report += 1
            else:
                level = self.overall(kid).level
                if level is not None:
                    levels[level] = levels.get(level, 0) + 1
        self._set_block(True, o, acc)
        result.subtree_events = subtree
        result._at = at
        result._last = None
        result.no_report_children = no_report
        result.child_levels = levels

    # -- an incremental update of a restored Readiness -----------------------------------------

    def update(self, chunks: Mapping[str, Sequence[Chunk]],
               conflicts: Mapping[tuple[str, str], Any], retally: bool = False,
               added: Mapping[str, Sequence[Chunk]] | None = None,
               prior: Callable[[_Ref], _Key] | None = None) -> None:
        """Fold the regions in ``chunks`` again from all of their events, as ``__init__``
        would, with ``conflicts`` the scope's conflicts now; with ``retally`` (the as-of dates
        moved, the events counted in the other regions did not) tally every other region again
        from its pairs. ``added``: regions whose only change is events added (their conflicts
        unchanged), folded into their kept pairs (``_fold_region``'s ``prior``). Then pool
        again what changed: the regions folded and their ancestors (everything, with
        ``retally``)."""
        self._writable()
        self.conflicts = conflicts
        self._pairs = {}
        self._deltas = {}
        self._vdeltas = {}
        cutoffs = {zone: self.as_of.cutoff_in(zone) for zone in ZONES}
        block = self._block
        baselines: dict[tuple[str, frozenset[str], date, str, tuple[int, ...]], array[int]] = {}

        def baseline(region: Region) -> array[int]:
            d = self._dates[region.timezone]
            key = (region.level, self.tags_of(region.code), d, self.role(region.code),
                   self._tally_key(region.code))
            if key not in baselines:
                baselines[key] = self._baseline(region, d)
            return baselines[key]

        for code, mine in chunks.items():
            n = self._row[code]
            region = self.regions[n]
            self._set_block(False, n * block, self._fold_region(
                n, region, list(mine), cutoffs[region.timezone], baseline(region)))
            self.results[code].events = self.event_counts.get(code, 0)
        for code, mine in (added or {}).items():
            assert prior is not None, "added events need the kept pairs' order keys"
            n = self._row[code]
            region = self.regions[n]
            self._set_block(False, n * block, self._fold_region(
                n, region, list(mine), cutoffs[region.timezone],
                self._own[n * block:n * block + block], prior))
            self.results[code].events = self.event_counts.get(code, 0)
        if added:
            chunks = {**chunks, **added}  # (pooled below as those folded whole)
        if retally:
            for n, region in enumerate(self.regions):
                if region.code not in chunks:
                    self._set_block(False, n * block, self._retally(n, region,
                                                                    baseline(region)))
        del self._deltas
        if retally:
            self._pool()
            return
        todo: set[str] = set()
        for code in chunks:
            here: str | None = code
            while here is not None and here in self.results and here not in todo:
                todo.add(here)
                region = self._by_code[here]
                here = None if region is self.root else region.parent_code
        children = self._children() if len(todo) > POOL_MAP else None
        for code in sorted(todo, key=lambda c: -self._by_code[c].depth):  # children first
            self._pool_region(code, self._kids(code) if children is None
                              else children.get(code, []))

    def _writable(self) -> None:
        """The tallies and pairs writable: a restored state holds views of a cache file
        (cache/entries.py), copy-on-write, that an update changes in place; a read-only one is
        copied first."""
        own, pooled = _changeable(self._own), _changeable(self._pooled)
        for name in self._packed:
            self._packed[name] = _changeable(self._packed[name])
        if own is not self._own or pooled is not self._pooled:
            self._own, self._pooled = own, pooled
            self._reflat()

    def _reflat(self) -> None:
        """The results made so far read the current arrays (those made later take them as
        they are made)."""
        for res in dict.values(self.results):
            res._flat = (self._own, self._pooled)

    def _growable(self) -> None:
        """The pair arrays as arrays of their own (views cannot grow)."""
        for name, _code in _PAIR_ARRAYS:
            self._packed[name] = _own_array(self._packed[name])

    def _kids(self, code: str) -> list[str]:
        """The codes of a region's children in scope, in code order (below the root, a
        region's subtree is one run of the codes in order: a bisection finds it)."""
        region = self._by_code[code]
        codes = self._codes()
        if region is self.root or codes is None:
            return [r.code for r in self.regions if r is not self.root and r.parent_code == code]
        lo = bisect.bisect_right(codes, code)
        hi = bisect.bisect_left(codes, code + "/", lo)  # "/" sorts right after "."
        return [c for c in codes[lo:hi] if c.startswith(code + ".") and "." not in
                c[len(code) + 1:]]

    def _codes(self) -> list[str] | None:
        """The codes below the root, if they are in string order (else None)."""
        if self._code_list is None:
            codes = [r.code for r in self.regions[1:]]
            ordered = codes == sorted(codes) and len(set(codes)) == len(codes)
            self._code_list = codes if ordered else []
        return self._code_list or None

    def _set_block(self, pooled: bool, o: int, values: Sequence[int]) -> None:
        """Write one region's tallies into the own (or pooled) array, widening the array to
        64-bit integers if a value does not fit (a restored state keeps 32-bit ones)."""
        arr = self._pooled if pooled else self._own
        try:
            arr[o:o + self._block] = array(_typecode(arr), values)
        except OverflowError:
            arr = array("q", arr)
            arr[o:o + self._block] = array("q", values)
            if pooled:
                self._pooled = arr
            else:
                self._own = arr
            self._reflat()

    def _retally(self, n: int, region: Region, base: array[int]) -> array[int]:
        """A region's own tallies from its pairs as folded (at other as-of dates)."""
        tally = list(base)
        d = self._dates[region.timezone]
        p = self._packed
        item, status, progress = p["pair_item"], p["pair_status"], p["pair_progress"]
        tkey = self._tally_key(region.code)
        for k in range(p["pair_lo"][n], p["pair_hi"][n]):
            for i, v in self._delta(item[k], status[k], progress[k], d, tkey):
                tally[i] += v
        return array("q", tally)

    # -- a compact, picklable form (for a derived cache) --------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the views read, as arrays and plain values, with the chunks' ``source``
        of each loader (what ``restore`` is given loaders for)."""
        self._writable()
        own, pooled = self._own, self._pooled
        if _typecode(pooled) != "i" and max(pooled, default=0) < 2**31:  # half the size
            own, pooled = array("i", own), array("i", pooled)
        events, subtree, no_report, levels, last = self._result_rows()
        return {
            **self._compact_pairs(), "ignored_by": self._ignored,
            "own_last": [self._own_last.get(r.code) for r in self.regions],
            "below": self._below, "above": self._above,
            "codes": [r.code for r in self.regions], "names": [r.name for r in self.regions],
            "own": own, "pooled": pooled, "events": events, "subtree": subtree,
            "no_report": no_report, "levels": levels, "last": last,
            "ignored": self.ignored, "sources": list(self._sources),
        }

    def _result_rows(self) -> tuple[array[int], array[int], array[int], list[Any], list[Any]]:
        """Per region: events, subtree events, children with no report, children's levels,
        latest event. Of a restored state, its rows with those of the results made since (a
        result not made is as restored: an update makes every result it changes)."""
        if self._restored_rows is None:
            results = [self.results[r.code] for r in self.regions]
            return (array("q", (x.events for x in results)),
                    array("q", (x.subtree_events for x in results)),
                    array("q", (x.no_report_children for x in results)),
                    [tuple(x.child_levels.items()) for x in results], [x._at for x in results])
        events, subtree, no_report, levels, last = self._restored_rows
        events, subtree, no_report = array("q", events), array("q", subtree), array("q", no_report)
        levels, last = list(levels), list(last)
        for x in dict.values(self.results):
            n = self._row[x.region.code]
            events[n], subtree[n], no_report[n] = x.events, x.subtree_events, x.no_report_children
            levels[n], last[n] = tuple(x.child_levels.items()), x._at
        return events, subtree, no_report, levels, last

    def _compact_pairs(self) -> dict[str, array[int]]:
        """The pair arrays; when updates left many pairs unused, without them, each region's in
        region order."""
        p = self._packed
        lo, hi = p["pair_lo"], p["pair_hi"]
        if 10 * (sum(hi) - sum(lo)) >= 9 * len(p["pair_item"]):  # a tenth unused at most
            return dict(p)
        out = {name: array(_typecode(p[name])) for name, _code in _PAIR_ARRAYS}
        out["pair_lo"], out["pair_hi"] = array("q"), array("q")
        for a, b in zip(lo, hi, strict=True):
            out["pair_lo"].append(len(out["pair_item"]))
            for name, _code in _PAIR_ARRAYS:
                out[name].frombytes(memoryview(p[name])[a:b].cast("B"))
            out["pair_hi"].append(len(out["pair_item"]))
        return out

    @functools.cached_property
    def _source_at(self) -> dict[Any, int]:
        """Of a restored state: source -> its index in _loaders (an update numbers new
        chunks by it)."""
        return {src: i for i, src in enumerate(self._sources) if src is not None}

    @functools.cached_property
    def _own_last(self) -> dict[str, tuple[_Key, _Ref]]:
        """Of a restored state: each region's latest counted event (an update pools it)."""
        own_last = self._update_only()["own_last"]
        return {r.code: at for r, at in zip(self.regions, own_last, strict=True)
                if at is not None}

    @functools.cached_property
    def _ignored(self) -> array[int]:
        """Of a restored state: per region, its events of items that do not apply."""
        return array("q", self._update_only()["ignored_by"])

    def _update_only(self) -> Mapping[str, Any]:
        part = self._later() if self._later is not None else {}
        if any(len(part.get(k, ())) != len(self.regions) for k in UPDATE_ONLY):
            raise ValueError("the state does not fit this cycle and scope")
        return part

    @classmethod
    def restore(cls, cycle: Cycle, tags: Mapping[str, frozenset[str]], as_of: AsOf,
                thresholds: Thresholds, state: Mapping[str, Any],
                loaders: Sequence[EventLoader],
                conflicts: Mapping[tuple[str, str], Any] | None = None,
                later: Callable[[], Mapping[str, Any]] | None = None,
                own_tags: Mapping[str, frozenset[str]] | None = None) -> Readiness:
        """A Readiness from ``state()`` of one computed with the same cycle, scope, tags,
        thresholds and per-zone dates, without folding anything (at other dates: ``update``
        with ``retally``). ``conflicts``: those it was computed with. ``later``: the parts of
        the state only an update reads (UPDATE_ONLY), if they are not in ``state``, called
        when an update first needs them (a ValueError then if they do not fit)."""
        self = cls.__new__(cls)
        regions = [Region(code, name, level_of(code), timezone_of(code))
                   for code, name in zip(state["codes"], state["names"], strict=True)]
        self._setup(cycle, regions, tags, as_of, thresholds, own_tags)
        # a list subclass stays itself (a cache may create loaders only when one is asked for)
        self._loaders = loaders if isinstance(loaders, list) else list(loaders)
        self._sources = list(state["sources"])
        # made from the state when an update first needs them (the properties above)
        del self._source_at, self._own_last, self._ignored
        self._later = later if later is not None else (
            lambda: {k: state[k] for k in UPDATE_ONLY})
        self._packed = {name: state[name] for name, _ in _PAIR_ARRAYS}
        self._packed["pair_lo"], self._packed["pair_hi"] = state["pair_lo"], state["pair_hi"]
        self._own, self._pooled = state["own"], state["pooled"]
        stages, block = len(self.stages), self._block
        n_pairs = len(self._packed["pair_item"])
        if (len(self._own) != len(regions) * block or len(self._pooled) != len(self._own)
                or any(len(self._packed[name]) != n_pairs for name, _ in _PAIR_ARRAYS)
                or len(state["pair_hi"]) != len(regions) or max(state["pair_hi"], default=0)
                > n_pairs or any(len(state[k]) != len(regions) for k in (
                    "events", "subtree", "no_report", "levels", "last", "pair_lo",
                    "below", "above"))):
            raise ValueError("the state does not fit this cycle and scope")
        dates = self._dates
        events, subtree, no_report = state["events"], state["subtree"], state["no_report"]
        levels, last = state["levels"], state["last"]
        self._restored_rows = (events, subtree, no_report, levels, last)

        def result(code: str) -> RegionResult:
            n = self._row[code]
            region = regions[n]
            res = RegionResult(region, dates[region.timezone], (self._own, self._pooled),
                               n * block, stages, events[n])
            res.subtree_events = subtree[n]
            res.no_report_children = no_report[n]
            if levels[n]:
                res.child_levels = dict(levels[n])
            res._at = last[n]
            res._load = self._loaders
            return res

        # made when a view first asks for a region (a national state has thousands)
        self.results = _Results(result, self._row)
        self.event_counts = {code: e for code, e in zip(state["codes"], events, strict=True)
                             if e}
        self.ignored = state["ignored"]
        self._below, self._above = array("d", state["below"]), array("d", state["above"])
        self.conflicts = conflicts or {}
        return self

    # -- views -------------------------------------------------------------------------------

    def _stage_tally(self, code: str, stage_i: int) -> Sequence[int]:
        o = self._row[code] * self._block + stage_i * FIELDS
        return self._pooled[o:o + FIELDS]

    def is_upcoming(self, code: str, stage_i: int) -> bool:
        """A stage that has not started and has nothing due within warn_days (for ``code``)."""
        result = self.results[code]
        start = (self._stage_starts if not self._varied_starts
                 else self._starts_code.get(code) or self._starts_of(code))[stage_i]
        return start > result.d and not self._pooled[
            self._row[code] * self._block + stage_i * FIELDS + DUE_WITHIN]

    def stage(self, code: str, stage_id: str) -> Summary:
        """One stage of a region's subtree (NO_REPORT for a live stage of a subtree that has
        reported nothing)."""
        stage_i = self._stage_index[stage_id]
        t = self._stage_tally(code, stage_i)
        level = judge(t, self.thresholds.red_gap, self.is_upcoming(code, stage_i))
        if level not in (None, UPCOMING) and self.no_report(code):
            level = NO_REPORT
        return summary(t, level)

    def overall(self, code: str) -> Summary:
        """Every stage of a region's subtree; upcoming stages are left out of the level."""
        o, block, pooled = self._row[code] * self._block, self._block, self._pooled
        total = [sum(pooled[o + f:o + block:FIELDS]) for f in range(FIELDS)]
        judged = list(total)
        for stage_i in range(len(self.stages)):
            if self.is_upcoming(code, stage_i):
                _add(judged, pooled[o + stage_i * FIELDS:o + (stage_i + 1) * FIELDS], -1)
        # Score and expected cover the whole cycle; the warning flags only live stages.
        for i in (W, CREDIT, EXPECTED):
            judged[i] = total[i]
        level = judge(judged, self.thresholds.red_gap)
        if level is not None and self.no_report(code):
            level = NO_REPORT
        return summary(total, level)

    def children(self, code: str) -> list[Region]:
        """The regions in scope directly under ``code``."""
        return [r for r in self.regions if r.parent_code == code]

    def no_report(self, code: str) -> bool:
        """No event at all in the region's subtree up to the as-of date."""
        return self.results[code].subtree_events == 0

    def items(self, code: str, stage_id: str | None = None, open_only: bool = False
              ) -> list[ItemState]:
        """Every applicable item of one region (not its subtree), in stage order, as the region
        reads it (local owner names, e.g. KIP for KPU in Aceh); with ``open_only``, only those
        neither done nor n/a (what a list of late items looks at, at a fraction of the cost)."""
        d = self.results[code].d
        pairs = self._pairs_of(code)
        index = self._item_index
        warn_days = self.thresholds.warn_days
        closed = _CLOSED if open_only else ()
        key = self.variant_key(code)
        out = []
        for item in self._applicable(code):
            if stage_id is not None and item.stage != stage_id:
                continue
            pair = pairs.get(index[item.id])
            if pair is not None and pair[0] in closed:
                continue
            local = self.cycle.localise(item, code, key)
            if pair is None:
                out.append(item_state(local, code, d, warn_days, None))
            else:
                out.append(item_state(
                    local, code, d, warn_days, None, STATUSES[pair[0]],
                    None if pair[1] < 0 else pair[1],
                    functools.partial(self._loaders[pair[2][0]], pair[2][1])))
                if (code, item.id) in self.conflicts:
                    out[-1]._conflicts = self.conflicts
        return out

    def _applicable(self, code: str) -> tuple[Item, ...]:
        """The items that apply to a region, in stage order (the same for every region of one
        level, tags and role: kept per those)."""
        region = self._by_code[code]
        tags = self.tags_of(code)
        key = (region.level, tags, self.role(code))
        found = self._applicable_of.get(key)
        if found is None:
            found = self._applicable_of[key] = tuple(
                item for stage in self.stages for item in stage.items
                if self._applies(item, region, tags))
        return found

    def preload(self, states: Iterable[ItemState]) -> None:
        """Read the events (and conflicts' sides) of ``states`` at once, one open per record
        file, for a view that shows many of them (loaders that can read several at once have
        a ``many`` method; the others are asked one by one, when a view asks)."""
        by_loader: dict[Any, list[ItemState]] = {}
        keys = []
        for st in states:
            load = st._load
            if isinstance(load, functools.partial) and hasattr(load.func, "many"):
                by_loader.setdefault(load.func, []).append(st)
            if st._conflicts is not None:
                keys.append((st.region, st.item.id))
        for loader, mine in by_loader.items():
            for st, ev in zip(mine, loader.many([st._load.args[0] for st in mine]),  # type: ignore[union-attr]
                              strict=True):
                st._event, st._load = ev, None
        preload = getattr(self.conflicts, "preload", None)
        if keys and preload is not None:
            preload(keys)

    def region(self, code: str) -> Region:
        """A region in scope by code (KeyError if it is not in scope)."""
        return self._by_code[code]

    def subtree(self, code: str) -> list[Region]:
        """The regions in scope under ``code`` (not itself)."""
        prefix = "" if code == self.root.code and code == "ID" else code + "."
        return [r for r in self.regions if r.code.startswith(prefix) and r.code != code]


def days_to_voting(cycle: Cycle, d: date) -> int:
    """Days from ``d`` to voting day (positive before it): H-N is N."""
    return (cycle.voting_day - d).days


def worst_first(levels: Mapping[str, int]) -> list[tuple[str, int]]:
    """Level counts ordered worst first."""
    return [(lvl, levels[lvl]) for lvl in LEVEL_ORDER if levels.get(lvl)]
