"""Conflicts (conflicts.py) found from the record files' columns, one region at a time: per
item each origin's latest event before the cutoff, and of those no other one saw, whether they
disagree (``conflicts.unseen``, the rule ``Journal.read`` + ``conflicts.find`` apply). The seen
files are read per origin, only for pairs whose latest events disagree (otherwise no seen file
can make a conflict) and only as far as the rule needs them. A region's judgment keeps the
origins whose notes it read, each with the latest time it asked about, and the size and digest
of the notes read: a file whose signature changed judges a region again only if it may decide
otherwise (``changed_notes``): not if it only grew by notes dated after every event it was asked
about, as after a sync that came after the office's records."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, steps
from pilkada_cli.base.safefile import read_regular
from pilkada_cli.domain.events import STATUSES, Event
from pilkada_cli.domain.instant import utc_micros
from pilkada_cli.storage import conflicts as rules
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.listing import with_content
from pilkada_cli.storage.recordfile import Sig, signature
from pilkada_cli.storage.recordlist import open_folder

if TYPE_CHECKING:
    from pilkada_cli.domain.chunks import EventLoader
    from pilkada_cli.domain.readiness import Readiness
    from pilkada_cli.storage.cache.columns import FileColumns
    from pilkada_cli.storage.cache.shards import Provinces

_File = tuple[str, str]  # region, origin: a record file, as a Chunk's source
FileRefs = dict[tuple[str, str], tuple[tuple[_File, int], ...]]  # sides by file and offset
_Ref = tuple[int, int]  # source index, byte offset of the event's line
Refs = dict[tuple[str, str], tuple[_Ref, ...]]  # (region, item) -> the conflict's sides


class _Head:
    """One origin's latest event of a pair, as the conflict rule reads it (conflicts.Head)."""

    __slots__ = ("origin", "seq", "recorded", "status", "progress", "key", "ref")

    def __init__(self, c: FileColumns, pos: int, key: tuple[int, int, bytes]) -> None:
        self.origin = c.origin
        self.seq = c.seq[pos]
        self.recorded = utc_micros(c.rec[pos])
        self.status = STATUSES[c.status[pos]]
        self.progress = None if c.progress[pos] < 0 else c.progress[pos]
        self.key = key
        self.ref = ((c.region, c.origin), c.offset[pos])


class Seen:
    """Seen files (conflicts.py), read and compiled per origin when the rule first asks for
    one (``conflicts.unseen`` asks only as far as its answer needs). The ones asked for last
    are kept for the next regions (regions are judged in code order, so one office's file
    serves its neighbours, and a bulk importer's serves every region); at most ``BUDGET``
    steps of compiled files are kept (a national workspace's seen files hold millions of
    holdings), the least recently asked for going first. Counted as compiled, not as noted: an
    office that synced every day noted every origin each time (a line of thousands), and
    counting those made its one file outgrow the budget, read again for each region."""

    BUDGET = 200_000

    def __init__(self, records: Path) -> None:
        self.records = records
        self._kept: dict[str, tuple[rules.Held | None, int]] = {}
        self._size = 0
        self.sums: dict[str, Sum] = {}  # origin -> what its notes were read from

    def held(self, origin: str) -> rules.Held | None:
        got = self._kept.pop(origin, None)
        if got is None:
            data = rules.read_seen(self.records, origin)
            self.sums[origin] = (len(data), entries.blake2b(data))
            lines = rules.seen_lines(data)
            held = rules.Held(lines) if lines else None
            got = (held, len(held) if held is not None else 0)
            self._size += got[1]
            while self._size > self.BUDGET and self._kept:
                self._size -= self._kept.pop(next(iter(self._kept)))[1]
        self._kept[origin] = got  # (last: the most recently asked for)
        return got[0]


Sum = tuple[int, bytes]  # a seen file's size and content digest, as its notes were read
Judged = tuple[tuple[str, int], ...]  # origins whose notes decided a region, each with the
# latest ``recorded`` (POSIX us) of its events they were asked about


def grew_since(records: Path, origin: str, kept: Sum | None) -> tuple[int, Sum] | None:
    """Where ``origin``'s seen file only grew since its notes were read as ``kept`` (the same
    bytes at its start, ending a line): the earliest time its added notes hold (none: a time
    after any), and what it is now; None if it may have changed otherwise. Notes added at a
    time decide only events recorded from then on (``conflicts.saw``): an office that synced
    and then recorded changes no judgment of what it recorded before."""
    if kept is None:
        return None
    data = rules.read_seen(records, origin)
    old = kept[0]
    if len(data) < old or (old and data[old - 1:old] != b"\n") or entries.blake2b(
            data[:old]) != kept[1]:
        return None
    return (min((at.us for at, _held in rules.seen_lines(data[old:])), default=2**63),
            (len(data), entries.blake2b(data)))


