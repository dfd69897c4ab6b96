"""``pilkada init DIR --git REMOTE``: join the shared workspace at REMOTE (a clone), or, when
REMOTE is still empty, create the workspace here and share it there. A failure leaves the
folder as it was (what the run made is removed)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.domain.workspace import Config

CREATED = ["pilkada.yaml", ".gitignore", ".gitattributes", "records"]  # what init --git shares


def init_with_git(folder: Path, remote: str, make_config: Callable[[], Config],
                  speak: Callable[[str | None], None]) -> str:
    """Join or share the workspace in ``folder``; what was done, in one sentence. ``speak``
    is given the workspace's language as soon as it is known (messages after it speak it)."""
    made = _Made(folder)
    try:
        return _init_with_git(folder, remote, make_config, speak, made)
    except BaseException:
        made.undo()
        raise


class _Made:
    """What `init --git` created, to remove again if it fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.existed = folder.exists()
        self.before = set(folder.iterdir()) if self.existed and folder.is_dir() else set()
        self.emptied = False  # an empty folder removed to clone into: made again on failure

    def undo(self) -> None:
        if self.emptied:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(exist_ok=True)
            return
        if not self.existed:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for path in set(self.folder.iterdir()) - self.before:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _init_with_git(folder: Path, remote: str, make_config: Callable[[], Config],
                   speak: Callable[[str | None], None], made: _Made) -> str:
    from pilkada_cli.domain.workspace import CONFIG_FILE, init_workspace, load_config
    from pilkada_cli.storage import gitsync

    existing = (folder / CONFIG_FILE).is_file()
    if existing:
        speak(load_config(folder / CONFIG_FILE).language)
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
        if made.existed:  # an empty folder: clone in its place (dulwich makes the folder)
            folder.rmdir()
            made.emptied = True
        gitsync.clone(remote, folder, branch)
        if not (folder / CONFIG_FILE).is_file():
            raise InputError(_("{remote} is a git repository but holds no pilkada workspace "
                               "(no {file})").format(remote=remote, file=CONFIG_FILE))
        from pilkada_cli.app.language import workspace_language
        from pilkada_cli.app.sharing import note_received

        speak(workspace_language(folder))
        note_received(folder / "records")
        return _("Joined the shared workspace from {remote} in {path}; record as usual and run "
                 "`pilkada sync` to exchange records.").format(remote=remote, path=folder)
    if not existing:
        config = make_config()
        speak(config.language)
        init_workspace(folder, config)
    repo = gitsync.open_repo(folder)
    if repo is not None and Path(getattr(repo, "top", folder)).resolve() != folder.resolve():
        raise InputError(_("{path} is inside another git repository ({top}); choose a folder "
                           "outside it").format(path=folder, top=getattr(repo, "top", "")))
    if repo is None:
        repo = gitsync.create(folder, remote)
    elif repo.remote_url() is None:
        raise InputError(_("{path} is already a git repository without a remote; ask your IT "
                           "staff to add the shared repository as 'origin'").format(path=folder))
    from pilkada_cli.app.sharing import own_origin
    from pilkada_cli.domain.recording import operator
    from pilkada_cli.storage.gitsync import ensure_identity_text

    config = load_config(folder / CONFIG_FILE)
    author = ensure_identity_text(operator(None, config.operator), own_origin(folder))
    repo.commit([p for p in CREATED if (folder / p).exists()],
                _("pilkada: shared workspace created"), author)
    repo.push()
    return _("Shared the workspace {path} on {remote}; other offices join it with: pilkada "
             "init FOLDER --git {remote}").format(path=folder, remote=remote)
