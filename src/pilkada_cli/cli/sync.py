"""`pilkada sync` and `pilkada init --git`: a shared git repository without git knowledge."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, get_session, handled
from pilkada_cli.cli.app import app

if TYPE_CHECKING:
    from pilkada_cli.domain.events import Event
    from pilkada_cli.storage.gitsync import Incoming, Repo
    from pilkada_cli.storage.journal import Journal

SHARED = ["pilkada.yaml", "records"]  # what sync sends (syncguard.kind says which files)
PUSH_TRIES = 3


def _author(s: Session) -> str:
    from pilkada_cli.app.sharing import own_origin
    from pilkada_cli.domain.recording import operator
    from pilkada_cli.storage.gitsync import ensure_identity_text

    ws = s.workspace()
    return ensure_identity_text(operator(None, ws.config.operator), own_origin(ws.root))


@app.command(help=_(
    "Send this office's new records to the shared repository and take in everyone else's, in "
    "one step (commit, pull, push; no git knowledge needed). Set up once with pilkada init "
    "--git REMOTE. Works without git installed. What the shared repository brings is checked "
    "first: records are only ever added to, never changed or deleted, and a changed "
    "pilkada.yaml is shown and taken only with --accept-config; anything else is refused and "
    "nothing here changes.\n\nExamples: pilkada sync; pilkada sync --accept-config; pilkada "
    "sync --restore"))
@handled
def sync(
    accept_config: Annotated[bool, typer.Option(
        "--accept-config", help=_("Take the changed pilkada.yaml that the shared repository "
                                  "brings (sync shows the changes and stops without this)."))
    ] = False,
    restore: Annotated[bool, typer.Option(
        "--restore", help=_("Put back record files changed by hand since the last sync: the "
                            "lines already shared as they were, every valid line added after "
                            "them kept; the changed files are saved in .pilkada/restored/. "
                            "Sends nothing."))] = False,
) -> None:
    from pilkada_cli.app.loading import events
    from pilkada_cli.storage import gitsync
    from pilkada_cli.storage.journal import Journal

    s = get_session()
    ws = s.workspace()
    repo = gitsync.require(gitsync.open_repo(ws.root))
    journal = Journal(ws.records_dir)
    if restore:
        with journal.hold_all():
            _restore(s, repo)
        return
    s.publish_own_claim(s.office_key())
    before = events(ws).events
    author = _author(s)
    message = _("pilkada sync: records from {who}").format(who=author.split(" <")[0])
    with journal.hold_all():
        _commit_own(s, repo, message, author)
    url = repo.remote_url() or ""
    try:
        sent = _exchange(s, repo, journal, author, message, accept_config)
    except gitsync.Unreachable as e:
        raise gitsync.Unreachable(str(e) + "\n" + (_(
            "Your records are safe: they are committed on this PC and will be sent by the next "
            "`pilkada sync` (run it again when the network is back).") if e.kind in (
            "network", "timeout", "busy") else _(
            "Your records are safe: they are committed on this PC and will be sent by the next "
            "`pilkada sync` once this is put right.")), detail=e.detail, kind=e.kind) from None
    _report(s, url, sent, before)


def _report(s: Session, url: str, sent: int, before: Sequence[Event]) -> None:
    """Say what was sent, what came in from which office, and any conflict it brought."""
    from rich.text import Text

    from pilkada_cli.app.loading import events, office_names, parse_as_of
    from pilkada_cli.render import synctext
    from pilkada_cli.storage import conflicts

    ws = s.workspace()
    had = {ev.id for ev in before}
    now = events(ws).events
    new = [ev for ev in now if ev.id not in had]
    out = s.console()
    if sent:
        out.print(Text(synctext.sent_line(sent, url)))
    names = {o: n.shown() for o, n in office_names(ws, s.own()).items()}  # claims came in
    for line in synctext.received_lines(new, names, s.regions()):
        out.print(Text(line))
    if not sent and not new:
        out.print(Text(synctext.nothing_line(url), style="green"))
    if not new:
        return
    as_of = parse_as_of(None, ws)
    old = conflicts.judge(before, ws.records_dir, as_of)
    brought = [c for key, c in conflicts.judge(now, ws.records_dir, as_of, names).items()
               if key not in old]
    for line in synctext.conflict_lines(brought, s.regions()):
        s.say(line, "bold yellow")


def _commit_own(s: Session, repo: Repo, message: str, author: str, warn: bool = True) -> int:
    """Commit this copy's changed shared files, once each record file is known to have only
    grown since its last commit (this office never sends a change to a line already shared)."""
    from rich.text import Text

    from pilkada_cli.storage import syncguard

    root = s.workspace().root
    pending = repo.pending(SHARED)
    stray = sorted(p for p in pending if syncguard.kind(p) is None)
    if stray and warn:
        s.console(stderr=True).print(Text(_(
            "Not sent (not record files; move them out of records/): {files}").format(
            files=", ".join(stray)), style="yellow"))
    problems, held = _own_check(repo, root, pending)
    if held and warn:
        s.console(stderr=True).print(Text(_(
            "Not sent: {files} (an office's claim now signed by another key than the one that "
            "signed it before; the other offices would refuse it). Records are sent as "
            "usual.").format(files=", ".join(held)), style="yellow"))
    if problems:
        raise InputError("\n".join([
            _("Nothing was committed or sent: files shared before were changed on this PC, and "
              "sync only ever adds lines to them:"),
            *(f"  {p}" for _path, p in problems),
            _("Put them back with `pilkada sync --restore` (the lines already shared come back "
              "as they were, every valid line added after them is kept, and the changed files "
              "are saved in .pilkada/restored/), then run `pilkada sync` again.")]))
    return repo.commit(sorted(p for p in pending if syncguard.kind(p) is not None
                              and p not in held), message, author)


def _own_check(repo: Repo, root: Path, pending: dict[str, str]
               ) -> tuple[list[tuple[str, str]], list[str]]:
    """(path, problem) for each pending shared file that may not be committed as it is, and
    the claims held back (the other offices would refuse them)."""
    from pilkada_cli.storage import syncfiles, syncguard

    watched = [p for p in pending if syncguard.kind(p) is not None]
    committed = repo.committed([p for p in watched if pending[p] != "new"])
    problems: list[tuple[str, str]] = []
    held: list[str] = []
    for path in sorted(watched):
        current = syncfiles.read(root, path)
        found = syncguard.check_own([(path, committed.get(path), current)])
        problems += [(path, problem) for problem in found]
        if not found and syncguard.claim_held(path, committed.get(path), current):
            held.append(path)
    return problems, held


def _restore(s: Session, repo: Repo) -> None:
    """`pilkada sync --restore`: put back what was already shared, keep what was added."""
    from rich.text import Text

    from pilkada_cli.storage import syncfiles, syncguard

    root = s.workspace().root
    err = s.console(stderr=True)
    pending = repo.pending(SHARED)
    targets = sorted({path for path, _p in _own_check(repo, root, pending)[0]})
    if not targets:
        err.print(Text(_("Nothing to put back: the files shared before only grew since the "
                         "last sync."), style="green"))
        return
    committed = repo.committed(targets)
    files: dict[str, bytes] = {}
    lines: list[str] = []
    for path in targets:
        current = syncfiles.read(root, path)
        if not syncguard.append_only(path):
            files[path] = committed[path]
            lines.append(_("{path}: put back as last shared").format(path=path))
            continue
        r = syncguard.restored(path, committed.get(path), current)
        files[path] = r.data
        lines.append(_("{path}: put back as last shared; {kept} line(s) added since kept, "
                       "{dropped} changed or unreadable line(s) left out").format(
            path=path, kept=r.kept, dropped=r.dropped))
    saved = syncfiles.restore(root, files)
    for line in lines:
        err.print(Text(line))
    err.print(Text(_("The files as they were are saved in {folder}. Run `pilkada sync` to send "
                     "the records.").format(folder=saved.relative_to(root)), style="green"))


def _exchange(s: Session, repo: Repo, journal: Journal, author: str, message: str,
              accept_config: bool) -> int:
    """Fetch, judge, merge and push; again when someone pushed in between. After taking in
    other offices' records, what this copy now holds is noted (conflicts.py) and sent with it.
    The number of records sent (lines of record files the shared repository lacked)."""
    from pilkada_cli.app.sharing import note_received
    from pilkada_cli.storage import gitsync, syncguard

    shown: set[str] = set()
    for attempt in range(PUSH_TRIES):
        repo.fetch()
        incoming = repo.incoming()
        merged = gitsync.Merged(0, False)
        if incoming is not None:
            _judge(s, repo, incoming, accept_config, shown)
            with journal.hold_all():
                merged = repo.merge(author, incoming.theirs)
        if merged.files:
            note_received(journal.root)
            with journal.hold_all():
                _commit_own(s, repo, message, author, warn=False)
        unsent = repo.unsent(["records"])
        try:
            repo.push()
            return sum(n for path, n in unsent.items()
                       if (k := syncguard.kind(path)) is not None and k.what == "record")
        except gitsync.Rejected:
            if attempt == PUSH_TRIES - 1:
                raise gitsync.Unreachable(_(
                    "the shared repository {remote} kept changing while sending; run `pilkada "
                    "sync` again").format(remote=repo.remote_url() or ""),
                    kind="busy") from None
    return 0


def _judge(s: Session, repo: Repo, incoming: Incoming, accept_config: bool,
           shown: set[str]) -> None:
    """InputError (nothing changed) unless what the remote brings may be taken; a changed
    pilkada.yaml is taken only with --accept-config."""
    from datetime import datetime, timezone

    from rich.text import Text

    from pilkada_cli.app.sharing import own_origin
    from pilkada_cli.domain.workspace import config_from_bytes
    from pilkada_cli.storage import syncguard

    ws = s.workspace()
    remote = repo.remote_url() or "origin"
    if incoming.unrelated:
        raise InputError(_(
            "The shared repository {remote} now holds another history that does not continue "
            "this workspace's (it was replaced, for example by a force-push, or it is another "
            "repository). Nothing was changed here. Ask your IT staff to put the shared "
            "repository back as it was (from its backup, or from an office's copy of the "
            "workspace), then run `pilkada sync` again.").format(remote=remote))
    regions = s.regions()
    verdict = syncguard.judge(
        incoming.changes, own=own_origin(ws.root), now=datetime.now(timezone.utc),
        load_config=lambda raw, shown_as: config_from_bytes(raw, shown_as, regions),
        fresh=incoming.fresh)
    names = s.offices()  # by this workspace's offices list, marked where unverified (trust.py)
    parts: list[str] = []
    if verdict.refused:
        parts.append(syncguard.refusal_text(verdict.refused, remote, names))
    if verdict.config is not None and (verdict.refused or not accept_config):
        parts.append(syncguard.config_text(verdict.config, names))
        if not verdict.refused:
            parts.append(_("Nothing was changed here. If these changes are right (ask the office "
                           "that made them if unsure), take them with: pilkada sync "
                           "--accept-config"))
    if parts:
        raise InputError("\n".join(parts))
    if verdict.config is not None and incoming.theirs not in shown:
        shown.add(incoming.theirs)
        err = s.console(stderr=True)
        err.print(Text(syncguard.config_text(verdict.config, names)))
        err.print(Text(_("Taking the new pilkada.yaml (--accept-config)."), style="yellow"))
