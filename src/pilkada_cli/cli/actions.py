"""Actions that several commands take, as public helpers (``record``, ``undo``, ``import`` of
fill-in sheets): build a Recorder for this workspace, save events and say so once they are
durable, read an input file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import InputError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session

if TYPE_CHECKING:
    from pilkada_cli.domain.events import Event
    from pilkada_cli.domain.recording import Recorder
    from pilkada_cli.storage.journal import Journal


def recorder(s: Session, by: str | None) -> Recorder:
    """A Recorder for this workspace's cycle and tags, writing as this copy's origin, by
    ``--by`` (else the operator)."""
    from pilkada_cli.app.copyorigins import workspace_origin
    from pilkada_cli.domain.recording import Recorder, operator
    from pilkada_cli.domain.workspace import user_home

    ws = s.workspace()
    return Recorder(s.cycle(), ws.config.tags, workspace_origin(ws.root, user_home()),
                    operator(by, ws.config.operator))


def save(s: Session, events: list[Event], from_file: bool = False,
         verbose: bool = True) -> None:
    """Append all or nothing; print each saved event only once it is durable, and under it,
    when a later record of its pair still counts (a back-dated change), which one and how to
    make this one count (``from_file``: the change came from a CSV or a sheet's row). From a
    file and not ``verbose``, only the events with such a note are printed (the caller says
    the total)."""
    from rich.text import Text

    from pilkada_cli.render.labels import status_word
    from pilkada_cli.storage.journal import Journal

    journal = Journal(s.workspace().records_dir)
    saved = journal.append(events, progress=s.progress())
    s.stop_progress()
    later = _still_counting(journal, saved)
    out = s.console()
    for ev in saved:
        counts = later.get(ev.id)
        if from_file and not verbose and counts is None:
            continue
        progress = f" {ev.progress}%" if ev.progress is not None else ""
        out.print(Text(_("saved {id} {region} {item} {status}").format(
            id=ev.id, region=ev.region, item=ev.item, status=status_word(ev.status))
            + progress))
        if counts is not None:  # (stdout flushed first: the note stays under its line)
            out.file.flush()
            s.say(not_counted(s, ev, counts, from_file), "bold yellow")


def _still_counting(journal: Journal, saved: list[Event]) -> dict[str, Event]:
    """What ``recording.still_counting`` finds for the back-dated events of ``saved`` (only
    they can have a later record: the records of their regions are read for them alone, so
    recording now costs what it always did)."""
    from datetime import datetime, timezone

    from pilkada_cli.domain.recording import back_dated, still_counting

    old = [ev for ev in saved if back_dated(ev)]
    if not old:
        return {}
    history = journal.read({ev.region for ev in old}).events
    return still_counting(old, history, datetime.now(timezone.utc))


def not_counted(s: Session, ev: Event, counts: Event, from_file: bool) -> str:
    """The sentence under a saved change that a later record ``counts`` overrules."""
    from pilkada_cli.base.i18n import format_date
    from pilkada_cli.domain.readiness import ZONES
    from pilkada_cli.render.labels import status_word

    zone = s.regions().resolve(ev.region).timezone
    local = counts.at.local(ZONES[zone])
    when = f"{format_date(local.date())} {local:%H:%M} {zone}"
    how = (_("to make this change count, record the row again without a date, or with a date "
             "after {when}") if from_file else
           _("to make this change count, record it again without --at, or with an --at after "
             "{when}")).format(when=when)
    return "  " + _("but it does not count: a later record of {region} {item} still does "
                    "({status}, happened {when}, by {by}); {how}").format(
        region=ev.region, item=ev.item, status=status_word(counts.status), when=when,
        by=counts.by, how=how)


def read_input(path: Path) -> bytes:
    """The bytes of an input file (a CSV, a sheet); an input error if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(_("cannot read {path}: {reason}").format(
            path=path, reason=os_reason(e))) from None


