"""Turning what a user typed (or a CSV) into validated events; undo; the audit-trail filter.

Pure: no I/O. Every problem in a request is reported at once; nothing is written unless all of
it is valid.
"""

from __future__ import annotations

import difflib
import getpass
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from pilkada_cli.base.errors import InputError, Problem, ValidationError
from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, quiet, steps
from pilkada_cli.domain import csvtext
from pilkada_cli.domain.checklist import Cycle, Item
from pilkada_cli.domain.daterange import check_day, check_moment
from pilkada_cli.domain.events import (
    NAME_MAX_BYTES,
    NOTE_MAX_BYTES,
    SEQ_AUTO,
    STATUSES,
    Event,
    RecordFormatError,
    new_event_id,
    order_key,
    status_problem,
    validate_text,
)
from pilkada_cli.domain.instant import Instant, micros
from pilkada_cli.domain.instant import of as instant_of
from pilkada_cli.domain.readiness import ZONES, applies, region_tags, role_of
from pilkada_cli.domain.regions import Region

FUTURE_SLACK = timedelta(minutes=5)
_SLACK_US = FUTURE_SLACK // timedelta(microseconds=1)
EARLIEST_BEFORE = timedelta(days=365)  # how long before the cycle's first stage a change may be
CSV_COLUMNS = ("region", "item", "status", "progress", "note", "evidence")
CSV_OPTIONAL = ("at", "by")
STATUS_ALIASES = {
    "todo": "todo", "belum": "todo",
    "in_progress": "in_progress", "in progress": "in_progress", "proses": "in_progress",
    "done": "done", "selesai": "done",
    "blocked": "blocked", "terhambat": "blocked",
    "na": "na", "n/a": "na", "not applicable": "na", "tidak berlaku": "na",
}


@dataclass(frozen=True)
class Change:
    """One requested status change, before validation against the checklist."""

    region: Region
    item: str
    status: str
    progress: int | None = None
    note: str = ""
    evidence: tuple[str, ...] = ()
    at: datetime | None = None  # when it happened; None = now
    by: str | None = None


def operator(by: str | None, configured: str | None) -> str:
    """Who is recording: --by, else PILKADA_OPERATOR, else the workspace's operator, else the
    OS user name."""
    for candidate in (by, os.environ.get("PILKADA_OPERATOR"), configured):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def parse_status(text: str) -> str:
    """A status word in English or Indonesian (``selesai``, ``in progress``) as its id; a
    space, a ``-`` and a ``_`` between words are one (``not_applicable``, ``tidak-berlaku``)."""
    key = " ".join(text.strip().casefold().replace("-", " ").replace("_", " ").split())
    found = STATUS_ALIASES.get(key) or STATUS_ALIASES.get(key.replace(" ", "_"))
    if found is None:
        raise InputError(_("unknown status '{status}'; use one of: {statuses}").format(
            status=text, statuses=", ".join(STATUSES)))
    return found


