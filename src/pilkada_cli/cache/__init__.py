"""Derived caches that keep a national workspace quick. Never the source of truth: every entry
is rebuilt from the record files, checklists and config it was derived from, and is invalidated
by any change to them. The cache sits beside storage: it reads the records through the journal's
own reader (journal.py, recordfile.py), and nothing in storage knows it exists.

Where: ``<workspace>/.pilkada/cache/`` (local-only: new workspaces' ``.gitignore`` ignores
``.pilkada/``); for the embedded default ``<user home>/default/.pilkada/cache/``. Off with
``PILKADA_NO_CACHE=1`` (nothing read, nothing written). Deleting the folder is always safe.

What it holds, module by module:

- ``cycles.py``, ``cycle-<key>.pkl``: a validated cycle. Key: the cycle folder, every file in it
  (name, size, mtime, ctime, inode) and the code of the modules that give it its meaning.
- ``columns.py``, ``files-<province>.pkl``: per record file, its parse as columns (its good
  events, and what was wrong in it), with the file's signature (size, mtime, ctime, inode,
  device). A file whose signature changed (an append, a pull, ``repair``'s rewrite, an edit) is
  read again; the others are not read at all.
- ``parses.py``, ``events-<province>.pkl``: per record file, its parse as events, for reads that
  need Event objects (``log``, ``undo``, sheet import); same signatures.
- ``status.py``, ``status-<key>.pkl``: ``Readiness.state()`` of the whole workspace scope. Key:
  every record file's signature, the cycle's key, the scope, tags and thresholds, and the as-of
  calendar date in each time zone. The default as-of is an instant ("now"): an entry computed at
  an earlier instant of the same dates is reused only if no event happened at or after that
  instant.

Format (``entries.py``): pickle of the project's own plain data (tuples, lists, dicts, ``array``
columns and frozen dataclasses), read back with an unpickler that refuses any other class, so a
planted file cannot run code; a version field. Written to a temp file in the same folder and
moved into place (safefile.replace_atomic): readers never see half a file. A missing, corrupt,
foreign or unreadable entry is rebuilt silently; failing to write one (read-only folder, full
disk) never fails a command. Which readiness to build from what is decided by the application
step (loading.py), not here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilkada_cli.workspace import Workspace

ENV_OFF = "PILKADA_NO_CACHE"


def enabled() -> bool:
    """False when ``PILKADA_NO_CACHE`` is set (to anything but 0)."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def folder(ws: Workspace) -> Path:
    """Where a workspace's caches live."""
    return ws.state_dir / "cache"