def changed_notes(kept: Mapping[str, Sig | tuple[()] | None], records: Path, now: int,
                  by_content: bool, packed: Callable[[], dict[str, Any]], seen: Seen,
                  sigs: dict[str, Sig | tuple[()] | None]) -> tuple[dict[str, set[str]], set[str]]:
    """The regions whose conflicts a seen file that changed since ``kept`` (their signatures
    when the entry was kept; now in ``sigs``) may decide otherwise, each with those files'
    origins, and every origin whose seen file changed. A file that only grew decides again
    only where its office was asked about events recorded from its added notes' time on;
    ``packed``: the entry's judgments and what each file's notes were read from."""
    folder = f"{records / rules.FOLDER}{os.sep}"
    rejudge: dict[str, set[str]] = {}
    changed: set[str] = set()
    by_origin: dict[str, list[tuple[str, int]]] = {}
    fd = open_folder(folder) if kept else None
    try:
        for origin, sig in kept.items():
            sigs[origin] = sig_now = seen_sig(folder, origin, now, fd, by_content)
            if sig is not None and sig_now == sig:
                continue
            changed.add(origin)
            if not by_origin:
                for code, judged in packed()["judged"].items():
                    for o, us in judged:
                        by_origin.setdefault(o, []).append((code, us))
            grew = grew_since(records, origin, packed()["sums"].get(origin))
            if grew is not None:
                seen.sums[origin] = grew[1]
            since = -1 if grew is None else grew[0]
            for code, us in by_origin.get(origin, ()):
                if us >= since:
                    rejudge.setdefault(code, set()).add(origin)
    finally:
        if fd is not None:
            os.close(fd)
    return rejudge, changed


def merged(old: Judged, new: Judged) -> Judged:
    """Two judgments' origins, each with the later of its times."""
    out = dict(old)
    for origin, us in new:
        out[origin] = max(us, out.get(origin, us))
    return tuple(sorted(out.items()))


def seen_sig(folder: str, origin: str, now: int, fd: int | None = None,
             content: bool = False) -> Sig | tuple[()] | None:
    """The signature of an origin's seen file in ``folder`` (records/origins/, open as ``fd``
    where the OS allows: recordlist.open_folder): () when it has none, None when it changed
    within the clock's tick before ``now`` (it may change again unseen). A string path and
    os.stat: thousands are checked on every run. With ``content`` (times that cannot be
    trusted: listing.py), the signature is its size and content's digest (still None when its
    times say it changed within the tick: it is read again after this, to judge conflicts)."""
    try:
        st = (os.stat(folder + origin + rules.SUFFIX) if fd is None  # noqa: PTH116
              else os.stat(origin + rules.SUFFIX, dir_fd=fd))
    except OSError:
        return ()
    sig = signature(st)
    if entries.racy(sig, now):
        return None
    if content:
        try:
            data, _st = read_regular(folder + origin + rules.SUFFIX)
        except OSError:
            return None
        sig = with_content(data)
    return sig


