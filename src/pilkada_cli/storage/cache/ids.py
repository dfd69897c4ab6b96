"""Every event id and batch id of the record files (``ids.pkl``), so that after a change the
journal's rules across files are applied to the changed files only: an event id in two files
(recordfile.merge: then the cache steps aside and ``Journal.read`` decides), and a batch that
counts only when all of its events are present, whichever files they are in.

What is kept:

- the files, as columns (``_Table``: their names as one string, the rest arrays, so that tens
  of thousands of files are read, compared and written again in a few milliseconds): per
  record file the signature of the version the index covers (for a file that had just
  changed when this was written, the digest of its content instead: it is checked again next
  time, and if it only grew, only its added ids are looked up), its problem count, and a
  number naming it in the keys.
- keys: 8 bytes per id (event or batch) of every version of every file covered: 36 bits of the
  id and the file's 24-bit number, sorted. Most are in ``ids-<token>.keys``, written once and
  never changed; those added since are in ``ids.pkl`` itself, until there are enough of them to
  write a new ``ids-<token>.keys``. So a run after a change writes only the small part. The
  base is an entry whose keys are raw doubles after its pickle (entries.py), mapped into memory
  (25 MB at the nation-to-district scale; unpickling it took ~35 ms of every run after a
  change; reading it verifies its checksum, ~8 ms). Keys of versions since replaced may linger
  (a repaired or removed file): a key of another file is only a candidate, checked against
  that file as it is now. A lookup is a bisection; a false candidate costs one file's read.
- ``open``: the batches split over several files or missing events (almost never more than a
  few), with each file's count of their events and the size the events name.

The keys are stored as doubles: for these bit patterns (sign 0, exponent never all ones) the
order of the doubles is the order of the patterns, and CPython sorts floats several times faster
than 64-bit integers (a first build at the nation-to-district scale sorts 3 M of them). They are
made, sorted, merged and looked up in idkeys.py.

Invariant: an index is written only for files with no event id in two of them, and holds every
key of every version of a file that it says it covers. A run then checks only the files whose
signature differs from the one covered: each of their ids looked up among all keys.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import struct
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pilkada_cli.base.progress import no_step
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.columns import FileColumns
from pilkada_cli.storage.cache.idkeys import Parts
from pilkada_cli.storage.cache.idkeys import holds as _holds
from pilkada_cli.storage.cache.idkeys import keys_of as _keys
from pilkada_cli.storage.cache.idkeys import merged as _merged
from pilkada_cli.storage.cache.idkeys import number_of as _number_of
from pilkada_cli.storage.cache.idkeys import span as _span
from pilkada_cli.storage.recordfile import RecordFile, Sig

NAME = entries.kind("ids.pkl", __name__)
BASES = entries.kind("ids-*.keys", __name__)  # the base of keys (_write_base)
KEEP_BASES = 3
MERGE_AT = 1 << 16  # keys added since the base before a new base is written
_NUMBERS = 1 << 24


class Duplicate(Exception):  # (a finding, not a failure)
    """An event id is in two record files: only the journal's own read says which counts."""


class Across(NamedTuple):
    """What the rules across files say about the record files as listed."""

    problems: int  # the files' problem count (as len(Journal.read().problems), the listing's
    # own findings aside)
    incomplete: dict[str, tuple[str, ...]]  # batch id -> the files with events of it


_Open = dict[str, dict[str, tuple[int, int]]]  # batch -> shown -> events of it, size named
_Version = Sig | bytes | None  # of a file, covered: its signature, else content digest, else none
_NONE = (-1, -1, -1, -1, -1)  # in ``sigs``: no version covered (never a real signature)
_DIGEST = (-2, -2, -2, -2, -2)  # in ``sigs``: the version covered is ``digests``' one


class _Table(NamedTuple):
    """The files the index covers, as columns: names (in the listing's order when written), five
    integers each in ``sigs`` (``_NONE``, ``_DIGEST`` or the signature), problems, numbers."""

    names: list[str]
    sigs: array[int]
    problems: array[int]
    numbers: array[int]
    digests: dict[str, bytes]

    def version(self, i: int) -> _Version:
        sig = tuple(self.sigs[5 * i:5 * i + 5])
        return None if sig == _NONE else self.digests.get(self.names[i]) if sig == _DIGEST else (
            sig)  # type: ignore[return-value]


