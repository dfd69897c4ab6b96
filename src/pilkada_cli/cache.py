"""Derived caches that keep a national workspace quick. Never the source of truth: every entry is
rebuilt from the record files, checklists and config it was derived from, and is invalidated by
any change to them.

Where: ``<workspace>/.pilkada/cache/`` (local-only: new workspaces' ``.gitignore`` ignores
``.pilkada/``); for the embedded default ``<user home>/default/.pilkada/cache/``. Off with
``PILKADA_NO_CACHE=1`` (nothing read, nothing written). Deleting the folder is always safe.

What it holds:

- ``cycle-<key>.pkl``: a validated cycle. Key: the cycle folder, every file in it (name, size,
  mtime, ctime, inode) and the loader's own code.
- ``files-<province>.pkl``: per record file, what ``Journal.scan_columns`` made of it (its good
  events as columns, and what was wrong in it), with the file's signature (size, mtime, ctime,
  inode, device). A file whose signature changed (an append, a pull, ``repair``'s rewrite, an
  edit) is read again; the others are not read at all.
- ``status-<key>.pkl``: ``Readiness.state()`` of the whole workspace scope. Key: every record
  file's signature, the cycle's key, the scope, tags and thresholds, and the as-of calendar date
  in each time zone. The default as-of is an instant ("now"): an entry computed at an earlier
  instant of the same dates is reused only if no event happened at or after that instant.

Format: pickle of the project's own plain data (tuples, lists, dicts, ``array`` columns and
frozen dataclasses), read back with an unpickler that refuses any other class, so a planted file
cannot run code; a version field. Written to a temp file in the same folder and moved into place
(``os.replace``): readers never see half a file. A missing, corrupt, foreign or unreadable entry
is rebuilt silently; failing to write one (read-only folder, full disk) never fails a command.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pilkada_cli.checklist import Cycle
    from pilkada_cli.journal import FileColumns, FileInfo, Journal, Sig
    from pilkada_cli.readiness import AsOf, Readiness
    from pilkada_cli.regions import RegionIndex
    from pilkada_cli.workspace import Workspace

VERSION = 1
ENV_OFF = "PILKADA_NO_CACHE"
# A file changed within this long before an entry was written may change again with the same
# signature (coarse file-system clocks: FAT keeps 2 s): such a file is checked by content.
RACY_NS = 2_000_000_000
KEEP_STATUS = 6  # status entries kept (as-of dates, scopes); ~25 MB each for the whole nation
KEEP_CYCLE = 4
# The modules whose code decides what a cached value means: any change to one (an upgrade, a
# developer's edit) makes every entry stale.
_MEANING = ("cache.py", "checklist.py", "fields.py", "yamlload.py", "events.py", "journal.py",
            "readiness.py", "regions.py", "elections.py", "recurrence.py")
_ALLOWED = {
    ("array", "array"), ("array", "_array_reconstructor"), ("builtins", "frozenset"),
    ("builtins", "set"), ("datetime", "date"), ("copyreg", "_reconstructor"),
    ("builtins", "object"), ("pilkada_cli.checklist", "Cycle"),
    ("pilkada_cli.checklist", "Stage"), ("pilkada_cli.checklist", "Item"),
    ("pilkada_cli.checklist", "Measure"), ("pilkada_cli.journal", "Finding"),
    ("pilkada_cli.elections", "Election"), ("pilkada_cli.elections", "OwnerAlias"),
}


def enabled() -> bool:
    """False when ``PILKADA_NO_CACHE`` is set (to anything but 0)."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def folder(ws: Workspace) -> Path:
    """Where a workspace's caches live."""
    return ws.state_dir / "cache"


# --- reading and writing entries ---------------------------------------------------------------


