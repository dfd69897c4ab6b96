"""The audit trail (``pilkada log``): which events it shows, in which order, and its JSON
contract. Pure: the events come from the caller (loading.log_stream, in order from the kept
keys; ``log_filter`` and ``log_json`` are the reference the streamed log is tested against).
``LogSummary`` is what the columns of the log's table need to know of the events it shows
(their widths), gathered without holding them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pilkada_cli.domain.events import Event, order_key
from pilkada_cli.domain.regions import within

LOG_SCHEMA = "pilkada.log/2"  # 2: office_verified
# origin id -> the name it is shown by (trust.office_names); an origin not in it shows its id
Offices = Mapping[str, str]


@dataclass(frozen=True)
class LogQuery:
    """Which events ``pilkada log`` shows: of a region and those under it, of an item, from
    and up to a date (when it happened, in the offset it was recorded with), by a person
    (whatever the case)."""

    region: str | None = None
    item: str | None = None
    since: date | None = None
    until: date | None = None
    by: str | None = None

    def matches(self, ev: Event) -> bool:
        """Whether the log shows ``ev``."""
        if self.region and not within(ev.region, self.region):
            return False
        if self.item and ev.item != self.item:
            return False
        if self.by and ev.by.casefold() != self.by.casefold():
            return False
        day = ev.at.day  # the date it happened, where it was recorded (its own offset)
        return not ((self.since and day < self.since) or (self.until and day > self.until))


def log_filter(events: Iterable[Event], region: str | None = None, item: str | None = None,
               since: date | None = None, until: date | None = None,
               by: str | None = None) -> list[Event]:
    """The audit trail, newest first (a deterministic order every office shares)."""
    query = LogQuery(region, item, since, until, by)
    out = [ev for ev in events if query.matches(ev)]
    out.sort(key=order_key, reverse=True)
    return out


@dataclass
class LogSummary:
    """What the log's table columns need to know of the events shown: how many, in which time
    zones, the widest region name (length, terminal cells), which items, people and offices,
    which statuses (status, progress, undo), the widest note and evidence (length, cells, and
    whether any has more than blanks), and per zone and month the most digits a day and year
    of each time take there (a shown date's width)."""

    count: int = 0
    zones: set[str] = field(default_factory=set)
    names: tuple[int, int] = (0, 0)
    origins: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    bys: set[str] = field(default_factory=set)
    combos: set[tuple[str, int | None, bool]] = field(default_factory=set)
    note: tuple[int, int, bool] = (0, 0, False)
    evidence: tuple[int, int, bool] = (0, 0, False)
    at_digits: dict[str, list[int]] = field(default_factory=dict)  # zone -> per month
    rec_digits: dict[str, list[int]] = field(default_factory=dict)

    def widen(self, note: tuple[int, int, bool], evidence: tuple[int, int, bool],
              name: tuple[int, int]) -> None:
        """Take a note's, evidence's (length, cells, any) and a name's into account."""
        a, b, c = self.note, self.evidence, self.names
        self.note = (max(a[0], note[0]), max(a[1], note[1]), a[2] or note[2])
        self.evidence = (max(b[0], evidence[0]), max(b[1], evidence[1]), b[2] or evidence[2])
        self.names = (max(c[0], name[0]), max(c[1], name[1]))

    def dates(self, zone: str, at_digits: Iterable[int], rec_digits: Iterable[int]) -> None:
        """Take per-month digits of dates shown in ``zone`` into account."""
        self.zones.add(zone)
        for kept, more in ((self.at_digits, at_digits), (self.rec_digits, rec_digits)):
            old = kept.get(zone, [0] * 12)
            kept[zone] = [max(x, y) for x, y in zip(old, more, strict=True)]


def event_json(ev: Event, offices: Offices, verified: Collection[str] = ()) -> dict[str, Any]:
    """One event of the trail as JSON (``office``: null when the origin never said;
    ``office_verified``: whether this workspace vouches for that name, its origin being in
    ``verified``)."""
    return {"at": ev.at.text, "recorded": ev.recorded.text, "region": ev.region, "item": ev.item,
            "status": ev.status, "progress": ev.progress, "by": ev.by, "note": ev.note,
            "evidence": list(ev.evidence), "id": ev.id, "undoes": ev.undoes,
            "origin": ev.origin, "office": offices.get(ev.origin),
            "office_verified": ev.origin in verified}


def log_json(events: Sequence[Event], offices: Offices | None = None,
             verified: Collection[str] = ()) -> dict[str, Any]:
    """The versioned JSON contract of ``pilkada log`` (schema ``pilkada.log/2``)."""
    verified = frozenset(verified)
    return {"schema": LOG_SCHEMA,
            "events": [event_json(ev, offices or {}, verified) for ev in events]}
