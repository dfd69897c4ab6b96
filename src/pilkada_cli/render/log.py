"""The audit trail in every format."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pilkada_cli.events import Event
from pilkada_cli.history import Offices, event_json
from pilkada_cli.i18n import _, format_date_short, language
from pilkada_cli.instant import Instant
from pilkada_cli.labels import STATUS_STYLE, status_word
from pilkada_cli.readiness import ZONES
from pilkada_cli.regions import Region, timezone_of
from pilkada_cli.render.screen import Para, Screen, Table, part
from pilkada_cli.render.table import Grid, to_csv

_COLUMNS = ("at", "recorded", "region", "item", "status", "progress", "by", "note",
            "evidence", "id", "undoes", "origin", "office")


def short_id_length(ids: Iterable[str], minimum: int = 8) -> int:
    """The shortest prefix length (at least ``minimum``) that tells every id apart: what
    ``pilkada log`` shows and ``pilkada undo`` accepts."""
    ordered = sorted(set(ids))
    n = minimum
    for a, b in zip(ordered, ordered[1:], strict=False):
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                      min(len(a), len(b)))
        n = max(n, common + 1)
    return n


def local_time(at: Instant, zone: str, with_zone: bool = False) -> str:
    """``21 Agu 2024 10.15`` (Indonesian writes the time with a dot) in the region's zone."""
    moment = at.local(ZONES[zone])
    clock = moment.strftime("%H.%M" if language() == "id" else "%H:%M")
    text = f"{format_date_short(moment.date())} {clock}"
    return f"{text} {zone}" if with_zone else text


def log_screen(events: Sequence[Event], region_of: Callable[[str], Region | None],
               offices: Offices | None = None, *, id_length: int = 8, verbose: bool = False,
               limit: int | None = None) -> Screen:
    """``pilkada log`` on a screen, newest first: when it happened (in the region's zone),
    where, what, who and why, and a short event id that ``undo`` accepts; when it was recorded
    with ``--verbose``."""
    offices = offices or {}
    shown = list(events[:limit]) if limit else list(events)
    zones = {timezone_of(ev.region) for ev in shown}
    one_zone = len(zones) == 1
    happened = _("Happened")
    recorded = _("Recorded")
    if one_zone:
        zone = next(iter(zones))
        happened, recorded = f"{happened} ({zone})", f"{recorded} ({zone})"
    headers = [happened, _("Region"), _("Status"), _("Item"), _("Event"), _("By"), _("From"),
               _("Note"), _("Evidence")]
    priority = {3: 1, 4: 2, 5: 4, 6: 6, 7: 3, 8: 5}
    if verbose:
        headers.append(recorded)
        priority[9] = 7
    # The item is what a reader needs (the event id is for `undo`): it is shortened only
    # once every less important column has been left out.
    grid = Grid(headers=headers, priority=priority, shrink={3: 14, 7: 16, 8: 12}, gate={3: 1})
    for ev in shown:
        zone = timezone_of(ev.region)
        word = status_word(ev.status) + (f" {ev.progress}%" if ev.progress is not None else "")
        if ev.undoes:
            word += " (" + _("undo of {id}").format(id=ev.undoes[:id_length]) + ")"
        region = region_of(ev.region)
        name = f"{ev.region} {region.short_name}" if region else ev.region
        cells: list[str | tuple[str, str]] = [
            local_time(ev.at, zone, not one_zone), (name, "bold"),
            (word, STATUS_STYLE[ev.status]), ev.item, (ev.id[:id_length], "cyan"), ev.by,
            offices.get(ev.origin, ev.origin), ev.note, "; ".join(ev.evidence)]
        if verbose:
            cells.append(local_time(ev.recorded, zone, not one_zone))
        grid.add(*cells)
    more = ""
    if len(shown) < len(events):
        more = _("… and {n} older events; --all shows them, --format csv or json gives every "
                 "field").format(n=len(events) - len(shown))
    screen = Screen()
    if not events:
        screen.add(Para((part(_("No events.")),), style="dim"))
    else:
        screen.add(Table(grid, more=more))
    return screen


def log_csv(events: Sequence[Event], offices: Offices | None = None) -> str:
    """``pilkada log --format csv``."""
    rows = []
    for ev in events:
        row = event_json(ev, offices or {})
        row["evidence"] = "; ".join(row["evidence"])
        rows.append([row[c] for c in _COLUMNS])
    return to_csv(list(_COLUMNS), rows)
