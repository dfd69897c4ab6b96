"""Derived caches that keep a national workspace quick. Never the source of truth: every entry
is rebuilt from the record files, checklists and config it was derived from, and is invalidated
by any change to them. The cache sits beside storage: it reads the records through the journal's
own reader (journal.py, recordfile.py), and nothing in storage knows it exists.

Where: ``<workspace>/.pilkada/cache/`` (local-only: new workspaces' ``.gitignore`` ignores
``.pilkada/``); for the embedded default ``<user home>/default/.pilkada/cache/``. Off with
``PILKADA_NO_CACHE=1`` (nothing read, nothing written). Deleting the folder is always safe.

What it holds, module by module:

- ``cycles.py``, ``cycle-<key>.pkl``: a validated cycle. Key: every file in the cycle folder
  (name, size, mtime, ctime, inode; or name, size and content digest), not where the folder is,
  and the package's code (``entries.code_key``).
- ``columns.py``, ``files-<province>.pkl``: per record file, its parse as columns (its good
  events, and what was wrong in it), with the file's signature (below). A file whose signature
  changed (an append, a pull, ``repair``'s rewrite, an edit) is
  read again; the others are not read at all.
- ``shards.py``: the shards of columns as a refold after a change reads them (only where
  cheaper than parsing the files) and writes them back with the changed files' columns, one
  province at a time (a bulk import touches nearly every province); ``filechunks.py``: a
  file's columns as the fold takes them.
- ``parses.py``, ``events-<province>.pkl``: per record file, its parse as events, for reads that
  need Event objects (``log``, ``undo``, sheet import); same signatures.
- ``ids.py``, ``ids.pkl`` and ``ids-<token>.keys``: every event id and batch id of the record
  files, with the version of each file it covers, so the journal's rules across files (an id in
  two files, a batch split over files) are applied to changed files only.
- ``logkeys.py``, ``log-<province>.pkl`` and ``log-<province>.keys``: per record file, its
  events as fixed-size keys in the log's order (newest first: instants, id, where its line is,
  item, person, status, date, batch, the widths of note and evidence), read a window at a
  time; a catalog of what each file and the province hold, with the province's sorted id
  prefixes (a checksummed entry); ``logrules.py``, ``logrules.pkl`` (and
  ``logrules-state.pkl``, what an update after a change needs): the rules across files on
  those keys and the short ids' length, for the versions of
  the provinces' keys they were worked out from. ``pilkada log`` streams from them
  (``logstream.py``); a file whose signature changed is read again.
- ``listing.py``, ``listing.pkl``: the record-file names of every region folder as last
  listed, with the folder's signature: an unchanged folder is not listed again (its files are
  still stat'ed). Only on Linux's own file systems (not FAT, NTFS, shares: every folder is
  listed there).
- ``folds.py``, ``fold-<context>-<dates>.pkl``: ``Readiness.state()`` of the whole workspace
  scope, kept per region with what each region was folded from (its files' signatures, the
  conflicts found and the seen files that decided them, the incomplete batches). After a change
  only the stale regions are folded again and their ancestors pooled; at other as-of dates every
  region is tallied again from its kept pairs; what only such an update reads (the
  conflicts' judged origins, each region's latest counted event) is kept packed and unpickled
  when an update first needs it. Context: the cycle and its files, the scope, tags
  and thresholds, and the code.

- ``configs.py``, ``config-<key>.pkl``: a validated ``pilkada.yaml``; ``dues.py``,
  ``due-<...>.pkl`` and ``duetext.py``, ``duetext-<...>.pkl``: what ``due`` shows of each
  region, by its fold stamp.

A record file's signature (``recordfile.Sig``): (size, mtime, ctime, inode, 0) on Linux's own
file systems (the inode tells a file replaced by one of the same size and times); elsewhere
(FAT, exFAT, NTFS, shares, FUSE, other systems: times that a copy may keep or set back, inodes
new on every mount) (size, 0, 0, 0, its content's digest below zero), every file read on every
run and parsed only if its content changed (``listing.py`` says why).

A remount keeps the cache: no signature holds the device number (another USB slot; Windows'
volume serial), no key an absolute path (the listing is kept by the region folders' paths
inside ``records/``, the cycle by its files, ``pilkada.yaml`` by its signature, the fold's
context by the cycle's files): a workspace moved, or a flash drive mounted under another path
or drive letter, starts warm (tests/test_remount.py; docs/performance.md says why each proof
is enough).

Every entry is keyed by the package's signature (``entries.code_key``: every file of the
installed package, by name, size and mtime), derived from the package itself, not from a list of
modules someone keeps; and an entry may hold plain data and any frozen dataclass of the package,
nothing else (``entries.storable``; tests/test_cache.py walks the package for them).

Format (``entries.py``, the one place cache files are written and read; each kind of file is
declared there): a header with the format's version, the lengths and two CRC-32 checksums (of
the header, and of all that follows), then a pickle of the project's own plain data (tuples,
lists, dicts, ``array`` columns and frozen dataclasses), read back with an unpickler that refuses
any other class, so a planted file cannot run code; big arrays may follow as raw bytes. Written
to a temp file in the same folder, fsynced and moved into place, the folder fsynced
(safefile.replace_atomic): readers never see half a file, a crash leaves the old entry or the
new one. An entry that does not verify is dropped and rebuilt, and the command says once on
stderr that the cache was damaged (``entries.take_damaged``, read by the CLI session); a missing,
stale (another version) or unreadable entry is rebuilt silently; failing to write one
(read-only folder, full disk) never fails a command. Which readiness to build from what is
decided by the application step (loading.py), not here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilkada_cli.domain.workspace import Workspace

ENV_OFF = "PILKADA_NO_CACHE"


def enabled() -> bool:
    """False when ``PILKADA_NO_CACHE`` is set (to anything but 0)."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def folder(ws: Workspace) -> Path:
    """Where a workspace's caches live."""
    return ws.state_dir / "cache"
