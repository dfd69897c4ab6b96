"""`pilkada sync` and `pilkada init --git`: a shared git repository without git knowledge."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.cli._common import Session, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.errors import InputError, StorageError
from pilkada_cli.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.events import Event
    from pilkada_cli.gitsync import Merged, Repo
    from pilkada_cli.journal import Journal
    from pilkada_cli.workspace import Config

SHARED = ["pilkada.yaml", ".gitignore", ".gitattributes", "records"]
PUSH_TRIES = 3


def _shared(root: Path) -> list[str]:
    """What sync commits: the records, and the workspace's configuration (the province's
    edits of pilkada.yaml, such as its offices list, reach every office)."""
    return [p for p in SHARED if (root / p).exists()]


def _author(s: Session) -> str:
    from pilkada_cli.cli.share import own_origin
    from pilkada_cli.gitsync import ensure_identity_text
    from pilkada_cli.recording import operator

    ws = s.workspace()
    return ensure_identity_text(operator(None, ws.config.operator), own_origin(ws.root))


@app.command(help=_(
    "Send this office's new records to the shared repository and take in everyone else's, in "
    "one step (commit, pull, push; no git knowledge needed). Set up once with pilkada init "
    "--git REMOTE. Works without git installed.\n\nExample: pilkada sync"))
@handled
def sync() -> None:
    from rich.text import Text

    from pilkada_cli import gitsync
    from pilkada_cli.cli.share import office_key, publish_own_claim
    from pilkada_cli.journal import Journal
    from pilkada_cli.loading import events

    s = get_session()
    ws = s.workspace()
    repo = gitsync.require(gitsync.open_repo(ws.root))
    err = s.console(stderr=True)
    publish_own_claim(s, office_key())
    journal = Journal(ws.records_dir)
    before = {ev.id for ev in events(ws).events}
    author = _author(s)
    message = _("pilkada sync: records from {who}").format(who=author.split(" <")[0])
    with journal.hold_all():
        sent = repo.commit(_shared(ws.root), message, author)
    if sent:
        err.print(Text(_("Committed {n} changed record file(s) on this PC.").format(n=sent)))
    url = repo.remote_url() or ""
    try:
        received = _exchange(repo, journal, author, message)
    except gitsync.Unreachable as e:
        raise StorageError(str(e) + "\n" + _(
            "Your records are safe: they are committed on this PC and will be sent by the next "
            "`pilkada sync` (run it again when the network is back).")) from None
    new = [ev for ev in events(ws).events if ev.id not in before]
    _report_new(s, new)
    if received.files or sent:
        err.print(Text(_("Up to date with {remote}.").format(remote=url), style="green"))
    else:
        err.print(Text(_("Nothing new here or in {remote}; already up to date.").format(
            remote=url), style="green"))


def _exchange(repo: Repo, journal: Journal, author: str, message: str) -> Merged:
    """Fetch, merge and push; again when someone pushed in between. After taking in other
    offices' records, what this copy now holds is noted (conflicts.py) and sent with it."""
    from pilkada_cli import gitsync
    from pilkada_cli.cli.share import note_received

    total = gitsync.Merged(0, False)
    for attempt in range(PUSH_TRIES):
        repo.fetch()
        with journal.hold_all():
            merged = repo.merge(author)
        if merged.files:
            note_received(journal.root)
            with journal.hold_all():
                repo.commit(_shared(journal.root.parent), message, author)
        total = gitsync.Merged(total.files + merged.files, total.merged_commit or
                               merged.merged_commit)
        try:
            repo.push()
            return total
        except gitsync.Rejected:
            if attempt == PUSH_TRIES - 1:
                raise gitsync.Unreachable(_("the shared repository kept changing while "
                                            "sending; run `pilkada sync` again")) from None
    return total


def _report_new(s: Session, evs: list[Event]) -> None:
    from rich.text import Text

    out = s.console()
    if not evs:
        return
    per: dict[str, int] = {}
    for ev in evs:
        per[ev.region] = per.get(ev.region, 0) + 1
    out.print(Text(_("Received {n} new events from other offices:").format(n=len(evs))))
    names = s.regions()
    for code, n in sorted(per.items()):
        region = names.get(code)
        out.print(Text(f"  {code} {region.name if region else ''}: {n}"))


def init_with_git(s: Session, folder: Path, remote: str,
                  make_config: Callable[[], Config]) -> None:
    """`pilkada init DIR --git REMOTE`: join the shared workspace at REMOTE (a clone), or, when
    REMOTE is still empty, create the workspace here and share it there."""
    from rich.text import Text

    from pilkada_cli import gitsync
    from pilkada_cli.workspace import CONFIG_FILE, init_workspace

    err = s.console(stderr=True)
    existing = (folder / CONFIG_FILE).is_file()
    branches = gitsync.remote_branches(remote)
    if branches:
        if existing:
            raise InputError(_("{remote} already holds a shared workspace; join it in a new "
                               "folder: pilkada init NEWFOLDER --git {remote}").format(
                remote=remote))
        if folder.exists() and any(folder.iterdir()):
            raise InputError(_("{path} is not empty; give a new folder to join the shared "
                               "workspace in").format(path=folder))
        branch = gitsync.pick_branch(branches)
        if branch is None:
            raise InputError(_("{remote} has several branches and none is main; ask your IT "
                               "staff which one to use").format(remote=remote))
        made = not folder.exists()
        gitsync.clone(remote, folder, branch)
        if not (folder / CONFIG_FILE).is_file():
            if made:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
            raise InputError(_("{remote} is a git repository but holds no pilkada workspace "
                               "(no {file})").format(remote=remote, file=CONFIG_FILE))
        from pilkada_cli.cli.share import note_received

        note_received(folder / "records")
        err.print(Text(_("Joined the shared workspace from {remote} in {path}; record as usual "
                         "and run `pilkada sync` to exchange records.").format(
            remote=remote, path=folder), style="green"))
        return
    if not existing:
        init_workspace(folder, make_config())
    repo = gitsync.open_repo(folder)
    if repo is not None and Path(getattr(repo, "top", folder)).resolve() != folder.resolve():
        raise InputError(_("{path} is inside another git repository ({top}); choose a folder "
                           "outside it").format(path=folder, top=getattr(repo, "top", "")))
    if repo is None:
        repo = gitsync.create(folder, remote)
    elif repo.remote_url() is None:
        raise InputError(_("{path} is already a git repository without a remote; ask your IT "
                           "staff to add the shared repository as 'origin'").format(path=folder))
    from pilkada_cli.cli.share import own_origin
    from pilkada_cli.gitsync import ensure_identity_text
    from pilkada_cli.recording import operator
    from pilkada_cli.workspace import load_config

    config = load_config(folder / CONFIG_FILE)
    author = ensure_identity_text(operator(None, config.operator), own_origin(folder))
    repo.commit(_shared(folder),
                _("pilkada: shared workspace created"), author)
    repo.push()
    err.print(Text(_("Shared the workspace {path} on {remote}; other offices join it with: "
                     "pilkada init FOLDER --git {remote}").format(path=folder, remote=remote),
                   style="green"))