class _Unpickler(pickle.Unpickler):
    """Only the classes this module writes: a planted file cannot name anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")
        return super().find_class(module, name)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as f:
            obj = _Unpickler(f).load()
    except Exception:  # noqa: BLE001 (any unreadable or corrupt entry is simply rebuilt)
        return None
    if type(obj) is not dict or obj.get("v") != VERSION:
        return None
    return obj


def _write(path: Path, obj: dict[str, Any]) -> None:
    """Write atomically; any failure leaves the old entry (or none) and is not an error."""
    import tempfile

    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as f:
            pickle.dump({**obj, "v": VERSION}, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        tmp = None
    except (OSError, pickle.PicklingError, RecursionError):
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _prune(where: Path, pattern: str, keep: int) -> None:
    with contextlib.suppress(OSError):
        entries = sorted(where.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            old.unlink()


def _digest(*parts: object) -> str:
    try:  # the C module itself: hashlib would also load OpenSSL (2 ms a run)
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    return blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@cache
def _code_key() -> tuple[object, ...]:
    here = Path(__file__).parent
    out: list[object] = []
    for name in _MEANING:
        try:
            st = (here / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None))
    return tuple(out)


# --- cycles ------------------------------------------------------------------------------------


def _folder_key(path: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    entries = []
    with os.scandir(path) as it:
        for e in it:
            st = e.stat()
            entries.append((e.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(sorted(entries))


def load_cycle(ws: Workspace, path: Path, load: Callable[[Path], Cycle]) -> Cycle:
    """``load(path)``, or the same cycle from the cache while nothing in its folder changed."""
    if not enabled():
        return load(path)
    try:
        files = _folder_key(path)
    except OSError:
        return load(path)  # the loader reports what is wrong with the folder
    if any(max(f[2], f[3]) >= time.time_ns() - RACY_NS for f in files):
        return load(path)  # just edited: it may change again within the clock's tick
    key = _digest(str(path), files, _code_key())
    where = folder(ws)
    entry = _read(where / f"cycle-{key}.pkl")
    if entry is not None and entry.get("key") == key:
        cycle: Cycle = entry["cycle"]
        return cycle
    cycle = load(path)
    _write(where / f"cycle-{key}.pkl", {"key": key, "cycle": cycle})
    _prune(where, "cycle-*.pkl", KEEP_CYCLE)
    return cycle


# --- records: per-file parses and columns --------------------------------------------------------


def records_cache(records: Path) -> Path | None:
    """The cache folder for a records folder's per-file parses (``Journal.read``): the
    workspace's, if it has a ``.pilkada`` folder (every workspace pilkada has shown status for);
    None when caching is off."""
    if not enabled():
        return None
    state = records.parent / ".pilkada"
    return state / "cache" if state.is_dir() else None


def load_shard(where: Path, name: str, sig_at: int = 0) -> dict[str, Any]:
    """A shard of per-file entries, each holding its file's signature at ``sig_at`` (empty if
    missing, stale or unreadable). Entries of files that had just changed when the shard was
    written are left out: the caller reads those files again."""
    entry = _read(where / f"{name}.pkl")
    if entry is None or entry.get("code") != _code_key():
        return {}
    try:
        files: dict[str, Any] = entry["files"]
        return {k: v for k, v in files.items() if not _racy(v[sig_at], entry["at"])}
    except (KeyError, TypeError, IndexError, AttributeError):
        return {}


def save_shard(where: Path, name: str, files: dict[str, Any]) -> None:
    """Write a shard of per-file entries (silently not, if it cannot be written)."""
    _write(where / f"{name}.pkl", {"code": _code_key(), "files": files, "at": time.time_ns()})


# --- records as columns ------------------------------------------------------------------------


def _shard(region: str) -> str:
    return region[:2]


def _columns(journal: Journal, files: Sequence[FileInfo], where: Path | None
             ) -> list[FileColumns]:
    """Every file's columns, in ``files`` order: from the cache where the file's signature is
    unchanged, else read again (and the cache updated)."""
    from pilkada_cli.journal import FileColumns

    shards: dict[str, dict[str, tuple[Any, ...]]] = {}
    changed: set[str] = set()
    out: list[FileColumns] = []
    wanted: dict[str, set[str]] = {}
    for info in files:
        wanted.setdefault(_shard(info.region), set()).add(info.shown)
    if where is not None:
        for name in wanted:
            shards[name] = load_shard(where, f"files-{name}", 3)
    todo = [info for info in files if not _kept(shards, info)]
    scanned = dict(zip((info.shown for info in todo), _scan_all(journal, todo), strict=True))
    for info in files:
        kept_files = shards.setdefault(_shard(info.region), {})
        cols = scanned.get(info.shown)
        if cols is None:
            out.append(FileColumns(*kept_files[info.shown]))
            continue
        out.append(cols)
        if cols.sig is not None and cols.sig == info.sig:
            kept_files[info.shown] = tuple(getattr(cols, n) for n in FileColumns.__slots__)
        else:  # changed while we read it, or unreadable: keep nothing
            kept_files.pop(info.shown, None)
        changed.add(_shard(info.region))
    if where is not None:
        for name, kept_files in shards.items():
            stale = set(kept_files) - wanted.get(name, set())
            for shown in stale:
                del kept_files[shown]
            if name in changed or stale:
                save_shard(where, f"files-{name}", kept_files)
        with contextlib.suppress(OSError):
            for p in where.glob("files-*.pkl"):
                if p.name[6:-4] not in wanted:
                    p.unlink()
    return out


def _racy(sig: Sig | None, written: int) -> bool:
    """Whether a file with this signature may have changed since ``written`` unseen."""
    return sig is None or max(sig[1], sig[2]) >= written - RACY_NS


def _kept(shards: dict[str, dict[str, tuple[Any, ...]]], info: FileInfo) -> bool:
    kept = shards.get(_shard(info.region), {}).get(info.shown)
    return (kept is not None and info.sig is not None and _well_formed(kept)
            and kept[3] == info.sig)


def _well_formed(kept: Any) -> bool:
    """A kept FileColumns tuple whose columns agree (a damaged one is read again)."""
    try:
        (_region, _origin, _shown, _sig, items, item, status, progress, at, rec, offset, ids,
         batches, _sizes, batch, _warnings, _problems, _digest) = kept
        n = len(offset)
        return (all(len(c) == n for c in (item, status, progress, at, rec, batch))
                and len(ids) == 16 * n and (not n or (max(item) < len(items)
                                                     and max(status) < 5
                                                     and max(batch) < len(batches))))
    except (TypeError, ValueError):
        return False


PARALLEL_FILES = 2000  # reading more files than this (a first run, a big pull) uses every core


def _scan_all(journal: Journal, infos: list[FileInfo]) -> list[FileColumns]:
    """``journal.scan_columns`` of each file; in worker processes when there are many (parsing
    is CPU-bound: a national workspace's first run reads millions of lines)."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                  else os.cpu_count() or 1, 8)
    # Only where processes are forked: a spawned one would import the command's __main__ again.
    if len(infos) < PARALLEL_FILES or workers < 2 or not sys.platform.startswith("linux"):
        return [journal.scan_columns(info) for info in infos]
    import multiprocessing

    try:
        with multiprocessing.get_context("fork").Pool(workers, _worker_init,
                                                      (journal.root,)) as pool:
            return pool.map(_worker_scan, infos, chunksize=64)
    except (OSError, RuntimeError, pickle.PicklingError):  # no processes here: do it alone
        return [journal.scan_columns(info) for info in infos]


_WORKER: list[Journal] = []


def _worker_init(root: Path) -> None:
    from pilkada_cli.journal import Journal

    _WORKER[:] = [Journal(root)]


def _worker_scan(info: FileInfo) -> FileColumns:
    return _WORKER[0].scan_columns(info)


# --- readiness ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def readiness(ws: Workspace, cycle: Cycle, regions: Callable[[], RegionIndex], as_of: AsOf
              ) -> tuple[Readiness, int]:
    """The readiness of the workspace scope at ``as_of``, and how many problems the record files
    have (as ``len(Journal.read().problems)``): from the cache when nothing it depends on
    changed, else folded from columns (only changed files are read). When offices recorded
    conflicting values (rare: conflicts.py) it is folded from the events, uncached."""
    from pilkada_cli.conflicts import detect
    from pilkada_cli.journal import Journal
    from pilkada_cli.readiness import ZONES, Readiness

    journal = Journal(ws.records_dir)
    config = ws.config
    files, listing = journal.snapshot()
    conflicts = detect(ws.records_dir, as_of, files)
    if not enabled() or conflicts:  # the reference path: every event read and folded
        from pilkada_cli.loading import scope_regions

        result = journal.read()
        return Readiness(cycle, scope_regions(regions(), config.region, config.depth),
                         config.tags, result.events, as_of, config.thresholds,
                         conflicts=conflicts), len(result.problems)
    dates = tuple(as_of.date_in(zone).isoformat() for zone in ZONES)
    cutoffs = {zone: as_of.cutoff_in(zone) for zone in ZONES}
    where: Path | None = folder(ws)
    cycle_files = _cycle_key(cycle)
    key = _digest(
        [(f.shown, f.sig) for f in files], [str(f) for f in listing],
        cycle.path, cycle_files, config.region, config.depth,
        sorted((c, sorted(t)) for c, t in config.tags.items()),
        (config.thresholds.warn_days, config.thresholds.red_gap),
        "day" if as_of.day is not None else "instant", dates, _code_key(),
    )
    if where is not None:
        entry = _read(where / f"status-{key}.pkl")
        try:
            ok = (entry is not None and entry.get("key") == key
                  and _still_valid(entry, cutoffs)
                  and _same_content(journal, files, entry["racy"]))
            if ok and entry is not None:
                with _gc_paused():
                    r = Readiness.restore(cycle, config.tags, as_of, config.thresholds,
                                          entry["state"], _loaders(journal, entry["state"]))
                return r, int(entry["problems"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            pass  # a damaged entry: computed again below
    from pilkada_cli.journal import merge_columns
    from pilkada_cli.loading import scope_regions
    from pilkada_cli.readiness import Chunk

    with _gc_paused():
        columns = _columns(journal, files, where)
        merged = merge_columns(columns, listing)
        if merged is None:  # an id in two files: the journal's own read says which counts
            result = journal.read()
            r = Readiness(cycle, scope_regions(regions(), config.region, config.depth),
                          config.tags, result.events, as_of, config.thresholds)
            return r, len(result.problems)
        scope = scope_regions(regions(), config.region, config.depth)
        in_scope = {x.code for x in scope}
        chunks = [
            Chunk(region=c.region, items=c.items, item=c.item, status=c.status,
                  progress=c.progress, at=c.at, rec=c.rec, locate=c.offset,
                  load=_loader(journal, c.region, c.origin), ids=c.ids,
                  skip=merged.skip.get(i, frozenset()), source=(c.region, c.origin))
            for i, c in enumerate(columns) if c.region in in_scope and len(c)]
        r = Readiness(cycle, scope, config.tags, [], as_of, config.thresholds, chunks=chunks)
        now = time.time_ns()
        keep = all(c.sig == f.sig for c, f in zip(columns, files, strict=True)) and not any(
            max(f[2], f[3]) >= now - RACY_NS for f in cycle_files)  # a checklist just edited
        if where is not None and keep:
            lo = min(cutoffs.values())
            late = sorted(a for c in columns if len(c) and max(c.at) >= lo for a in c.at
                          if a >= lo)
            racy = {c.shown: c.digest for c in columns if _racy(c.sig, now)}
            _write(where / f"status-{key}.pkl", {
                "key": key, "cutoffs": cutoffs, "late": late, "problems": merged.problems,
                "racy": racy, "state": r.state()})
            _prune(where, "status-*.pkl", KEEP_STATUS)
    return r, merged.problems


def _cycle_key(cycle: Cycle) -> tuple[tuple[str, int, int, int, int], ...]:
    try:
        return _folder_key(Path(cycle.path))
    except OSError:
        return ()


def _same_content(journal: Journal, files: Sequence[FileInfo], racy: dict[str, bytes]) -> bool:
    """Files that had just changed when the entry was written still hold what it was computed
    from (their signature alone cannot say so)."""
    if not racy:
        return True
    by_shown = {f.shown: f for f in files}
    return all(shown in by_shown and journal.digest(by_shown[shown]) == digest
               for shown, digest in racy.items())


def _still_valid(entry: dict[str, Any], cutoffs: dict[str, float]) -> bool:
    """The same events count at ``cutoffs`` as at the entry's: the same cutoffs, or no event
    happened between the two (the default as-of, now, moves on between runs). ``late`` holds,
    sorted, the ``at`` of every event at or after the entry's earliest cutoff."""
    old: dict[str, float] = entry["cutoffs"]
    if old == cutoffs:
        return True
    if any(cutoffs[z] < old[z] for z in cutoffs):  # ``late`` only knows what came after
        return False
    lo = min(old.values())
    hi = max(cutoffs.values())
    late: list[int] = entry["late"]
    i = bisect.bisect_left(late, lo)
    return i == len(late) or late[i] >= hi


def _loader(journal: Journal, region: str, origin: str) -> Callable[[int], Any]:
    def load(offset: int) -> Any:
        from pilkada_cli.errors import StorageError

        try:
            return journal.event_at(region, origin, offset)
        except (OSError, ValueError) as e:
            raise StorageError(f"the record files changed while being read ({e}); run the "
                               "command again") from None

    return load


def _loaders(journal: Journal, state: dict[str, Any]) -> list[Callable[[int], Any]]:
    return [_loader(journal, region, origin) for region, origin in state["sources"]]
