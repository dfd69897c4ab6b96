"""The province shards of files' columns (``files-<province>.pkl``: shardfile.py) as folds use
them: every file's columns for a whole fold, read again only where a file changed
(``file_columns``); and for a refold after a change, the kept columns of the files it needs,
and the shards written back with the changed files' columns, one shard in memory at a time.

A bulk import touches nearly every province: holding each shard read until the run ends held
the columns of every file of those provinces (~330 MB at the nation-to-district scale, most of
a run's peak), where the refold needs those of the changed regions' files only (~10 MB).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.cache import columns
from pilkada_cli.cache.columns import FileColumns, shard_of
from pilkada_cli.cache.shardfile import Shard
from pilkada_cli.progress import Progress, quiet
from pilkada_cli.recordfile import RecordFile, refuse_unread

if TYPE_CHECKING:
    from pilkada_cli.journal import Journal

# Parsing ~60 MB of lines a second, reading a shard ~600 MB a second and writing it again with
# the files' columns about as fast (shardfile.py): a shard is read (not its
PARSE_COST = 7  # files parsed) when it is under this many times their bytes, or when
MANY = 16  # this many of its files changed: a file parsed whole, not extended from its kept
# columns, has its region folded whole (after a bulk import of 10,000 rows at the nation to
# district level, 5,700 regions of ~430 events each, and every item's conflicts judged again)

Take = Callable[[str, FileColumns, bool], None]


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


def file_columns(journal: Journal, files: Sequence[RecordFile], where: Path | None,
                 progress: Progress = quiet) -> list[FileColumns]:
    """Every file's columns, in ``files`` order: from the cache (``where``; None: no cache)
    where the file's signature is unchanged, else read again (and the cache updated);
    ``progress`` hears of the files read (a first run reads every one)."""
    shards: dict[str, Shard] = {}
    wanted: dict[str, set[str]] = {}
    for info in files:
        wanted.setdefault(shard_of(info.region), set()).add(info.shown)
    for name in wanted:
        shards[name] = Shard.load(where, f"files-{name}") if where is not None else Shard()
    kept: dict[str, FileColumns] = {}
    for info in files:
        cols = shards[shard_of(info.region)].get(info.shown)
        if cols is not None and info.sig is not None and cols.sig == info.sig:
            kept[info.shown] = cols
    todo = [info for info in files if info.shown not in kept]
    read = dict(zip((info.shown for info in todo), columns.read_all(journal, todo, progress),
                    strict=True))
    refuse_unread([info for info in todo if read[info.shown].sig is None])
    changed: set[str] = set()
    out: list[FileColumns] = []
    for info in files:
        cols = kept.get(info.shown)
        if cols is not None:
            out.append(cols)
            continue
        cols = read[info.shown]
        out.append(cols)
        shard = shards[shard_of(info.region)]
        if cols.sig is not None and cols.sig == info.sig:
            shard.put(cols)
        else:  # changed while we read it, or unreadable: keep nothing
            shard.drop(info.shown)
        changed.add(shard_of(info.region))
    if where is not None:
        _save_shards(where, shards, wanted, changed)
    return out


def _save_shards(where: Path, shards: Mapping[str, Shard], wanted: dict[str, set[str]],
                 changed: set[str]) -> None:
    for name, shard in shards.items():
        stale = set(shard) - wanted.get(name, set())
        for shown in stale:
            shard.drop(shown)
        if name in changed or stale:
            shard.save(where, f"files-{name}")
    with contextlib.suppress(OSError):
        for p in where.glob("files-*.pkl"):
            if p.name[6:-4] not in wanted:
                p.unlink()
