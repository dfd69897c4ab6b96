"""From filled sheets to events: the structure is checked, then each row the office touched is
compared with the item's current state, and only a real change becomes an event.

Pure: no I/O. Rules:

- A sheet is checked against its key (``checksum``): the region must be in the workspace, the
  cycle and stage the workspace's, the rows exactly the ones the sheet was made with. Any
  mismatch is one problem for that sheet and none of its rows is looked at.
- A row counts as touched when its Status differs from the sheet's "current status" or any of
  Progress, Note, Evidence or Date is filled in (a name alone is not a change). Untouched rows
  are skipped even when the item has changed since the sheet was made: no reverts.
- Empty Status means "unchanged"; empty Progress with status in progress keeps the current
  progress when the item is already in progress.
- A touched row whose status, progress, note and evidence equal the item's state now records
  nothing, and neither does one identical to an event already recorded with that date, so
  importing a sheet twice records nothing the second time.
- A changed row becomes one event through ``Recorder.build``, so it is checked exactly like
  ``pilkada record``; its date becomes the event's time (noon in the region's time zone, or
  now if that is earlier); a date in the future is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pilkada_cli.base.errors import InputError, Problem
from pilkada_cli.base.i18n import _, language
from pilkada_cli.domain.csvtext import day_month_year, whole_number
from pilkada_cli.domain.daterange import in_range, out_of_range
from pilkada_cli.domain.events import Event, order_key
from pilkada_cli.domain.instant import Instant
from pilkada_cli.domain.instant import of as instant_of
from pilkada_cli.domain.readiness import ZONES, Readiness
from pilkada_cli.domain.recording import Change, Recorder, parse_status
from pilkada_cli.domain.regions import Region, RegionIndex
from pilkada_cli.sheet.checksum import VERSION, SheetKey, make_key, parse_key
from pilkada_cli.sheet.layout import COLUMNS, FILL_KEYS, STATUS_WORDS
from pilkada_cli.sheet.read import Formula, SheetRow, SheetTable, Value, where

EXCEL_EPOCH = date(1899, 12, 30)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")

Signature = tuple[str, str, str, "int | None", str, tuple[str, ...], Instant]


@dataclass(frozen=True)
class State:
    """What a (region, item) pair says now, as compared with a filled row."""

    status: str
    progress: int | None
    note: str
    evidence: tuple[str, ...]


def _signature(ev: Event) -> Signature:
    return (ev.region, ev.item, ev.status, ev.progress, ev.note, ev.evidence, ev.at)


class Importer:
    """Checks filled sheets against the workspace and builds the events of their changes.

    ``readiness`` is the workspace judged now; ``history`` every recorded event. After a file's
    events are saved, ``saved`` makes the next file see them.
    """

    def __init__(self, readiness: Readiness, regions: RegionIndex, history: Iterable[Event],
                 recorder: Recorder) -> None:
        self.r = readiness
        self.regions = regions
        self.recorder = recorder
        self.cycle = recorder.cycle
        self.now = recorder.now
        self.latest: dict[tuple[str, str], Event] = dict(readiness.latest)
        self.signatures = {_signature(ev) for ev in history}

    def saved(self, events: Iterable[Event]) -> None:
        """Take events written since into account (the next file compares with them)."""
        for ev in events:
            pair = (ev.region, ev.item)
            old = self.latest.get(pair)
            if old is None or order_key(ev) > order_key(old):
                self.latest[pair] = ev
            self.signatures.add(_signature(ev))

    def state(self, region: str, item: str) -> State:
        """The pair's current status, progress, note and evidence."""
        ev = self.latest.get((region, item))
        if ev is None:
            return State("todo", None, "", ())
        progress = ev.progress if ev.status == "in_progress" else None
        return State(ev.status, progress, ev.note, ev.evidence)

    def check(self, tables: Sequence[SheetTable]) -> tuple[list[Event], list[Problem]]:
        """The events of one file's changed rows and every problem found in the file."""
        events: list[Event] = []
        problems: list[Problem] = []
        regions_seen: set[str] = set()
        for table in tables:
            key = self._key(table, problems)
            if key is None:
                continue
            if key.region in regions_seen:
                problems.append(Problem(where(table.file, table.sheet), None, _(
                    "a second sheet for region {code} in this file").format(code=key.region)))
                continue
            regions_seen.add(key.region)
            if not self._structure(table, key, problems):
                continue
            region = self.r.region(key.region)
            by_row: list[tuple[int, Problem]] = []
            for row in table.rows:
                found: list[Problem] = []
                if _text(row.values.get("key")) != str(key):
                    found.append(Problem(where(table.file, table.sheet, row.row), None,
                                         _extra_row_message(row, key)))
                else:
                    ev = self._row(table, row, region, found)
                    if ev is not None:
                        events.append(ev)
                by_row += [(row.row, p) for p in found]
            problems += [p for _row, p in sorted(by_row, key=lambda rp: rp[0])]
        return events, problems

    # -- the sheet as a whole ------------------------------------------------------------------

    def _key(self, table: SheetTable, problems: list[Problem]) -> SheetKey | None:
        place = where(table.file, table.sheet)
        keys = Counter(k for k in (parse_key(_text(row.values.get("key")))
                                   for row in table.rows) if k is not None)
        if not keys:
            label = next(c.label(language()) for c in COLUMNS if c.key == "key")
            problems.append(Problem(place, None, _(
                "no sheet key: the hidden column '{column}' is missing or empty; make a new "
                "sheet with `pilkada sheet`").format(column=label)))
            return None
        key = keys.most_common(1)[0][0]
        message = self._key_problem(key)
        if message:
            problems.append(Problem(place, None, message))
            return None
        return key

    def _key_problem(self, key: SheetKey) -> str | None:
        if key.version > VERSION:
            return _("the sheet was made by a newer pilkada (sheet format {version}); upgrade "
                     "pilkada").format(version=key.version)
        if key.cycle != self.cycle.id:
            return _("the sheet was made for cycle {sheet_cycle}; this workspace uses "
                     "{cycle}").format(sheet_cycle=key.cycle, cycle=self.cycle.id)
        region = self.regions.get(key.region)
        if region is None:
            return _("the sheet is for an unknown region '{code}'").format(code=key.region)
        if key.region not in self.r.results:
            return _("the sheet is for {code} {name}, which this workspace does not have "
                     "(it covers {root} {root_name})").format(
                code=region.code, name=region.name, root=self.r.root.code,
                root_name=self.r.root.name)
        if key.stage is not None and self.cycle.stage(key.stage) is None:
            return _("the sheet was made for stage '{stage}', which cycle {cycle} does not "
                     "have").format(stage=key.stage, cycle=self.cycle.id)
        return None

    def _structure(self, table: SheetTable, key: SheetKey, problems: list[Problem]) -> bool:
        """Whether the rows carrying the key are the ones the sheet was made with (if not,
        none of its rows is looked at)."""
        place = where(table.file, table.sheet)
        ours = [row for row in table.rows if _text(row.values.get("key")) == str(key)]
        ids = [_text(row.values.get("item")) for row in ours]
        expected = [st.item.id for st in self.r.items(key.region, key.stage)]
        if not key.matches(ids) or any(_text(row.values.get("region")) != key.region
                                       for row in ours):
            problems.append(Problem(place, None, _structure_message(ours, ids, expected, key)))
            return False
        if ids != expected:
            problems.append(Problem(place, None, _(
                "the checklist of {code} has changed since the sheet was made; make a new "
                "sheet with `pilkada sheet {code}`").format(code=key.region)))
            return False
        return True

    # -- one row -------------------------------------------------------------------------------

    def _row(self, table: SheetTable, row: SheetRow, region: Region,
             problems: list[Problem]) -> Event | None:
        place = where(table.file, table.sheet, row.row)
        mine: list[str] = []
        entry = _parse(row, region, self.now, mine)
        if mine or entry is None:
            problems.extend(Problem(place, None, m) for m in mine)
            return None
        item = _text(row.values.get("item"))
        status, progress, note, evidence, day, by = entry
        now = self.state(region.code, item)
        if status == "in_progress" and progress is None and now.status == "in_progress":
            progress = now.progress  # empty = unchanged
        if State(status, progress, note, evidence) == now:
            return None
        at = _moment(day, region, self.now) if day else None
        if at is not None and (region.code, item, status, progress, note, evidence,
                               instant_of(at)) in self.signatures:
            return None  # this very change is already recorded (a later one superseded it)
        change = Change(region, item, status, progress, note, evidence, at, by)
        try:
            return self.recorder.build([change])[0]
        except InputError as e:
            problems.extend(Problem(place, None, m) for m in str(e).splitlines())
            return None