def _packed(sigs: Iterable[Sig | None]) -> array[int]:
    """Signatures as one array, five integers each (``_NONE`` for none), packed in one call."""
    flat = list(itertools.chain.from_iterable(s or _NONE for s in sigs))
    return array("q", struct.pack(f"{len(flat)}q", *flat))


def _batch_raw(names: Iterable[str]) -> bytes:
    return b"".join(bytes.fromhex(name) for name in names)


def _batch_counts(c: FileColumns) -> dict[str, tuple[int, int]]:
    """A file's batches: its events of each (after its own rules) and the size they name."""
    counts = [0] * len(c.batches)
    for b in c.batch:
        if b >= 0:
            counts[b] += 1
    return {name: (counts[i], c.batch_size[i]) for i, name in enumerate(c.batches)}


def _has(c: FileColumns, raw: bytes, is_batch: bool) -> bool:
    """Whether a file's good events include the id (or batch id) ``raw``."""
    if is_batch:
        return raw.hex() in c.batches
    i = c.ids.find(raw)
    while i >= 0 and i % 16:
        i = c.ids.find(raw, i + 1)
    return i >= 0


def _incomplete(open_: Mapping[str, Mapping[str, tuple[int, int]]]) -> dict[str, tuple[str, ...]]:
    counted = {b: tuple(zip(*per.values(), strict=True)) for b, per in open_.items()}  # (in C)
    return {b: tuple(sorted(open_[b])) for b, (n, size) in counted.items() if sum(n) < max(size)}


# --- reading and writing ------------------------------------------------------------------------


def _load(where: Path) -> tuple[dict[str, Any], _Table, memoryview] | None:
    """The index, its files and its base keys, if all are there, whole and of this code."""
    entry = entries.read(where / NAME)
    if not (entry is not None and entry.get("code") == entries.code_key()
            and entry.get("order") == sys.byteorder and type(entry.get("names")) is str
            and all(type(entry.get(k)) is array and entry[k].typecode == "q"
                    for k in ("sigs", "problems", "numbers"))
            and type(entry.get("digests")) is dict
            and type(entry.get("open")) is dict and type(entry.get("recent")) is array
            and type(entry.get("next")) is int and type(entry.get("base")) is str):
        return None
    names = entry["names"].split("\n") if entry["names"] else []
    table = _Table(names, entry["sigs"], entry["problems"], entry["numbers"], entry["digests"])
    if (len(table.sigs) != 5 * len(names) or len(table.problems) != len(names)
            or len(table.numbers) != len(names)):
        return None
    if entry["recent"].typecode != "d" or not re.fullmatch("[0-9a-f]{16}", entry["base"]):
        return None
    keys = _base(where, entry["base"])
    return None if keys is None else (entry, table, keys)


def _base(where: Path, token: str) -> memoryview | None:
    """The keys of the base named ``token``, a view of doubles: of the file mapped into memory
    where the file system allows (cache/listing.py; bisect then reads a few pages of a file of
    millions), else of one read of it."""
    from pilkada_cli.storage.cache.listing import is_local

    found = entries.read(where / f"ids-{token}.keys", is_local(where))
    if found is None or found.get("token") != token or type(found.get("raw")) is not dict:
        return None
    keys = found["raw"].get("keys")
    return keys if isinstance(keys, memoryview) and keys.format == "d" else None


def _write(where: Path, table: _Table, next_number: int, token: str, recent: array[float],
           open_: _Open) -> None:
    entries.write(where / NAME, {"code": entries.code_key(), "order": sys.byteorder,
                                 "names": "\n".join(table.names), "sigs": table.sigs,
                                 "problems": table.problems, "numbers": table.numbers,
                                 "digests": table.digests, "next": next_number, "base": token,
                                 "recent": recent, "open": open_})


def _version(c: FileColumns, listed: RecordFile | None, threshold: int) -> _Version:
    """The version of a file read this run that the index covers: its signature as listed,
    or its content's digest if it changed within the clock's tick before ``threshold`` (or
    since it was listed: a kept one was not, and cannot become so)."""
    sig = c.sig if listed is None or c.sig == listed.sig else None
    if sig is not None and max(sig[1], sig[2]) < threshold:
        return sig
    return c.digest or None