def parse_at(text: str, zone: str, now: datetime) -> datetime:
    """``--at`` (and a CSV's ``at``): a date or a date and time, with or without an offset
    (without: the region's time zone).

    A date alone means noon of that day in the region's time zone, as on the fill-in sheet (or
    now, if noon has not come yet today); a date after today is refused, never moved to now.
    How far back a time may go is the Recorder's rule, for every way of recording.
    """
    tz = ZONES[zone]
    try:
        if len(text.strip()) == 10:
            day = check_day(date.fromisoformat(text.strip()), text.strip())
            if day > now.astimezone(tz).date():
                raise InputError(_("the date {date} is in the future").format(
                    date=day.isoformat()))
            noon = datetime.combine(day, time(12), tz)
            return min(noon, now.astimezone(tz))
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise InputError(_("bad time '{text}': use YYYY-MM-DD or YYYY-MM-DDTHH:MM").format(
            text=text)) from None
    check_moment(moment, text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def parse_csv_at(text: str, zone: str, now: datetime) -> datetime:
    """A CSV's ``at``: what ``parse_at`` reads, or a date written day first as Excel in an
    Indonesian locale saves it (dd/mm/yyyy, with a time of day if any; csvtext.DMY), read as
    the same date and time written ISO."""
    if csvtext.DMY.fullmatch(text.strip()):
        written = csvtext.day_month_year(text)
        if written is None:
            raise InputError(_("bad date '{value}': use dd/mm/yyyy").format(value=text.strip()))
        day, at = written
        return parse_at(day.isoformat() if at is None else f"{day.isoformat()}T{at.isoformat()}",
                        zone, now)
    return parse_at(text, zone, now)


def earliest_day(cycle: Cycle, today: date | None = None) -> date:
    """The first day a change can have happened on: a year before the cycle's first stage, or
    a year before ``today`` if that is earlier.

    Anything earlier is taken for a typo (2204 for 2024, 0001 for a blank), not recorded. Today
    is never a typo: an office may start on a cycle years ahead (a template re-based on 2031).
    """
    first = min((stage.start for stage in cycle.stages), default=cycle.voting_day)
    if today is not None:
        first = min(first, today)
    return first - EARLIEST_BEFORE


def unknown_item(item_id: str, cycle: str, ids: Iterable[str]) -> str:
    """The refusal of an item id the cycle does not have, with the ids it may have meant."""
    close = suggest(item_id, list(ids))
    hint = "; " + _("did you mean: {ids}?").format(ids=", ".join(close)) if close else ""
    return _("unknown item '{item}' in cycle {cycle}").format(item=item_id, cycle=cycle) + hint


def suggest(query: str, ids: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` ids ``query`` may have meant: those containing it, those close to it
    whole, then those whose beginning is close to it (``npdh`` → ``nphd-kpu…``)."""
    if not query:
        return []
    close = [i for i in ids if query in i]
    close += difflib.get_close_matches(query, ids, n=n, cutoff=0.6)
    if len(query) >= 3:
        close += [i for i in ids
                  if difflib.SequenceMatcher(None, query, i[:len(query)]).ratio() >= 0.75]
    return list(dict.fromkeys(close))[:n]


class Recorder:
    """Validates changes against the cycle and the workspace and builds events."""

    def __init__(self, cycle: Cycle, tags: Mapping[str, frozenset[str]], origin: str,
                 default_by: str, now: datetime | None = None) -> None:
        self.cycle = cycle
        self.items = cycle.items
        self.tags = tags
        self.origin = origin
        self.default_by = default_by
        self.now = now or datetime.now(timezone.utc)
        self.earliest = earliest_day(cycle, self.now.date())
        self._built = 0  # events built so far: each gets a later ``recorded`` than the last

    def _recorded(self) -> Instant:
        """``recorded`` of the next event: now, plus a microsecond per event built before it.

        Events built in one run share ``now``, so without this two changes of one pair in one
        import (or in two files of a folder) would tie on time and their random ids would
        decide which is current; this way the later row or file wins, every time.
        """
        moment = self.now + timedelta(microseconds=self._built)
        self._built += 1
        return instant_of(moment, recorded=True)

    def build(self, changes: Sequence[Change], where: Sequence[str] | None = None,
              source: str = "", progress: Progress = quiet) -> list[Event]:
        """Events for ``changes``; ``where`` names each change's place (e.g. a CSV line) in
        errors. Raises ValidationError listing every bad change."""
        problems: list[Problem] = []
        events: list[Event] = []
        step = steps(progress, _("Checking rows"), len(changes), 256)
        for i, change in enumerate(changes):
            step(i)
            try:
                events.append(self._one(change))
            except (InputError, RecordFormatError) as e:  # the input rules, then the model's
                line = int(where[i]) if where and where[i].isdigit() else None
                problems.append(Problem(source or "record", line, str(e)))
        if problems and not source:
            raise InputError("\n".join(p.message for p in problems))
        if problems:
            raise ValidationError(problems)
        return events

    def _one(self, c: Change) -> Event:
        item = self._item(c.item)
        tags = region_tags(c.region.code, self.tags)
        if not applies(self.cycle, item, c.region, tags):
            raise InputError(self._not_applicable(item, c.region, tags))
        note = validate_text(_("note"), c.note, max_bytes=NOTE_MAX_BYTES, allow_newline=True)
        problem = status_problem(c.status, c.progress, bool(note.strip()))
        if problem is not None:
            raise InputError(problem)
        evidence = tuple(validate_text(_("evidence"), e, max_bytes=NAME_MAX_BYTES,
                                       allow_newline=False) for e in c.evidence if e.strip())
        total = sum(len(e.encode("utf-8")) for e in evidence)
        if total > NOTE_MAX_BYTES:  # with the note's cap, an event stays below LINE_MAX_BYTES
            raise InputError(_("evidence is too long: {size} bytes of UTF-8 in all, at most "
                               "{limit} allowed").format(size=total, limit=NOTE_MAX_BYTES))
        by = validate_text(_("name"), c.by or self.default_by, max_bytes=NAME_MAX_BYTES,
                           allow_newline=False)
        at = c.at or self.now
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZONES[c.region.timezone])
        if at - self.now > FUTURE_SLACK:
            raise InputError(_("the time {at} is in the future").format(
                at=at.isoformat(timespec="minutes")))
        if at.date() < self.earliest:  # checked before any time zone conversion can overflow
            start = self.earliest + EARLIEST_BEFORE
            if start >= self.now.date():  # the cycle lies ahead: a year before today is the limit
                raise InputError(_("the date {date} is more than a year ago: a typo?").format(
                    date=at.date().isoformat()))
            raise InputError(_(
                "the date {date} is more than a year before the first stage of cycle {cycle} "
                "(it starts {start}): a typo?").format(
                date=at.date().isoformat(), cycle=self.cycle.id, start=start.isoformat()))
        return Event(
            id=new_event_id(), origin=self.origin, seq=SEQ_AUTO, region=c.region.code,
            item=item.id, status=c.status, progress=c.progress, note=note, evidence=evidence,
            by=by, at=instant_of(at.astimezone(ZONES[c.region.timezone])),
            recorded=self._recorded(),
        )

    def _item(self, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is not None:
            return item
        raise InputError(unknown_item(item_id, self.cycle.id, self.items))

    def _not_applicable(self, item: Item, region: Region, tags: frozenset[str]) -> str:
        role = role_of(self.cycle, region.code)
        if item.applies_to(region.level, tags) and role == "hosted":
            return _("item '{item}' serves a region's own election; {name} elects no head in "
                     "cycle {cycle}").format(item=item.id, name=region.name, cycle=self.cycle.id)
        if item.applies_to(region.level, tags):
            return _("{name} hosts no election in cycle {cycle}").format(
                name=region.name, cycle=self.cycle.id)
        if item.unless & tags:
            return _("item '{item}' does not apply to regions tagged {tags}; {name} is").format(
                item=item.id, tags=", ".join(sorted(item.unless & tags)), name=region.name)
        if region.level not in item.levels:
            return _("item '{item}' does not apply to {level} {name} (only: {levels})").format(
                item=item.id, level=region.level, name=region.name,
                levels=", ".join(sorted(item.levels)))
        return _("item '{item}' applies only to regions tagged {tags}; {name} is not").format(
            item=item.id, tags=", ".join(sorted(item.when - tags)), name=region.name)

    def undo(self, target: Event, history: Iterable[Event], by: str) -> Event:
        """An event that restores the status the pair had before ``target``.

        It takes effect at the undone event's own time, so replays no longer show the mistake;
        the original stays in the log. Refused when a later event has since changed the pair.
        """
        same = sorted((e for e in history if (e.region, e.item) == (target.region,
                                                                     target.item)),
                      key=order_key)
        latest = same[-1] if same else None
        if latest is not None and latest.id != target.id:
            raise InputError(_(
                "event {id} is no longer the latest for {region} {item} (changed by {by} at "
                "{at}); record the status you want instead").format(
                    id=target.id, region=target.region, item=target.item, by=latest.by,
                    at=latest.at.text))
        before = [e for e in same if e.id != target.id and order_key(e) < order_key(target)]
        prev = before[-1] if before else None
        return Event(
            id=new_event_id(), origin=self.origin, seq=SEQ_AUTO, region=target.region,
            item=target.item, status=prev.status if prev else "todo",
            progress=prev.progress if prev else None,
            note=prev.note if prev else "", evidence=prev.evidence if prev else (),
            by=validate_text(_("name"), by, max_bytes=NAME_MAX_BYTES, allow_newline=False),
            at=target.at,
            recorded=self._recorded(),
            undoes=target.id,
        )


def back_dated(ev: Event) -> bool:
    """Whether ``ev`` was recorded as having happened earlier than it was recorded (``--at``, a
    CSV's or a sheet's date): only such an event can have a later record of its pair."""
    return ev.recorded.us - ev.at.us > _SLACK_US


def still_counting(saved: Sequence[Event], history: Iterable[Event], now: datetime
                   ) -> dict[str, Event]:
    """For each of ``saved`` that is not its pair's status after it was saved, the record that
    counts instead (the pair's latest by ``order_key`` that has happened by ``now``, as
    ``status`` folds them), by the saved event's id. A pair whose current record is itself one
    of ``saved`` (two rows of one import) is left out: the import said which comes last."""
    ids = {ev.id for ev in saved}
    pairs = {(ev.region, ev.item) for ev in saved}
    cutoff = micros(now)
    current: dict[tuple[str, str], Event] = {}
    for ev in history:
        pair = (ev.region, ev.item)
        if pair in pairs and ev.at.us <= cutoff:
            best = current.get(pair)
            if best is None or order_key(ev) > order_key(best):
                current[pair] = ev
    out: dict[str, Event] = {}
    for ev in saved:
        counts = current.get((ev.region, ev.item))
        if counts is not None and counts.id not in ids:
            out[ev.id] = counts
    return out


def read_csv_rows(raw: bytes, source: str
                  ) -> tuple[list[tuple[int, dict[str, str]]], list[Problem], str]:
    """Rows of a record CSV with their line numbers, the problems of the file's structure (an
    unclosed quote, a row with the wrong number of fields, an oversized field), each naming its
    line, and the encoding it was read in. Either dialect (``csvtext``): UTF-8 with or without
    a BOM or Windows-1252, ``,`` or ``;``. A row with a problem is left out of the rows; the
    caller records nothing when there is any problem. Raises ValidationError for an unreadable
    file or a bad header."""
    text, encoding = csvtext.decode(raw, source)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    problems: list[Problem] = []
    records = csvtext.rows(text, source, delimiter, problems)
    head = next(records, None)
    if head is None:
        raise ValidationError(problems or [Problem(source, 1, _("the file is empty"))])
    header = [h.strip().casefold() for h in head.values]
    missing = [c for c in ("region", "item", "status") if c not in header]
    unknown = [h for h in header if h and h not in CSV_COLUMNS + CSV_OPTIONAL]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if missing or unknown or twice:
        parts = []
        if missing:
            parts.append(_("missing columns: {cols}").format(cols=", ".join(missing)))
        if unknown:
            parts.append(_("unknown columns: {cols}").format(cols=", ".join(unknown)))
        if twice:
            parts.append(_("columns named twice: {cols}").format(cols=", ".join(twice)))
        raise ValidationError([Problem(source, head.line, "; ".join(parts))])
    rows = []
    for row in records:
        if csvtext.is_blank(row):
            continue
        problem = (csvtext.width_problem(source, row, len(header))
                   or csvtext.size_problem(source, row, header))
        if problem is not None:
            problems.append(problem)
            continue
        rows.append((row.line, dict(zip(header, row.values, strict=True))))
    return rows, problems, encoding


def same_batch(events: Iterable[Event], ev: Event) -> list[Event]:
    """``ev`` and the other events written in the same call."""
    if ev.batch is None:
        return [ev]
    return [e for e in events if e.batch == ev.batch]

