"""The audit trail (``pilkada log``): which events it shows, in which order, and its JSON
contract. Pure: the events come from the caller (loading.events)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pilkada_cli.events import Event, order_key
from pilkada_cli.regions import within

LOG_SCHEMA = "pilkada.log/2"  # 2: office_verified
# origin id -> the name it is shown by (trust.office_names); an origin not in it shows its id
Offices = Mapping[str, str]


def log_filter(events: Iterable[Event], region: str | None = None, item: str | None = None,
               since: date | None = None, until: date | None = None,
               by: str | None = None) -> list[Event]:
    """The audit trail, newest first (a deterministic order every office shares)."""
    out = []
    for ev in events:
        if region and not within(ev.region, region):
            continue
        if item and ev.item != item:
            continue
        if by and ev.by.casefold() != by.casefold():
            continue
        day = ev.at.day  # the date it happened, where it was recorded (its own offset)
        if (since and day < since) or (until and day > until):
            continue
        out.append(ev)
    out.sort(key=order_key, reverse=True)
    return out


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
