"""The audit trail in every format."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pilkada_cli.base.i18n import _, format_date_short, language
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.history import Offices, event_json
from pilkada_cli.domain.instant import Instant
from pilkada_cli.domain.readiness import ZONES
from pilkada_cli.domain.regions import Region, timezone_of
from pilkada_cli.render.labels import STATUS_STYLE, status_word
from pilkada_cli.render.screen import Para, Screen, Table, part, table_or_stacked
from pilkada_cli.render.table import Grid, to_csv

COLUMNS = ("at", "recorded", "region", "item", "status", "progress", "by", "note",
            "evidence", "id", "undoes", "origin", "office")


# The columns the table shows only whole (note, evidence): else each event is stacked.
WHOLE = frozenset({7, 8})

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
               limit: int | None = None, width: int | None = None) -> Screen:
    """``pilkada log`` on a screen, newest first: when it happened (in the region's zone),
    where, what, who and why, and a short event id that ``undo`` accepts; when it was recorded
    with ``--verbose``. The item is never shortened: on a terminal ``width`` columns wide
    where the time, region, status and item do not fit side by side, each event takes lines
    of its own (as a row of ``due`` does), with everything the table would show."""
    screen = Screen()
    if not events:
        screen.add(Para((part(_("No events.")),), style="dim"))
        return screen
    rows = LogRows(region_of, offices or {}, id_length, verbose)
    # The table only where it shows every field whole, the note and evidence too: else
    # each event in lines of its own, so that a wider window never shows less.
    screen.add(*table_or_stacked(events, width, limit, rows.table, rows.stacked, _older,
                                 per=3, whole=WHOLE))
    return screen


def _older(n: int) -> str:
    if n <= 0:
        return ""
    return _("… and {n} older events; --all shows them, --format csv or json gives every "
             "field").format(n=n)


class LogRows:
    """The events as rows of a table or as lines of their own, with the same cells."""

    def __init__(self, region_of: Callable[[str], Region | None], offices: Offices,
                 id_length: int, verbose: bool) -> None:
        self.region_of, self.offices = region_of, offices
        self.id_length, self.verbose = id_length, verbose
        self._names: dict[str, str] = {}

    def _name(self, ev: Event) -> str:
        return self.name_of(ev.region)

    def name_of(self, code: str) -> str:
        """A region as its cells show it: code and short name (looked up once per region: a
        long log repeats them)."""
        name = self._names.get(code)
        if name is None:
            region = self.region_of(code)
            name = self._names[code] = f"{code} {region.short_name}" if region else code
        return name

    def _status(self, ev: Event) -> tuple[str, str]:
        return self.status_of(ev.status, ev.progress, ev.undoes)

    def status_of(self, status: str, progress: int | None, undoes: str | None
                  ) -> tuple[str, str]:
        """A status as its cell shows it: the word, the progress, which event it undoes."""
        word = status_word(status) + (f" {progress}%" if progress is not None else "")
        if undoes:
            word += " (" + _("undo of {id}").format(id=undoes[:self.id_length]) + ")"
        return (word, STATUS_STYLE[status])

    def table(self, shown: Sequence[Event], left: int) -> Table:
        """A table of ``shown`` (and a line for the ``left`` older ones)."""
        zones = {timezone_of(ev.region) for ev in shown}
        grid = self.grid(zones)
        one_zone = len(zones) == 1
        for ev in shown:
            grid.add(*self.cells(ev, one_zone))
        return Table(grid, more=_older(left))

    def grid(self, zones: set[str]) -> Grid:
        """The table's headers and layout rules, without rows (``zones``: those of the rows:
        with one, the time columns name it in their header instead of every cell)."""
        happened = _("Happened")
        recorded = _("Recorded")
        if len(zones) == 1:
            zone = next(iter(zones))
            happened, recorded = f"{happened} ({zone})", f"{recorded} ({zone})"
        headers = [happened, _("Region"), _("Status"), _("Item"), _("Event"), _("By"),
                   _("From"), _("Note"), _("Evidence")]
        priority = {4: 2, 5: 4, 6: 6, 7: 3, 8: 5}
        if self.verbose:
            headers.append(recorded)
            priority[9] = 7
        # When, where, what state and which item are never left out nor shortened (the
        # item is what a reader needs): where they do not fit, the events are stacked.
        return Grid(headers=headers, priority=priority, shrink={7: 16, 8: 12})

    def cells(self, ev: Event, one_zone: bool) -> list[str | tuple[str, str]]:
        """One event's row (times without their zone where the header names the one zone)."""
        zone = timezone_of(ev.region)
        cells: list[str | tuple[str, str]] = [
            local_time(ev.at, zone, not one_zone), (self._name(ev), "bold"),
            self._status(ev), ev.item, (ev.id[:self.id_length], "cyan"), ev.by,
            self.offices.get(ev.origin, ev.origin), ev.note, "; ".join(ev.evidence)]
        if self.verbose:
            cells.append(local_time(ev.recorded, zone, not one_zone))
        return cells

    def stacked(self, ev: Event) -> tuple[Para, Para]:
        """One event in lines of its own: when (with its zone), where and what state; then
        the item whole, the event id, who, from which office, why and the evidence."""
        zone = timezone_of(ev.region)
        head = Para((part(local_time(ev.at, zone, True)), part((self._name(ev), "bold")),
                     part(self._status(ev))), hang=4)
        tail = [part(ev.item), part((ev.id[:self.id_length], "cyan")),
                *(part(text) for text in (ev.by, self.offices.get(ev.origin, ev.origin),
                                          ev.note, "; ".join(ev.evidence)) if text)]
        if self.verbose:
            tail.append(part(_("recorded {time}").format(
                time=local_time(ev.recorded, zone, True))))
        return head, Para(tuple(tail), indent=4, hang=2)


def log_csv(events: Sequence[Event], offices: Offices | None = None) -> str:
    """``pilkada log --format csv``."""
    rows = []
    for ev in events:
        row = event_json(ev, offices or {})
        row["evidence"] = "; ".join(row["evidence"])
        rows.append([row[c] for c in COLUMNS])
    return to_csv(list(COLUMNS), rows)