def _encode(v: _Version) -> Sig:  # (as ``sigs`` keeps it)
    return _NONE if v is None else _DIGEST if type(v) is bytes else v  # type: ignore[return-value]


def _write_base(where: Path, keys: array[float], only: bool = False) -> str:
    """A new base of keys; its token. With ``only``, the other bases are removed (a first
    build: they may be damaged); else the newest few are kept (a run that loaded one a moment
    ago may still write an index pointing to it)."""
    token = os.urandom(8).hex()  # (not secrets: its import costs a refold ~4 ms)
    entries.write(where / f"ids-{token}.keys", {"token": token}, {"keys": keys})
    entries.prune(where, "ids-*.keys", 1 if only else KEEP_BASES)
    entries.prune(where, "ids-*.pkl", 0)  # bases of an earlier version
    return token


# --- a first build, from every file ------------------------------------------------------------


def _open_batches(columns: Sequence[FileColumns]) -> _Open:
    """The batches in more than one file or with fewer events in a file than they name, with
    their counts per file. Most batches are in one file, complete: each is noted by the file
    it is in, not as a dict of its own (135,000 of them at the nation-to-district scale held
    ~40 MB at the first build's peak)."""
    first: dict[str, int] = {}  # batch -> the file it was first found in
    out: _Open = {}
    for fi, c in enumerate(columns):
        if not c.batches:
            continue
        for name, counted in _batch_counts(c).items():
            at = first.setdefault(name, fi)
            if at == fi and counted[0] >= counted[1]:
                continue  # (only its one file so far, complete in it)
            per = out.get(name)
            if per is None:
                per = out[name] = {}
                if at != fi:  # (its first file, noted only now)
                    per[columns[at].shown] = _batch_counts(columns[at])[name]
            per[c.shown] = counted
    return {name: out[name] for name in first if name in out}  # (in order of first finding)


def build(where: Path | None, columns: Sequence[FileColumns],
          step: Callable[[int], None] = no_step) -> Across:
    """From every file's columns, known to have no event id in two files (``merge_columns``):
    what the rules across files say, and (with ``where``) the index written for next time;
    ``step`` is told how many files' ids were added to it (progress.steps)."""
    open_ = _open_batches(columns)
    if where is not None and len(columns) < _NUMBERS:
        parts = Parts()
        for n, c in enumerate(columns, 1):
            step(n)
            parts.add(_keys(c.ids, n))
            if c.batches:
                parts.add(_keys(_batch_raw(c.batches), n))
        keys = parts.sorted()
        token = _write_base(where, keys, only=True)
        del keys
        threshold = time.time_ns() - entries.RACY_NS
        versions = [_version(c, None, threshold) for c in columns]
        _write(where, _Table(
            [c.shown for c in columns], _packed(map(_encode, versions)),
            array("q", [c.problems for c in columns]), array("q", range(1, len(columns) + 1)),
            {c.shown: v for c, v in zip(columns, versions, strict=True) if type(v) is bytes}),
            len(columns) + 1, token, array("d"), open_)
    return Across(sum(c.problems for c in columns), _incomplete(open_))




# --- a run after a change ---------------------------------------------------------------------


def check(where: Path, files: Sequence[RecordFile], have: Mapping[str, FileColumns],
          read: Callable[[RecordFile], FileColumns],
          grown: Mapping[str, tuple[Sig, bytes, int, int]] | None = None,
          sigs: array[int] | None = None) -> Across | None:
    """The rules across files for the files as listed, from the index and the files that
    changed since it was written (``have``: columns already read this run; ``read`` reads
    others); the index is brought up to date. None when there is no index (the caller reads
    every file's columns and calls ``build``); Duplicate if an event id is in two files.
    ``grown``: files whose columns are their version of signature ``Sig`` and content digest
    with lines added (columns.extended), and how many events and batches that version had:
    where the index covers that version (by signature, or by digest if the file had just
    changed), only the added ids are looked up (the others were, when it was). ``sigs``: the
    files' signatures, five integers each (``_NONE`` for none), if the caller has them."""
    loaded = _load(where)
    if loaded is None:
        return None
    entry, table, keys = loaded
    now = sigs if sigs is not None and len(sigs) == 5 * len(files) else _packed(
        f.sig for f in files)
    return _check(where, files, have, read, entry, table, keys, grown or {}, now)


