"""Which open pairs ``due`` lists: a late, blocked or upcoming pair as ``DueEntry``, with
its place in the list as one number (views.due_list sorts by it; render/duetext.py keeps it
per region). Pure: no printing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilkada_cli.domain.checklist import Item
    from pilkada_cli.domain.readiness import Readiness

Sides = tuple[tuple[str, int | None, str, str], ...]
# One open pair of a region as ``due`` keeps it (cache/dues.py keeps a region's list of them,
# as plain tuples): item id, status, progress (or None); for a blocked pair, the date its event
# happened in the region's zone (a date ordinal, 0 when none) and the event's note; for a
# conflict, its sides as (status, progress or None, by, origin), latest first (else None).
OpenPair = tuple[str, str, int | None, int, str, Sides | None]
DAYS = 2**22 - 1  # more days than between date.min and date.max


class DueEntry:
    """A late, blocked or upcoming pair as ``due`` lists it: an ItemState's numbers and, for a
    blocked pair, since when (None: no event) and why, and a conflict's sides as (status,
    progress, by, office)."""

    __slots__ = ("region", "item", "status", "progress", "due", "overdue", "due_soon",
                 "days_late", "since", "note", "conflict", "under_way")

    def __init__(self, region: str, item: Item, status: str, progress: int | None,
                 overdue: bool, due_soon: bool, days_late: int, since: date | None, note: str,
                 conflict: Sides | None, under_way: bool = False) -> None:
        self.region = region
        self.item = item
        self.status = status
        self.progress = progress
        self.due = item.due
        self.overdue = overdue
        self.due_soon = due_soon
        self.days_late = days_late
        self.since = since
        self.note = note
        self.conflict = conflict
        self.under_way = under_way  # a window item between its start and its end


class DuePick:
    """Which of a region's open pairs ``due`` lists, as DueEntry values, each with its place
    in the list as one number (``due_list`` sorts by it; ties keep region, then item order)."""

    def __init__(self, r: Readiness, offices: Callable[[], Mapping[str, str]], within: int,
                 overdue_only: bool = False, owner: str | None = None,
                 critical_only: bool = False, stage: str | None = None) -> None:
        self.r, self.offices, self.within = r, offices, within
        self.overdue_only, self.critical_only, self.stage = overdue_only, critical_only, stage
        self.wanted = None if owner is None else owner.casefold()
        self.names: Mapping[str, str] | None = None
        # per region variant key: each item's due date and, of a window item, its start (as
        # date ordinals), made once per key
        self._days: dict[tuple[int, ...], tuple[dict[str, int], dict[str, int]]] = {}

    def days(self, key: tuple[int, ...]) -> tuple[dict[str, int], dict[str, int]]:
        """Item id -> due date, and item id -> start of a window item, with the dates of the
        variants of ``key`` (a region's ``variant_key``)."""
        found = self._days.get(key)
        if found is None:
            cycle = self.r.cycle
            items = [cycle.item_for(item, key) for item in cycle.items.values()]
            found = self._days[key] = ({i.id: i.due.toordinal() for i in items},
                                       {i.id: i.start.toordinal() for i in items if i.start})
        return found

    def region(self, code: str, block: Sequence[OpenPair], out: list[DueEntry],
               keys: list[int]) -> None:
        """Append the listed pairs of region ``code`` (its ``open_pairs``) and their keys."""
        r, wanted = self.r, self.wanted
        items, localise = r.cycle.items, r.cycle.localise
        d = r.results[code].d
        day = d.toordinal()
        horizon, soon = day + self.within, day + r.thresholds.warn_days
        key = r.variant_key(code)
        due_days, start_days = self.days(key)
        local = bool(key) or bool(r.cycle.owner_names(code))
        for item_id, status, progress, since, note, sides in block:
            item = items[item_id]
            if local:
                item = localise(item, code, key)
            if wanted is not None and wanted not in (item.owner.casefold(),
                                                     items[item_id].owner.casefold()):
                continue  # a local name (KIP in Aceh) or the cycle's (KPU) both match
            if self.critical_only and not item.critical:
                continue
            if self.stage is not None and item.stage != self.stage:
                continue
            due = due_days[item_id]
            overdue = due < day
            start = start_days.get(item_id) if start_days else None
            under_way = start is not None and start <= day <= due
            if overdue or (not self.overdue_only and (status == "blocked" or due <= horizon
                                                      or under_way)):
                conflict = None
                if sides is not None:
                    if self.names is None:
                        self.names = self.offices()
                    names = self.names
                    conflict = tuple((st, p, by, names.get(o, o)) for st, p, by, o in sides)
                late = day - due if overdue else 0
                out.append(DueEntry(code, item, status, progress, overdue,
                                    not overdue and day <= due <= soon, late,
                                    date.fromordinal(since) if since else None, note, conflict,
                                    under_way))
                # (not (overdue and critical), not overdue, not blocked, -late, due) as one
                # number (days and date ordinals stay under 2**22); ties keep this order
                keys.append(((not (overdue and item.critical)) << 46 | (not overdue) << 45
                             | (status != "blocked") << 44) + ((DAYS - late) << 22) + due)