Entry = tuple[str, "int | None", str, tuple[str, ...], "date | None", "str | None"]


def _parse(row: SheetRow, region: Region, now: datetime, problems: list[str]) -> Entry | None:
    """The row's entries, or None when the office left it as it was; problems are appended."""
    values = row.values
    labels = {c.key: c.label(language()) for c in COLUMNS}
    for key in FILL_KEYS:
        if isinstance(values.get(key), Formula):
            problems.append(_("a formula in column '{column}': type the value itself").format(
                column=labels[key]))
    if problems:
        return None
    snapshot = _status_or_none(_text(values.get("current_status")))
    typed = _text(values.get("status"))
    status = snapshot
    if typed:
        status = _status_or_none(typed)
        if status is None:
            problems.append(_("unknown status '{status}'; choose one of: {words}").format(
                status=typed, words=", ".join(STATUS_WORDS[language()].values())))
    progress = _progress(values.get("progress"), problems)
    day = _day(values.get("date"), region, now, problems)
    note = unicodedata.normalize("NFC", _text(values.get("note")))
    evidence = tuple(unicodedata.normalize("NFC", e.strip())
                     for e in re.split(r"[;\n]", _text(values.get("evidence"))) if e.strip())
    by = _text(values.get("by")) or None
    if problems:
        return None
    touched = status != snapshot or progress is not None or note or evidence or day
    if status is None or not touched:
        return None
    return status, progress, note, evidence, day, by