def _check(where: Path, files: Sequence[RecordFile], have: Mapping[str, FileColumns],
           read: Callable[[RecordFile], FileColumns], entry: dict[str, Any], table: _Table,
           base: memoryview, grown: Mapping[str, tuple[Sig, bytes, int, int]], now: array[int]
           ) -> Across | None:
    open_: _Open = entry["open"]
    listed = {f.shown: f for f in files}
    same = table.names == [f.shown for f in files]  # (as usual: nothing added or removed)
    at = ({f.shown: i for i, f in enumerate(files)} if same
          else {name: i for i, name in enumerate(table.names)})  # the kept files' positions
    if same:
        changed = [files[i] for i in sorted({*entries.differing(table.sigs, now, len(files)), *(
            i for i, f in enumerate(files) if f.sig is None)})]
        removed: list[str] = []
    else:
        changed = [f for i, f in enumerate(files) if f.sig is None or f.shown not in at
                   or table.sigs[5 * at[f.shown]:5 * at[f.shown] + 5] != now[5 * i:5 * i + 5]]
        removed = [name for name in table.names if name not in listed]
    if not changed and not removed:
        return Across(sum(table.problems), _incomplete(open_))
    next_number = entry["next"]
    number: dict[str, int] = {}  # the changed files' numbers in the keys
    for f in changed:
        if f.shown in at:
            number[f.shown] = table.numbers[at[f.shown]]
        else:
            number[f.shown], next_number = next_number, next_number + 1
    if next_number >= _NUMBERS:
        return None  # numbers used up (years of new files): build afresh
    covered = {shown: (n, b) for shown, (sig, digest, n, b) in grown.items()
               if shown in number and shown in at and table.version(at[shown]) in (sig, digest)}
    cols = {f.shown: have.get(f.shown) or read(f) for f in changed}
    recent: array[float] = entry["recent"]

    def by_number() -> dict[int, str]:  # every listed file's number (rarely needed)
        kept = {n: name for name, n in zip(table.names, table.numbers, strict=True)
                if name in listed and name not in number}
        return {**kept, **{n: shown for shown, n in number.items()}}

    new_keys, cross = _lookups((base, recent), cols, number, by_number, listed, have, read,
                               covered, open_)
    # the open batches: the changed and removed files' entries replaced by what they hold now
    gone = set(removed) | set(cols)
    for per in open_.values():
        for shown in gone & per.keys():
            del per[shown]
    for shown, c in cols.items():
        for name, counted in _batch_counts(c).items():
            if name in open_ or name in cross or counted[0] < counted[1]:
                open_.setdefault(name, {})[shown] = counted
    for name, per in cross.items():
        open_.setdefault(name, {}).update(per)
    for name in [b for b, per in open_.items() if not per or (
            len(per) == 1 and all(n >= size for n, size in per.values()))]:
        del open_[name]
    table = _updated(table, files, at if not same else None, cols, number, listed)
    token = entry["base"]
    if new_keys:
        recent = _merged(recent, new_keys)
        if len(recent) > MERGE_AT:
            token = _write_base(where, _merged(base, list(recent)))
            recent = array("d")
    _write(where, table, next_number, token, recent, open_)
    return Across(sum(table.problems), _incomplete(open_))


def _updated(table: _Table, files: Sequence[RecordFile], at: Mapping[str, int] | None,
             cols: Mapping[str, FileColumns], number: Mapping[str, int],
             listed: Mapping[str, RecordFile]) -> _Table:
    """The files as listed now: the kept columns, the files read (``cols``) as read now.
    ``at``: the kept files' positions, if not the listed files' own."""
    threshold = time.time_ns() - entries.RACY_NS
    digests = dict(table.digests)
    if at is None:  # the same files: the kept columns, the changed ones' places written
        sigs, problems = array("q", table.sigs), array("q", table.problems)
        numbers, names = table.numbers, table.names
        where = {f.shown: i for i, f in enumerate(files) if f.shown in cols}
    else:  # files added or removed: made again in the listing's order
        kept = [at.get(f.shown, -1) for f in files]
        names = [f.shown for f in files]
        sigs = array("q", itertools.chain.from_iterable(
            table.sigs[5 * k:5 * k + 5] if k >= 0 else _NONE for k in kept))
        problems = array("q", [table.problems[k] if k >= 0 else 0 for k in kept])
        numbers = array("q", [table.numbers[k] if k >= 0 else number[f.shown]
                              for k, f in zip(kept, files, strict=True)])
        digests = {name: d for name, d in digests.items() if name in listed}
        where = {name: i for i, name in enumerate(names) if name in cols}
    for shown, c in cols.items():
        i, version = where[shown], _version(c, listed[shown], threshold)
        sigs[5 * i:5 * i + 5] = array("q", _encode(version))
        problems[i] = c.problems
        digests.pop(shown, None)
        if type(version) is bytes:
            digests[shown] = version
    return _Table(names, sigs, problems, numbers, digests)


