"""Recording commands: record, done, blocked, na, undo, log, verify."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.errors import ExitCode, InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.cli import screenformats
from pilkada_cli.cli._common import (
    Session,
    check_in_workspace,
    get_session,
    handled,
)
from pilkada_cli.cli.actions import read_input, save
from pilkada_cli.cli.actions import recorder as make_recorder
from pilkada_cli.cli.app import app

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from pilkada_cli.base.errors import Problem
    from pilkada_cli.domain.events import Event
    from pilkada_cli.domain.recording import Change

if TYPE_CHECKING:
    LogFormatOpt = str | None
else:  # four of the screen formats: the log is streamed, and Markdown is made of a whole screen
    LogFormatOpt = screenformats.option(("table", "plain", "json", "csv"))
RegionReq = Annotated[str, typer.Argument(help=_("Region code or name."))]
ItemsArg = Annotated[list[str], typer.Argument(help=_("One or more item ids."), show_default=False)]
NoteOpt = Annotated[str | None, typer.Option(
    "--note", "-n", help=_("A note (required for blocked and na: the reason)."),
    show_default=False)]
EvidenceOpt = Annotated[list[str] | None, typer.Option(
    "--evidence", "-e", help=_("What proves it (berita acara number, SK, receipt); repeatable."),
    show_default=False)]
ByOpt = Annotated[str | None, typer.Option(
    "--by", help=_("Who (default: PILKADA_OPERATOR, the workspace operator, the OS user)."),
    show_default=False)]
AtOpt = Annotated[str | None, typer.Option(
    "--at", help=_("When it actually happened: YYYY-MM-DD or YYYY-MM-DDTHH:MM[+07:00] "
    "(default: now; in a workspace frozen at a date by as_of, such as the demo, noon of that "
    "date)."), show_default=False)]


ForceOpt = Annotated[bool, typer.Option("--force", help=_(
    "Record done again for an item that is already done (default: say so and record "
    "nothing, unless a note or evidence is added)."))]


def _record(s: Session, region: str, items: list[str], status: str, progress: int | None,
            note: str | None, evidence: list[str] | None, by: str | None,
            at: str | None, force: bool = False) -> None:
    from datetime import datetime, timezone

    from pilkada_cli.domain.recording import Change, parse_at

    target = s.region(region)
    check_in_workspace(s, target.code)
    recorder = make_recorder(s, by)
    if status == "done" and not (force or note or evidence):
        items = _not_done_yet(s, target.code, items, recorder.items)
        if not items:
            return
    now = datetime.now(timezone.utc)
    frozen = None if at else _frozen_day(s, target.timezone, now)
    if frozen is not None:
        at = frozen.isoformat()
    when = parse_at(at, target.timezone, now) if at else None
    changes = [Change(target, item, status, progress, note or "", tuple(evidence or ()), when)
               for item in dict.fromkeys(items)]
    save(s, recorder.build(changes))
    if frozen is not None:
        s.console().file.flush()  # (the note stays under its "saved" lines)
        s.say(_("Recorded as of {date}, the frozen date of this workspace (as_of in "
                "pilkada.yaml), so it shows in its status; --at gives another time.").format(
            date=frozen.isoformat()), "dim")


def _not_done_yet(s: Session, code: str, items: list[str], known: Mapping[str, object]
                  ) -> list[str]:
    """``items`` without those already done in region ``code`` (their latest record says
    done), each of which is named: a second "done" with nothing new would only repeat the
    first in the log. Unknown ids are kept (the recorder refuses them with a suggestion)."""
    from pilkada_cli.base.i18n import format_date
    from pilkada_cli.domain.events import order_key
    from pilkada_cli.domain.readiness import ZONES
    from pilkada_cli.storage.journal import Journal

    wanted = {i for i in items if i in known}
    latest: dict[str, Event] = {}
    for ev in Journal(s.workspace().records_dir).read({code}).events:
        if ev.item in wanted and (ev.item not in latest
                                  or order_key(ev) > order_key(latest[ev.item])):
            latest[ev.item] = ev
    zone = ZONES[s.regions().resolve(code).timezone]
    keep = []
    for item in dict.fromkeys(items):
        last = latest.get(item)
        if last is None or last.status != "done":
            keep.append(item)
            continue
        s.say(_("{region} {item} is already done (recorded as happened on {date} by {by}); "
                "nothing recorded. Add --evidence or --note to add to it, or --force to "
                "record it again.").format(region=code, item=item,
                                           date=format_date(last.at.local(zone).date()),
                                           by=last.by),
              "yellow")
    return keep


def _frozen_day(s: Session, zone: str, now: datetime) -> date | None:
    """The workspace's frozen ``as_of`` (the demo's meeting day), the default day of a change
    recorded without ``--at``: stamped with today, it would never show in that workspace's
    views. None without one, or when it is still ahead (then now is recorded as ever)."""
    from pilkada_cli.domain.readiness import ZONES

    frozen = s.workspace().config.as_of
    if frozen is None or frozen > now.astimezone(ZONES[zone]).date():
        return None
    return frozen


@app.command(help=_(
    "Record a change of status for one region's items (all or nothing).\n\n"
    "Examples: pilkada record palembang nphd-kpu-tanda-tangan --status done"
    " --evidence \"NPHD 900/123/2023\"; pilkada record --from laporan.csv"))
@handled
def record(
    region: Annotated[str | None, typer.Argument(
        help=_("Region code or name."), show_default=False)] = None,
    items: Annotated[list[str] | None, typer.Argument(
        help=_("Item ids."), show_default=False)] = None,
    status: Annotated[str | None, typer.Option(
        "--status", "-s", help=_("todo, in_progress, done, blocked or na."), show_default=False)
    ] = None,
    progress: Annotated[int | None, typer.Option(
        "--progress", "-p", help=_("0-100, with in_progress."), show_default=False)] = None,
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    by: ByOpt = None,
    at: AtOpt = None,
    from_file: Annotated[Path | None, typer.Option(
        "--from", help=_("A CSV with columns region, item, status, progress, note, evidence "
        "(optional: at, by); every row is checked first, all or nothing. '-' reads stdin. "
        "Also a fill-in sheet from `pilkada sheet` (XLSX, or a CSV saved from it) or a folder "
        "of them: only changed rows are recorded, all or nothing per file."),
        show_default=False)] = None,
    force: ForceOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_(
        "With --from: a line for every change recorded, not only the total."))] = False,
) -> None:
    s = get_session()
    if from_file is not None:
        if region or items or status:
            raise InputError(_("use either --from FILE or REGION ITEM… --status, not both"))
        _record_csv(s, from_file, by, verbose)
        return
    if not region or not items or not status:
        raise InputError(_("give REGION, at least one ITEM and --status (or --from FILE)"))
    from pilkada_cli.domain.recording import parse_status

    _record(s, region, items, parse_status(status), progress, note, evidence, by, at, force)


def _record_csv(s: Session, path: Path, by: str | None, verbose: bool) -> None:
    from pilkada_cli.cli.fillins import import_fill_ins, is_fill_in, say_encoding
    from pilkada_cli.domain.recording import read_csv_rows

    source = "<stdin>" if str(path) == "-" else str(path)
    if source != "<stdin>" and path.is_dir():  # a folder of filled-in sheets
        import_fill_ins(s, path, None, by, verbose)
        return
    raw = sys.stdin.buffer.read() if source == "<stdin>" else read_input(path)
    if is_fill_in(source, raw):  # an XLSX from `pilkada sheet`, or a CSV saved from one
        import_fill_ins(s, path, raw, by, verbose)
        return
    from pilkada_cli.base.errors import ValidationError

    rows, problems, encoding = read_csv_rows(raw, source)
    say_encoding(s, source, encoding)
    recorder = make_recorder(s, by)
    changes, lines, skipped = _csv_changes(s, rows, source, problems)
    try:
        events = recorder.build(changes, lines, source, s.progress())
    except ValidationError as e:
        problems += e.problems
    if problems:  # every bad row, in file order; nothing is written
        raise ValidationError(sorted(problems, key=lambda p: p.line or 0))
    save(s, events, from_file=True, verbose=verbose)
    from rich.text import Text

    err = s.console(stderr=True)
    for line, first in skipped:
        err.print(Text(_("{file}:{line}: skipped: the same as line {first} (recorded "
                         "once)").format(file=source, line=line, first=first)))
    err.print(Text(_("{file}: {n} change(s) recorded").format(file=source, n=len(events))))


def _csv_changes(s: Session, rows: list[tuple[int, dict[str, str]]], source: str,
                 problems: list[Problem]) -> tuple[list[Change], list[str], list[tuple[int, int]]]:
    """The changes of the CSV rows in file order, with their lines; a bad row is appended to
    ``problems``. A row identical to the previous row for its region and item is left out and
    returned as (its line, the line it repeats)."""
    from datetime import datetime, timezone

    from pilkada_cli.base.errors import Problem
    from pilkada_cli.base.progress import steps
    from pilkada_cli.domain.csvtext import whole_number
    from pilkada_cli.domain.recording import Change, parse_csv_at, parse_status

    changes: list[Change] = []
    lines: list[str] = []
    skipped: list[tuple[int, int]] = []
    previous: dict[tuple[str, str], tuple[Change, int]] = {}
    now = datetime.now(timezone.utc)
    step = steps(s.progress(), _("Reading rows"), len(rows), 256)
    for n, (line, row) in enumerate(rows):
        step(n)
        try:
            region = s.region(row["region"])
            check_in_workspace(s, region.code)
            raw_progress = (row.get("progress") or "").strip()
            progress = whole_number(raw_progress) if raw_progress else None
            if raw_progress and progress is None:
                raise ValueError(raw_progress)
            when = parse_csv_at(row["at"], region.timezone, now) if row.get("at") else None
            evidence = tuple(e.strip() for e in (row.get("evidence") or "").splitlines())
            change = Change(region, row["item"].strip(), parse_status(row["status"]),
                            progress, row.get("note") or "", evidence, when,
                            row.get("by") or None)
        except ValueError:
            problems.append(Problem(source, line, _("progress must be a whole number")))
            continue
        except InputError as e:
            problems.append(Problem(source, line, str(e)))
            continue
        pair = (region.code, change.item)
        if pair in previous and previous[pair][0] == change:
            skipped.append((line, previous[pair][1]))
            continue
        previous[pair] = (change, line)
        changes.append(change)
        lines.append(str(line))
    return changes, lines, skipped


@app.command(help=_(
    "Mark items done for a region (shorthand for record --status done).\n\n"
    "Example: pilkada done \"ogan ilir\" dps-ditetapkan --evidence "
    "\"BA-12/PL.02.1-BA/1610/2024\""))
@handled
def done(region: RegionReq, items: ItemsArg,
         note: NoteOpt = None, evidence: EvidenceOpt = None, by: ByOpt = None,
         at: AtOpt = None, force: ForceOpt = False) -> None:
    _record(get_session(), region, items, "done", None, note, evidence, by, at, force)


@app.command(help=_(
    "Mark items blocked, with the reason.\n\nExample: pilkada blocked lahat "
    "nphd-tni-tanda-tangan --reason \"menunggu RKA Kodim\""))
@handled
def blocked(region: RegionReq,
            items: ItemsArg,
            reason: Annotated[str, typer.Option("--reason", "-r", help=_("Why it is blocked."))],
            by: ByOpt = None, at: AtOpt = None) -> None:
    _record(get_session(), region, items, "blocked", None, reason, None, by, at)


@app.command(help=_(
    "Mark items not applicable to a region, with the reason.\n\nExample: "
    "pilkada na 16.06 calon-terpilih-ditetapkan-pasca-putusan-mk --reason "
    "\"tidak ada sengketa\""))
@handled
def na(region: RegionReq, items: ItemsArg,
       reason: Annotated[str, typer.Option("--reason", "-r", help=_("Why it does not apply."))],
       by: ByOpt = None, at: AtOpt = None) -> None:
    _record(get_session(), region, items, "na", None, reason, None, by, at)


@app.command(help=_(
    "Reverse a recorded change with a new event; the original stays in the "
    "log.\n\nExamples: pilkada undo 3f2a…; pilkada undo --last"))
@handled
def undo(
    event_id: Annotated[str | None, typer.Argument(
        help=_("The event id to reverse."), show_default=False)] = None,
    last: Annotated[bool, typer.Option("--last", help=_("Reverse this machine's last change "
                                       "(the whole call if it recorded several items)."))
    ] = False,
    by: ByOpt = None,
) -> None:
    from pilkada_cli.app.loading import events
    from pilkada_cli.domain.recording import same_batch
    from pilkada_cli.storage.journal import Journal

    s = get_session()
    if bool(event_id) == last:
        raise InputError(_("give an EVENT_ID or --last"))
    journal = Journal(s.workspace().records_dir)
    recorder = make_recorder(s, by)
    history = events(s.workspace()).events
    if last:
        mine = journal.last_event(recorder.origin, recorder.default_by if by else None)
        if mine is None:
            raise InputError(_("nothing recorded from this machine to undo"))
        targets = same_batch(history, mine)
    else:
        targets = _by_id(history, (event_id or "").strip().lower())
    save(s, [recorder.undo(t, history, recorder.default_by) for t in targets])


def _by_id(history: Sequence[Event], wanted: str) -> list[Event]:
    """The event with this id, or with this unique prefix of an id (as `log` shows them)."""
    found = [e for e in history if e.id == wanted]
    if not found and len(wanted) >= 6:
        found = [e for e in history if e.id.startswith(wanted)]
        ids = sorted({e.id for e in found})
        if len(ids) > 1:
            raise InputError(_("event id {id} is ambiguous: {ids}").format(
                id=wanted, ids=", ".join(ids[:5])))
    if not found:
        raise InputError(_("no event with id {id}").format(id=wanted))
    return found


@app.command(help=_(
    "The audit trail, newest first: who, when (happened and recorded), "
    "status, note, evidence, event id.\n\nExample: pilkada log palembang "
    "--since 2024-08-01"))
@handled
def log(
    region: Annotated[str | None, typer.Argument(
        help=_("Only this region and those under it."), show_default=False)] = None,
    item: Annotated[str | None, typer.Option(
        "--item", "-i", help=_("Only this item."), show_default=False)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help=_("From this date (YYYY-MM-DD, when it happened)."),
        show_default=False)] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help=_("Up to this date."), show_default=False)] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help=_("Only changes by this person."), show_default=False)] = None,
    fmt: LogFormatOpt = None,
    show_all: Annotated[bool, typer.Option("--all", "-a", help=_(
        "Every event on a terminal too (default: a screenful)."))] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_(
        "Also when each event was recorded."))] = False,
) -> None:
    from pilkada_cli.cli.logview import known_item, log_kept, log_read
    from pilkada_cli.domain.history import LogQuery

    s = get_session()
    code = s.region(region).code if region else None
    query = LogQuery(code, item, _date(since), _date(until), by)
    kept = s.kept_log()
    offices = s.offices()  # as shown: marked where unverified (trust.py)
    try:
        if item is not None:
            known_item(s, item, kept.has_item if kept is not None
                       else lambda i: any(ev.item == i for ev in s.events()))
        if kept is None:
            log_read(s, query, fmt, show_all, verbose, offices)
        else:
            log_kept(s, kept, query, fmt, show_all, verbose, offices)
    finally:  # (a closed pipe, `pilkada log | head`, ends quietly at the boundary: 141)
        if kept is not None:
            kept.close()


def _date(text: str | None):  # type: ignore[no-untyped-def]
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(_("bad date '{text}': use YYYY-MM-DD").format(text=text)) from None


@app.command(help=_(
    "Check the record files: torn or corrupt lines, conflict markers, duplicate ids, "
    "conflicting changes two offices made without seeing each other. Exit 3 when something is "
    "wrong.\n\nExample: pilkada verify --repair"))
@handled
def verify(
    repair: Annotated[bool, typer.Option("--repair", help=_("Move bad lines aside into "
                                         "<file>.rejected.jsonl (never deletes data)."))
    ] = False,
) -> None:
    from rich.text import Text

    from pilkada_cli.storage.journal import Journal
    from pilkada_cli.storage.verify import repair as repair_files
    from pilkada_cli.storage.verify import verify as verify_files

    s = get_session()
    journal = Journal(s.workspace().records_dir)
    err = s.console(stderr=True)
    if repair:
        report = repair_files(journal)
        for path, n in sorted(report.moved_per_file().items()):
            err.print(Text(_("repaired {path}: {n} line(s) moved to {path}.rejected.jsonl")
                           .format(path=path, n=n), style="yellow"))
    from pilkada_cli.app.loading import parse_as_of

    # conflicts as `status` shows them by default (the workspace's frozen as_of, else now)
    ws = s.workspace()
    findings = verify_files(journal, parse_as_of(None, ws), s.offices(),
                            (ws.config.offices, s.own()))
    out = s.console()
    for f in findings:  # the kind stays a code (greppable); the severity is a word
        severity = _("error") if f.severity == "error" else _("warning")
        # one line per finding for grep; word-wrapped only on a screen
        out.print(Text(f"{f} [{f.kind}, {severity}]"), soft_wrap=not s.laid_out())
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    summary = _("{e} error(s), {w} warning(s)").format(e=errors, w=warnings)
    err.print(Text(summary, style="bold red" if errors else "green"))
    if errors:
        raise typer.Exit(int(ExitCode.STORAGE))