def region_conflicts(region: str, cols: Sequence[FileColumns], cut: float, seen: Seen,
                     only: Collection[str] | None = None) -> tuple[FileRefs, Judged]:
    """The conflicts of one region (conflicts.find on its events before ``cut``): per item the
    latest event of each origin (file), and of those no other one saw, whether they disagree.
    Also the origins whose seen files decided it, those the rule read (none when no pair's
    latest events disagree: then no seen file can make a conflict; one that was not read
    cannot change the answer, conflicts.unseen), each with the latest time it was asked about."""
    if len(cols) < 2:
        return {}, ()
    per_file = [set(c.items) for c in cols]
    if only is not None:  # (the items events were added to: the others' judgment stands)
        shared = {name for name in only if sum(name in names for names in per_file) > 1}
    else:
        shared = {name for i, names in enumerate(per_file) for name in names
                  if any(name in other for other in per_file[i + 1:])}
    if not shared:
        return {}, ()
    heads: dict[str, list[_Head]] = {}
    for c in cols:
        wanted = {li for li, name in enumerate(c.items) if name in shared}
        if not wanted:
            continue
        best: dict[int, int] = {}  # item index -> the position of its latest event
        at, rec, item, id_bytes = c.at, c.rec, c.item, c.ids
        # (the positions of the items asked about picked in C: after a bulk import a few
        # items of each of thousands of regions, among ~400 events each)
        for pos in (range(len(item)) if len(wanted) == len(c.items) else itertools.compress(
                range(len(item)), map(wanted.__contains__, item))):
            a = at[pos]
            if a >= cut:
                continue
            li = item[pos]
            b = best.get(li)
            if b is None or a > at[b] or a == at[b] and (rec[pos] > rec[b] or rec[pos] == rec[b]
                                                          and id_bytes[16 * pos:16 * pos + 16]
                                                          > id_bytes[16 * b:16 * b + 16]):
                best[li] = pos
        for li, pos in best.items():
            heads.setdefault(c.items[li], []).append(
                _Head(c, pos, (at[pos], rec[pos], id_bytes[16 * pos:16 * pos + 16])))
    refs: FileRefs = {}
    judged: dict[str, int] = {}
    asked: list[str] = []

    def held(origin: str) -> rules.Held | None:
        asked.append(origin)
        return seen.held(origin)

    for name, latest in heads.items():
        if len(latest) < 2 or len({(h.status, h.progress) for h in latest}) < 2:
            continue
        open_ = rules.unseen(latest, held)
        for h in latest:
            if h.origin in asked:  # (its notes were read: only they decided the answer)
                judged[h.origin] = max(h.recorded.us, judged.get(h.origin, 0))
        asked.clear()
        if open_:
            open_.sort(key=lambda h: h.key, reverse=True)
            refs[(region, name)] = tuple(h.ref for h in open_)
    return refs, tuple(sorted(judged.items()))


class Judge:
    """A first build's conflicts, region by region as the fold asks for them (in scope order,
    each region with events once): ``region_conflicts`` on the columns handed in; or, with
    ``workers``, judged ahead in that many processes forked by ``start``, a province a task (a
    first build at the nation-to-district scale judged ~5 s of conflicts on one core while the
    other waited). Started once the rules across files are applied: judged while they were,
    the run's peak memory rose by 20-30 MB (the allocator's, as this process made and let go
    the ids' big arrays while another thread took in the results). Keeps what was found
    (``refs``: the dict the fold reads, filled before each region is folded), the origins whose
    notes decided each region (``judged``) and the seen files' sums (into ``seen.sums``).
    ``close`` when done."""

    def __init__(self, seen: Seen, progress: Progress, workers: int = 0) -> None:
        self.seen, self.progress = seen, progress
        self.refs: FileRefs = {}
        self.judged: dict[str, Judged] = {}
        self._done = 0
        self._ahead: list[tuple[str, FileRefs, Judged]] = []  # judged, not yet asked for
        self._pool: Any = None
        self._workers = workers

    def start(self, regions: Sequence[str], cutoff: Callable[[str], float],
              provinces: Provinces) -> None:
        """Judging ``regions`` (those with events, in scope order) begins."""
        self.cutoff = cutoff
        self._step = steps(self.progress, _("Checking regions for conflicts"), len(regions), 64)
        if self._workers > 1 and regions:
            import multiprocessing

            with contextlib.suppress(OSError, RuntimeError):  # (no processes here: all judged
                self._pool = multiprocessing.get_context("fork").Pool(self._workers)  # here)
        if self._pool is not None:
            from pilkada_cli.storage.cache.columns import shard_of

            tasks: dict[str, list[tuple[str, float]]] = {}
            for code in regions:
                tasks.setdefault(shard_of(code), []).append((code, cutoff(code)))
            self._results = self._pool.imap(_province, [
                (provinces.part(name), codes, self.seen.records) for name, codes in tasks.items()])

    def __call__(self, code: str, cols: Sequence[FileColumns]) -> None:
        """Judge a region (``cols``: its files' columns, those with events; none: nothing)."""
        if not cols:
            return
        self._step(self._done)
        self._done += 1
        found, origins = self._taken(code, cols) if self._pool is not None else (
            region_conflicts(code, cols, self.cutoff(code), self.seen))
        self.refs.update(found)
        if origins:
            self.judged[code] = origins

    def _taken(self, code: str, cols: Sequence[FileColumns]) -> tuple[FileRefs, Judged]:
        import pickle

        if not self._ahead:
            try:
                found, sums = next(self._results)
            except (OSError, RuntimeError, pickle.PicklingError):  # (a process lost: the
                # rest judged in this one). The pool is stopped on a thread of its own: its
                # stop joins threads that may wait minutes on what the lost process held
                # (seen once, under load), and this run needs nothing more from it.
                import threading

                pool, self._pool = self._pool, None
                threading.Thread(target=pool.terminate, daemon=True).start()
                return region_conflicts(code, cols, self.cutoff(code), self.seen)
            self.seen.sums.update(sums)
            self._ahead = found[::-1]
        got, refs, origins = self._ahead.pop()
        if got != code:
            raise ValueError(f"judged {got} where {code} was asked for")
        return refs, origins

    def close(self) -> None:
        """The processes stopped (the last progress step told)."""
        if self._done:
            self._step(self._done)
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