def _lookups(tables: tuple[array[float] | memoryview, ...], cols: Mapping[str, FileColumns],
             number: Mapping[str, int], numbered: Callable[[], dict[int, str]],
             listed: Mapping[str, RecordFile], have: Mapping[str, FileColumns],
             read: Callable[[RecordFile], FileColumns], covered: Mapping[str, tuple[int, int]],
             open_: Mapping[str, Mapping[str, tuple[int, int]]]) -> tuple[list[float], _Open]:
    """Look up every id and batch id of the changed files (``cols``) among the keys and among
    each other (of a file in ``covered``, only those after its first events and batches, which
    the index already holds). Returns the keys to add and the batches found in other files too
    (each file's count of them); Duplicate if an event id is in two files.

    A batch already open (``open_``) has every file holding it there with its count: no other
    file is read for it (a bulk import's batch is in every file it wrote; an office's own file
    then grows all cycle). Another batch is in at most one file that did not change (a closed
    batch, whole in one file): its keys name it, and only that file is read."""
    by_number: dict[int, str] | None = None
    new_keys: list[float] = []
    cross: _Open = {}
    here: dict[float, list[str]] = {}  # event id bits -> the changed files with that id
    holders: dict[str, list[str]] = {}  # batch id -> the changed files with events of it
    counts = {shown: _batch_counts(c) for shown, c in cols.items() if c.batches}
    for shown, c in cols.items():
        for name in c.batches:
            holders.setdefault(name, []).append(shown)
    numbers_of_changed = {number[shown] for shown in cols}
    read_now: dict[str, FileColumns] = dict(cols)

    def numbers_of(key: float) -> set[int]:
        lo, hi = _span(key)
        numbers = set()
        for table in tables:
            i = bisect.bisect_left(table, lo)
            while i < len(table) and table[i] <= hi:
                numbers.add(_number_of(table[i]))
                i += 1
        return numbers

    def others(numbers: set[int]) -> list[str]:
        nonlocal by_number
        if by_number is None:
            by_number = numbered()
        return sorted(by_number[n] for n in numbers if n in by_number)

    def columns(other: str) -> FileColumns:
        if other not in read_now:
            read_now[other] = have.get(other) or read(listed[other])
        return read_now[other]

    for shown, c in cols.items():
        mine = number[shown]
        old_ids, old_batches = covered.get(shown, (0, 0))
        raw = c.ids[16 * old_ids:]
        for pos, key in enumerate(_keys(raw, mine)):
            numbers = numbers_of(key)
            if mine not in numbers:
                new_keys.append(key)
            numbers.discard(mine)
            lo = _span(key)[0]
            candidates = set(here.setdefault(lo, []))
            candidates.discard(shown)
            here[lo].append(shown)
            candidates.update(others(numbers) if numbers else ())
            one = raw[16 * pos:16 * pos + 16]
            if any(_has(columns(other), one, False) for other in sorted(candidates)):
                raise Duplicate
        names = c.batches[old_batches:]
        for name, key in zip(names, _keys(_batch_raw(names), mine), strict=True):
            if name in open_:  # (its other files are known: is its key of this file kept?)
                if not any(_holds(table, key) for table in tables):
                    new_keys.append(key)
                continue
            numbers = numbers_of(key)
            if mine not in numbers:
                new_keys.append(key)
            numbers -= numbers_of_changed  # (those are in ``holders``)
            for other in others(numbers):
                found = columns(other)
                if name in found.batches:
                    cross.setdefault(name, {})[other] = _batch_counts(found)[name]
    for name, where in holders.items():
        if len(where) > 1 or name in cross:
            per = cross.setdefault(name, {})
            for shown in where:
                per[shown] = counts[shown][name]
    return new_keys, cross
