"""Actions that several commands take, as public helpers (``record``, ``undo``, ``import`` of
fill-in sheets): build a Recorder for this workspace, save events and say so once they are
durable, read an input file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.cli._common import Session
from pilkada_cli.errors import InputError
from pilkada_cli.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.events import Event
    from pilkada_cli.recording import Recorder


def recorder(s: Session, by: str | None) -> Recorder:
    """A Recorder for this workspace's cycle and tags, writing as this copy's origin, by
    ``--by`` (else the operator)."""
    from pilkada_cli.copies import workspace_origin
    from pilkada_cli.recording import Recorder, operator
    from pilkada_cli.workspace import user_home

    ws = s.workspace()
    return Recorder(s.cycle(), ws.config.tags, workspace_origin(ws.root, user_home()),
                    operator(by, ws.config.operator))


def save(s: Session, events: list[Event]) -> None:
    """Append all or nothing; print each saved event only once it is durable."""
    from rich.text import Text

    from pilkada_cli.journal import Journal
    from pilkada_cli.labels import status_word

    saved = Journal(s.workspace().records_dir).append(events)
    out = s.console()
    for ev in saved:
        progress = f" {ev.progress}%" if ev.progress is not None else ""
        out.print(Text(_("saved {id} {region} {item} {status}").format(
            id=ev.id, region=ev.region, item=ev.item, status=status_word(ev.status))
            + progress))


def read_input(path: Path) -> bytes:
    """The bytes of an input file (a CSV, a sheet); an input error if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(_("cannot read {path}: {reason}").format(
            path=path, reason=e.strerror or e)) from None