_SEEN: list[Seen] = []  # in a process judging ahead: its seen files, kept from task to task
_SENT: set[str] = set()  # ... and the origins whose sums it has sent (each only once: a
# district office's notes name thousands of origins, and a province's task may ask of each)


def _province(task: tuple[Provinces, list[tuple[str, float]], Path]
              ) -> tuple[list[tuple[str, FileRefs, Judged]], dict[str, Sum]]:
    """In a process judging ahead (Judge): the conflicts of a province's regions."""
    provinces, codes, records = task
    if not _SEEN:
        _SEEN.append(Seen(records))
    seen = _SEEN[0]
    out = [(code, *region_conflicts(code, provinces.region(code), cut, seen))
           for code, cut in codes]
    sums = {origin: sum_ for origin, sum_ in seen.sums.items() if origin not in _SENT}
    _SENT.update(sums)
    return out, sums


def numbered(refs: FileRefs, r: Readiness) -> Refs:
    """Conflict sides by the Readiness's source numbers (as its state keeps them)."""
    at = r.source_number
    return {key: tuple((at(src), loc) for src, loc in sides) for key, sides in refs.items()}


def refs_by_file(refs: Refs, sources: Sequence[Sequence[str]]
              ) -> dict[str, dict[tuple[str, str], tuple[tuple[tuple[str, str], int], ...]]]:
    """Kept conflicts per region, their sides by file (as ``region_conflicts`` gives them)."""
    out: dict[str, dict[tuple[str, str], tuple[tuple[tuple[str, str], int], ...]]] = {}
    for key, sides in refs.items():
        out.setdefault(key[0], {})[key] = tuple(
            ((sources[src][0], sources[src][1]), loc) for src, loc in sides)
    return out


class Conflicts(Mapping[tuple[str, str], rules.Conflict]):
    """(region, item) -> its Conflict, whose sides are read from the record files only when a
    view asks for them (a national workspace may have thousands)."""

    def __init__(self, refs: Refs, loaders: Sequence[EventLoader], records: Path) -> None:
        self.refs = refs
        self._loaders = loaders
        self._records = records
        self._built: dict[tuple[str, str], rules.Conflict] = {}
        self._names: dict[str, str] | None = None

    def __contains__(self, key: object) -> bool:
        return key in self.refs

    def __getitem__(self, key: tuple[str, str]) -> rules.Conflict:
        found = self._built.get(key)
        if found is None:
            self.preload([key])
            found = self._built[key]
        return found

    def preload(self, keys: Sequence[tuple[str, str]]) -> None:
        """Build the conflicts of ``keys``, their sides read at once (one open per file)."""
        todo = [k for k in dict.fromkeys(keys) if k not in self._built and k in self.refs]
        if not todo:
            return
        wanted: dict[int, list[int]] = {}
        for key in todo:
            for src, loc in self.refs[key]:
                wanted.setdefault(src, []).append(loc)
        read: dict[tuple[int, int], Event] = {}
        for src, locs in wanted.items():
            loader = self._loaders[src]
            many = getattr(loader, "many", None)
            events = many(locs) if many is not None else [loader(loc) for loc in locs]
            read.update(((src, loc), ev) for loc, ev in zip(locs, events, strict=True))
        if self._names is None:
            from pilkada_cli.storage import claimfiles

            self._names = {o: s.office for o, s in claimfiles.load(self._records).items()}
        for key in todo:
            sides = tuple(read[ref] for ref in self.refs[key])
            self._built[key] = rules.Conflict(key[0], key[1], sides, tuple(
                self._names.get(ev.origin, ev.origin) for ev in sides))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.refs)

    def __len__(self) -> int:
        return len(self.refs)
