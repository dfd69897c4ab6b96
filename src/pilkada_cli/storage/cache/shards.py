"""The province shards of files' columns (``files-<province>.pkl``: shardfile.py) as folds use
them: for a whole fold, every file's columns read again only where a file changed, held whole
one province at a time (``index_columns``, ``Provinces``); and for a refold after a change,
the kept columns of the files it needs, and the shards written back with the changed files'
columns, one shard in memory at a time.

A bulk import touches nearly every province: holding each shard read until the run ends held
the columns of every file of those provinces (~330 MB at the nation-to-district scale, most of
a run's peak), where the refold needs those of the changed regions' files only (~10 MB).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.progress import Progress, quiet
from pilkada_cli.storage.cache import columns
from pilkada_cli.storage.cache.columns import FileColumns, shard_of
from pilkada_cli.storage.cache.filechunks import chunk_of
from pilkada_cli.storage.cache.loaders import Loader
from pilkada_cli.storage.cache.shardfile import Shard
from pilkada_cli.storage.recordfile import RecordFile, Sig, refuse_unread

if TYPE_CHECKING:
    from pilkada_cli.domain.chunks import Chunk
    from pilkada_cli.storage.journal import Journal

# Parsing ~60 MB of lines a second, reading a shard ~600 MB a second and writing it again with
# the files' columns about as fast (shardfile.py): a shard is read (not its
PARSE_COST = 7  # files parsed) when it is under this many times their bytes, or when
MANY = 16  # this many of its files changed: a file parsed whole, not extended from its kept
# columns, has its region folded whole (after a bulk import of 10,000 rows at the nation to
# district level, 5,700 regions of ~430 events each, and every item's conflicts judged again)

Take = Callable[[str, FileColumns, bool], None]
_Version = tuple[Sig | None, bytes, int]  # a file's columns as read: signature, digest, events


def _version(c: FileColumns) -> _Version:
    return c.sig, c.digest, len(c)


class Shards:
    """The shards a refold after a change reads where that is cheaper than parsing the files
    (a burst of records, a bulk import touch many regions), and writes back with the changed
    files' columns: what the next such change extends (parsing only the lines added), and the
    version whose ids the index then holds (ids.check's ``grown``)."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def columns(self, files: Sequence[RecordFile], have: Mapping[str, FileColumns], take: Take,
                changed: Collection[str] = (),
                read: Callable[[RecordFile], FileColumns] | None = None) -> set[str]:
        """For each shard worth reading, one at a time: the kept columns of ``files`` (not those
        in ``have``) handed to ``take`` with whether each is of the file as it is now (else only
        to extend); then, with ``read``, its files named in ``changed`` read (from what ``take``
        was given) and the shard written again with their columns. Nothing of a shard is held
        once its files are done, but the columns handed on. Returns the shards whose changed
        files were handled (written again where their columns were of the files as listed)."""
        written: set[str] = set()
        by_shard: dict[str, list[RecordFile]] = {}
        for f in files:
            by_shard.setdefault(shard_of(f.region), []).append(f)
        for shard, mine in by_shard.items():
            try:
                size = (self.where / f"files-{shard}.pkl").stat().st_size
            except OSError:
                continue
            if len(mine) < MANY and sum(
                    f.sig[0] for f in mine if f.sig is not None) * PARSE_COST < size:
                continue
            racy: set[str] = set()  # its entries of files that had just changed
            loaded = Shard.load(self.where, f"files-{shard}", racy)
            for f in mine:
                if f.sig is None or f.shown in have:
                    continue
                cols = loaded.get(f.shown)  # (None, a damaged entry too: the file is read)
                if cols is not None:
                    take(f.shown, cols, cols.sig == f.sig and f.shown not in racy)
            if read is not None and any(f.shown in changed for f in mine):
                self._keep(shard, loaded, racy, [(f, read(f)) for f in mine
                                                 if f.shown in changed])
                written.add(shard)
            del loaded  # (before the next shard is read)
        return written

    def _keep(self, shard: str, loaded: Shard, racy: set[str],
              read: Sequence[tuple[RecordFile, FileColumns]]) -> None:
        """Write a shard again with these files' columns (read this run)."""
        touched = False
        for f, c in read:
            if c.sig is not None and c.sig == f.sig:
                loaded.put(c)
                racy.discard(f.shown)
                touched = True
        if touched:  # (the racy ones not read again kept as racy: loaded.racy)
            loaded.save(self.where, f"files-{shard}")


class Changed(Exception):
    """A file's columns are no longer those a first build read a moment ago (it changed)."""


