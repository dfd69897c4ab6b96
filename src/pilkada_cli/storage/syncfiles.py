"""The workspace files `pilkada sync` checks before it commits, and `pilkada sync --restore`,
which puts back what was already shared (syncguard.restored decides the bytes).

A restore never loses anything: each file it replaces is first copied, as it was, to
``.pilkada/restored/<UTC time>/<path>`` (local, never shared), and only then replaced whole.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pilkada_cli.base.errors import StorageError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import FILE_MODE, make_dirs, replace_atomic

RESTORED = Path(".pilkada") / "restored"


def read(root: Path, path: str) -> bytes | None:
    """The bytes of the workspace file ``path`` ("/"-separated), None if there is none."""
    try:
        return (root / path).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        raise StorageError(_("cannot read {path}: {reason}").format(
            path=path, reason=os_reason(e))) from e


def restore(root: Path, files: dict[str, bytes]) -> Path:
    """Replace each workspace file of ``files`` (path -> new bytes), after copying the file as
    it is to a new folder under .pilkada/restored/; return that folder."""
    saved = root / RESTORED / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    try:
        for path in sorted(files):
            current = read(root, path)
            if current is not None:
                copy = saved / path
                copy.parent.mkdir(parents=True, exist_ok=True)
                replace_atomic(copy, current, mode=FILE_MODE)
        for path, data in sorted(files.items()):
            target = root / path
            make_dirs(target.parent)
            replace_atomic(target, data, mode=FILE_MODE)
    except OSError as e:
        raise StorageError(_("cannot put back {path}: {reason}").format(
            path=e.filename or root, reason=os_reason(e))) from e
    return saved
