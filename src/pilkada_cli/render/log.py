"""The audit trail in every format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pilkada_cli.events import Event
from pilkada_cli.i18n import _
from pilkada_cli.labels import STATUS_STYLE, status_word
from pilkada_cli.render.table import Grid, to_csv

LOG_SCHEMA = "pilkada.log/1"
_COLUMNS = ("at", "recorded", "region", "item", "status", "progress", "by", "note",
            "evidence", "id", "undoes", "origin", "office")
# origin id -> the office it belongs to (senders.py); an origin not in it shows its id
Offices = Mapping[str, str]


def log_grid(events: Sequence[Event], offices: Offices | None = None) -> Grid:
    """Newest first: when it happened and when it was recorded, who, from which office, what,
    why, proof, id."""
    offices = offices or {}
    grid = Grid(headers=[_("Happened"), _("Recorded"), _("Region"), _("Item"), _("Status"),
                         _("By"), _("From"), _("Note"), _("Evidence"), _("Event")])
    for ev in events:
        word = status_word(ev.status) + (f" {ev.progress}%" if ev.progress is not None else "")
        if ev.undoes:
            word += " (" + _("undo of {id}").format(id=ev.undoes[:8]) + ")"
        grid.add(ev.at.replace("T", " "), ev.recorded[:19].replace("T", " ") + "Z", ev.region,
                 ev.item, (word, STATUS_STYLE[ev.status]), ev.by,
                 offices.get(ev.origin, ev.origin), ev.note,
                 "; ".join(ev.evidence), ev.id)
    return grid


def _row(ev: Event, offices: Offices) -> dict[str, Any]:
    return {"at": ev.at, "recorded": ev.recorded, "region": ev.region, "item": ev.item,
            "status": ev.status, "progress": ev.progress, "by": ev.by, "note": ev.note,
            "evidence": list(ev.evidence), "id": ev.id, "undoes": ev.undoes,
            "origin": ev.origin, "office": offices.get(ev.origin)}


def log_json(events: Sequence[Event], offices: Offices | None = None) -> dict[str, Any]:
    """``pilkada log --format json`` (``office``: null when the origin never said)."""
    return {"schema": LOG_SCHEMA, "events": [_row(ev, offices or {}) for ev in events]}


def log_csv(events: Sequence[Event], offices: Offices | None = None) -> str:
    """``pilkada log --format csv``."""
    rows = []
    for ev in events:
        row = _row(ev, offices or {})
        row["evidence"] = "; ".join(row["evidence"])
        rows.append([row[c] for c in _COLUMNS])
    return to_csv(list(_COLUMNS), rows)