def _status_or_none(text: str) -> str | None:
    if not text:
        return None
    try:
        return parse_status(text)
    except InputError:
        return None


def _progress(value: Value, problems: list[str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (number := whole_number(value)) is not None:
        return number
    problems.append(_("progress must be a whole number from 0 to 100, not '{value}'").format(
        value=_text(value)))
    return None


def _day(value: Value, region: Region, now: datetime, problems: list[str]) -> date | None:
    day = _as_date(value)
    if day is None:
        if value is not None and _text(value):
            problems.append(_("bad date '{value}': use dd/mm/yyyy").format(value=_text(value)))
        return None
    if not in_range(day):
        problems.append(out_of_range(_text(value)))
        return None
    if day > now.astimezone(ZONES[region.timezone]).date():
        problems.append(_("the date {date} is in the future").format(
            date=day.strftime("%d/%m/%Y")))
        return None
    return day


def _as_date(value: Value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 36526 <= value < 73051:  # an Excel date serial, 2000-2099, that lost its format
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = _text(value)
    if (written := day_month_year(text)) is not None:  # the one reader, as record CSVs'
        return written[0]
    try:
        if m := _ISO.fullmatch(text):
            y, mo, d = (int(g) for g in m.groups())
            return date(y, mo, d)
    except ValueError:
        return None
    return None


def _moment(day: date, region: Region, now: datetime) -> datetime:
    """Noon of ``day`` in the region's time zone, or now if that is earlier (as ``--at``)."""
    tz = ZONES[region.timezone]
    return min(datetime.combine(day, time(12), tz), now.astimezone(tz))


def _text(value: Value) -> str:
    """A cell's text: strings stripped, whole numbers without ``.0``, dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _structure_message(ours: Sequence[SheetRow], ids: Sequence[str], expected: Sequence[str],
                       key: SheetKey) -> str:
    """What changed in the structure, as precisely as is known: where the rows first depart
    from the sheet as made, when the checklist is still the one it was made from."""
    if make_key(key.cycle, key.region, key.stage, expected).digest == key.digest:
        for i, row in enumerate(ours):
            if (i >= len(expected) or ids[i] != expected[i]
                    or _text(row.values.get("region")) != key.region):
                return _("the sheet's structure was changed from row {row} on (item ids or "
                         "region codes edited, rows removed or reordered); make a new sheet "
                         "with `pilkada sheet {code}`").format(row=row.row, code=key.region)
        if len(ours) < len(expected):
            return _("the sheet's structure was changed: {n} row(s) at the end removed; make "
                     "a new sheet with `pilkada sheet {code}`").format(
                n=len(expected) - len(ours), code=key.region)
    return _("the sheet's structure was changed (item ids or region codes edited, rows "
             "removed or reordered); make a new sheet with `pilkada sheet {code}`").format(
        code=key.region)


def _extra_row_message(row: SheetRow, key: SheetKey) -> str:
    region = _text(row.values.get("region"))
    item = _text(row.values.get("item"))
    if region and region != key.region:
        return _("this row is for region {region}, but the sheet is for {sheet_region}; "
                 "record it on the sheet made for {region}").format(
            region=region, sheet_region=key.region)
    return _("item '{item}' is not on the sheet made for {region}; rows cannot be added "
             "or copied").format(item=item, region=key.region)