def index_columns(journal: Journal, files: Sequence[RecordFile], where: Path,
                  progress: Progress = quiet) -> tuple[list[FileColumns], dict[str, FileColumns]]:
    """Every file's columns ``for_index`` (what the rules across files read), in ``files``
    order: from its shard where the file's signature is unchanged, else read again (``progress``
    hears of the files read: a first run reads every one). One province at a time: each shard
    is written again with its files read as soon as the last of them is, and let go. Also the
    whole columns of files read that no shard keeps (one changed as it was read, a shard that
    could not be written): ``Provinces`` hands on those instead."""
    wanted: dict[str, dict[str, RecordFile]] = {}
    for info in files:
        wanted.setdefault(shard_of(info.region), {})[info.shown] = info
    light: dict[str, FileColumns] = {}
    todo: list[RecordFile] = []
    rewrite: set[str] = set()  # shards with files read, or kept files no longer listed
    for name, mine in wanted.items():
        shard = Shard.load(where, f"files-{name}")
        for shown, info in mine.items():
            cols = shard.get(shown)
            if cols is not None and info.sig is not None and cols.sig == info.sig:
                light[shown] = columns.for_index(cols)
            else:
                todo.append(info)
                rewrite.add(name)
        if any(shown not in mine for shown in shard):
            rewrite.add(name)
        del shard
    left = Counter(shard_of(info.region) for info in todo)
    read: dict[str, list[FileColumns]] = {}
    held: dict[str, FileColumns] = {}

    def keep(name: str) -> None:  # the shard written again, with its files read
        shard = Shard.load(where, f"files-{name}")
        got = read.pop(name, [])
        for cols in got:
            if cols.sig is not None and cols.sig == wanted[name][cols.shown].sig:
                shard.put(cols)
            else:  # changed while we read it: kept by no shard
                shard.drop(cols.shown)
                held[cols.shown] = cols
        for shown in [s for s in shard if s not in wanted[name]]:
            shard.drop(shown)
        if not shard.save(where, f"files-{name}"):
            held.update((c.shown, c) for c in got)

    for cols in columns.each_read(journal, todo, progress):
        name = shard_of(cols.region)
        if cols.sig is None:
            refuse_unread([wanted[name][cols.shown]])
        read.setdefault(name, []).append(cols)
        light[cols.shown] = columns.for_index(cols)
        left[name] -= 1
        if not left[name]:
            keep(name)
            rewrite.discard(name)
    for name in rewrite:  # (only files gone from them)
        keep(name)
    with contextlib.suppress(OSError):
        for p in where.glob("files-*.pkl"):
            if p.name[6:-4] not in wanted:
                p.unlink()
    return [light[info.shown] for info in files], held


class Provinces:
    """The whole columns of a first build's files, region by region, as ``index_columns`` left
    them: each province's shard read back when one of its regions is first asked for (and let
    go when another province's is), each file's checked to be of the version read then. A
    first run holds one province's columns at a time, not the nation's (~180 MB at the
    nation-to-district scale)."""

    def __init__(self, journal: Journal, where: Path, files: Sequence[RecordFile],
                 light: Sequence[FileColumns], held: Mapping[str, FileColumns]) -> None:
        self.journal, self.where, self.held = journal, where, held
        self.skip: Mapping[str, frozenset[int]] = {}  # events left out (merge_columns' skip)
        # shard -> region -> its files, each with the version read: signature, digest, events
        self.files: dict[str, dict[str, list[tuple[RecordFile, _Version]]]] = {}
        for info, c in zip(files, light, strict=True):
            self.files.setdefault(shard_of(c.region), {}).setdefault(c.region, []).append(
                (info, _version(c)))
        self._name = ""
        self._shard = Shard()

    def part(self, name: str) -> Provinces:
        """Only the province ``name`` (what a process judging it is sent: heads.Judge)."""
        out = Provinces(self.journal, self.where, [], [], {})
        out.files = {name: self.files.get(name, {})}
        out.held = {info.shown: self.held[info.shown] for files in out.files[name].values()
                    for info, _v in files if info.shown in self.held}
        return out

    def with_events(self, scope: Iterable[str]) -> list[str]:
        """The regions of ``scope`` that have events, in its order."""
        return [code for code in scope
                if any(v[2] for _info, v in self.files.get(shard_of(code), {}).get(code, ()))]

    def chunks(self, cols: Sequence[FileColumns]) -> list[Chunk]:
        """The columns as the fold takes them (their events of incomplete batches
        left out)."""
        return [chunk_of(c, self.skip.get(c.shown, frozenset()),
                         Loader(self.journal, c.region, c.origin)) for c in cols]

    def region(self, code: str) -> list[FileColumns]:
        """The columns of the region's files that have events (in the order listed); Changed
        if one changed."""
        name = shard_of(code)
        mine = self.files.get(name, {}).get(code)
        if not mine:
            return []
        if name != self._name:
            self._shard = Shard()  # (let go before the next is read)
            self._shard = Shard.load(self.where, f"files-{name}", racy=set())
            self._name = name
        out = []
        for info, version in mine:
            cols = self.held.get(info.shown)
            if cols is None:
                cols = self._shard.get(info.shown)
            if cols is None or _version(cols) != version:
                cols = columns.read_columns(self.journal.record_file(
                    info.region, info.origin)._replace(sig=info.sig))
                if _version(cols) != version:
                    raise Changed(info.shown)
            if len(cols):
                out.append(cols)
        return out
