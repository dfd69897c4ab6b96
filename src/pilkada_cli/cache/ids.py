"""Every event id and batch id of the record files (``ids.pkl``), so that after a change the
journal's rules across files are applied to the changed files only: an event id in two files
(recordfile.merge: then the cache steps aside and ``Journal.read`` decides), and a batch that
counts only when all of its events are present, whichever files they are in.

What is kept:

- ``files``: per record file, the signature of the version the index covers (for a file that
  had just changed when this was written, the digest of its content instead: it is checked
  again next time, and if it only grew, only its added ids are looked up), its problem count,
  and a number naming it in the keys.
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
than 64-bit integers (a first build at the nation-to-district scale sorts 3 M of them).

Invariant: an index is written only for files with no event id in two of them, and holds every
key of every version of a file that it says it covers. A run then checks only the files whose
signature differs from the one covered: each of their ids looked up among all keys.
"""

from __future__ import annotations

import bisect
import os
import re
import struct
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pilkada_cli.cache import entries
from pilkada_cli.cache.columns import FileColumns
from pilkada_cli.recordfile import RecordFile, Sig

NAME = entries.kind("ids.pkl", __name__)
BASES = entries.kind("ids-*.keys", __name__)  # the base of keys (_write_base)
KEEP_BASES = 3
MERGE_AT = 1 << 16  # keys added since the base before a new base is written
_NUMBERS = 1 << 24
_PACK = struct.Struct("<d")
_UNPACK = struct.Struct("<Q")
_TOP = bytes(0x40 | (b & 0x0F) for b in range(256))


class Duplicate(Exception):  # noqa: N818 (a finding, not a failure)
    """An event id is in two record files: only the journal's own read says which counts."""


class Across(NamedTuple):
    """What the rules across files say about the record files as listed."""

    problems: int  # the files' problem count (as len(Journal.read().problems), the listing's
    # own findings aside)
    incomplete: dict[str, tuple[str, ...]]  # batch id -> the files with events of it


# shown -> the signature of the version covered (else its content digest, else None), problems,
# number
_Files = dict[str, tuple[Sig | bytes | None, int, int]]
_Open = dict[str, dict[str, tuple[int, int]]]  # batch -> shown -> events of it, size named


def _keys(raw: bytes, number: int) -> array[float]:
    """The keys of the 16-byte ids in ``raw``: the file number in bytes 0-2, id bytes 3-6 in
    bytes 3-6, and 0x40 plus the low 4 bits of id byte 7 in byte 7 (a positive double, never
    NaN or infinite). C speed: strided slices, no loop per id."""
    n = len(raw) // 16
    out = bytearray(8 * n)
    for j, b in enumerate(number.to_bytes(3, "little")):
        out[j::8] = bytes((b,)) * n
    for j in range(3, 7):
        out[j::8] = raw[j::16]
    out[7::8] = raw[7::16].translate(_TOP)
    keys = array("d")
    keys.frombytes(bytes(out))
    return keys


def _batch_raw(names: Iterable[str]) -> bytes:
    return b"".join(bytes.fromhex(name) for name in names)


def _span(key: float) -> tuple[float, float]:
    """The smallest and largest key with the same id bits as ``key`` (any file)."""
    bits = _UNPACK.unpack(_PACK.pack(key))[0] & ~0xFFFFFF
    return (_PACK.unpack(_UNPACK.pack(bits))[0],
            _PACK.unpack(_UNPACK.pack(bits | 0xFFFFFF))[0])


def _number_of(key: float) -> int:
    return int(_UNPACK.unpack(_PACK.pack(key))[0] & 0xFFFFFF)


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
    return {b: tuple(sorted(per)) for b, per in open_.items()
            if sum(n for n, _size in per.values()) < max(size for _n, size in per.values())}


def _problems(files: _Files) -> int:
    return sum(p for _sig, p, _n in files.values())


# --- reading and writing ------------------------------------------------------------------------


def _load(where: Path) -> tuple[dict[str, Any], memoryview] | None:
    """The index and its base keys, if both are there, whole and of this code."""
    entry = entries.read(where / NAME)
    if not (entry is not None and entry.get("code") == entries.code_key()
            and entry.get("order") == sys.byteorder and type(entry.get("files")) is dict
            and type(entry.get("open")) is dict and type(entry.get("recent")) is array
            and type(entry.get("next")) is int and type(entry.get("base")) is str):
        return None
    if entry["recent"].typecode != "d" or not re.fullmatch("[0-9a-f]{16}", entry["base"]):
        return None
    keys = _base(where, entry["base"])
    return None if keys is None else (entry, keys)


def _base(where: Path, token: str) -> memoryview | None:
    """The keys of the base named ``token``, a view of doubles: of the file mapped into memory
    where the file system allows (cache/listing.py; bisect then reads a few pages of a file of
    millions), else of one read of it."""
    from pilkada_cli.cache.listing import is_local

    found = entries.read(where / f"ids-{token}.keys", is_local(where))
    if found is None or found.get("token") != token or type(found.get("raw")) is not dict:
        return None
    keys = found["raw"].get("keys")
    return keys if isinstance(keys, memoryview) and keys.format == "d" else None


def _write(where: Path, files: _Files, next_number: int, token: str, recent: array[float],
           open_: _Open, fresh: Mapping[str, FileColumns]) -> None:
    """Write the index; the signatures of ``fresh`` files (read this run) are replaced by their
    content's digest if they changed within the clock's tick (a kept one was not, and cannot
    become so)."""
    threshold = time.time_ns() - entries.RACY_NS
    for shown, c in fresh.items():
        sig, p, n = files[shown]
        if isinstance(sig, tuple) and max(sig[1], sig[2]) >= threshold:
            files[shown] = (c.digest or None, p, n)
    entries.write(where / NAME, {"code": entries.code_key(), "order": sys.byteorder,
                                 "files": files, "next": next_number, "base": token,
                                 "recent": recent, "open": open_})


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


def build(where: Path | None, columns: Sequence[FileColumns]) -> Across:
    """From every file's columns, known to have no event id in two files (``merge_columns``):
    what the rules across files say, and (with ``where``) the index written for next time."""
    files: _Files = {c.shown: (c.sig, c.problems, n) for n, c in enumerate(columns, 1)}
    seen: _Open = {}
    for c in columns:
        if c.batches:
            for name, counted in _batch_counts(c).items():
                seen.setdefault(name, {})[c.shown] = counted
    open_ = {b: per for b, per in seen.items()
             if len(per) > 1 or any(n < size for n, size in per.values())}
    del seen
    if where is not None and len(columns) < _NUMBERS:
        keys = array("d")
        for n, c in enumerate(columns, 1):
            keys += _keys(c.ids, n)
            if c.batches:
                keys += _keys(_batch_raw(c.batches), n)
        keys = _sorted(keys)
        token = _write_base(where, keys, only=True)
        del keys
        _write(where, files, len(columns) + 1, token, array("d"), open_,
               {c.shown: c for c in columns})
    return Across(_problems(files), _incomplete(open_))


_PART = 1 << 18  # keys sorted at once as Python floats (32 bytes each: ~8 MB)


def _sorted(keys: array[float]) -> array[float]:
    """``keys`` sorted, a part at a time: sorting 3.3 M keys (nation to district) at once made
    a list of as many floats, ~130 MB, the first run's peak. Each part is sorted alone, then
    the parts' slices below each bound (taken from the first part: the keys' high bits are an
    id's, evenly spread) are sorted together, runs that sorting merges in one pass."""
    if len(keys) <= _PART:
        return array("d", sorted(keys))
    parts = [array("d", sorted(keys[i:i + _PART])) for i in range(0, len(keys), _PART)]
    del keys
    first = parts[0]
    step = max(1, len(first) * _PART // sum(len(p) for p in parts))
    out = array("d")
    at = [0] * len(parts)
    for bound in [*(first[i] for i in range(step, len(first), step)), None]:
        run = array("d")
        for n, p in enumerate(parts):
            end = len(p) if bound is None else bisect.bisect_left(p, bound, at[n])
            run += p[at[n]:end]
            at[n] = end
        out += array("d", sorted(run))
    return out


# --- a run after a change ---------------------------------------------------------------------


def check(where: Path, files: Sequence[RecordFile], have: Mapping[str, FileColumns],
          read: Callable[[RecordFile], FileColumns],
          grown: Mapping[str, tuple[Sig, bytes, int, int]] | None = None) -> Across | None:
    """The rules across files for the files as listed, from the index and the files that
    changed since it was written (``have``: columns already read this run; ``read`` reads
    others); the index is brought up to date. None when there is no index (the caller reads
    every file's columns and calls ``build``); Duplicate if an event id is in two files.
    ``grown``: files whose columns are their version of signature ``Sig`` and content digest
    with lines added (columns.extended), and how many events and batches that version had:
    where the index covers that version (by signature, or by digest if the file had just
    changed), only the added ids are looked up (the others were, when it was)."""
    loaded = _load(where)
    if loaded is None:
        return None
    entry, keys = loaded
    return _check(where, files, have, read, entry, keys, grown or {})


def _check(where: Path, files: Sequence[RecordFile], have: Mapping[str, FileColumns],
           read: Callable[[RecordFile], FileColumns], entry: dict[str, Any], base: memoryview,
           grown: Mapping[str, tuple[Sig, bytes, int, int]]) -> Across | None:
    known: _Files = entry["files"]
    covered = {shown: (n, b) for shown, (sig, digest, n, b) in grown.items()
               if shown in known and known[shown][0] in (sig, digest)}
    open_: _Open = entry["open"]
    listed = {f.shown: f for f in files}
    changed = [f for f in files if f.sig is None or f.shown not in known
               or known[f.shown][0] != f.sig]
    removed = [shown for shown in known if shown not in listed]
    if not changed and not removed:
        return Across(_problems(known), _incomplete(open_))
    next_number = entry["next"]
    for f in changed:
        if f.shown not in known:
            known[f.shown] = (None, 0, next_number)
            next_number += 1
    if next_number >= _NUMBERS:
        return None  # numbers used up (years of new files): build afresh
    cols = {f.shown: have.get(f.shown) or read(f) for f in changed}
    recent: array[float] = entry["recent"]
    new_keys, cross = _lookups((base, recent), cols, known, listed, have, read, covered,
                               open_)
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
    for shown in removed:
        del known[shown]
    for shown, c in cols.items():
        known[shown] = (c.sig if c.sig == listed[shown].sig else c.digest or None, c.problems,
                        known[shown][2])
    token = entry["base"]
    if new_keys:
        recent = _merged(recent, new_keys)
        if len(recent) > MERGE_AT:
            token = _write_base(where, _merged(base, list(recent)))
            recent = array("d")
    _write(where, known, next_number, token, recent, open_, cols)
    return Across(_problems(known), _incomplete(open_))


def _lookups(tables: tuple[array[float] | memoryview, ...], cols: Mapping[str, FileColumns],
             known: _Files, listed: Mapping[str, RecordFile], have: Mapping[str, FileColumns],
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
    numbers_of_changed = {known[shown][2] for shown in cols}
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
            by_number = {n: s for s, (_sig, _p, n) in known.items() if s in listed}
        return sorted(by_number[n] for n in numbers if n in by_number)

    def columns(other: str) -> FileColumns:
        if other not in read_now:
            read_now[other] = have.get(other) or read(listed[other])
        return read_now[other]

    for shown, c in cols.items():
        mine = known[shown][2]
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


def _holds(table: array[float] | memoryview, key: float) -> bool:
    i = bisect.bisect_left(table, key)
    return i < len(table) and table[i] == key


def _merged(keys: array[float] | memoryview, new: Sequence[float]) -> array[float]:
    """``keys`` with ``new`` merged in, sorted (slices copied whole)."""
    out = array("d")
    prev = 0
    for key in sorted(set(new)):
        i = bisect.bisect_left(keys, key, prev)
        if i < len(keys) and keys[i] == key:
            continue
        out.frombytes(memoryview(keys[prev:i]).cast("B"))
        out.append(key)
        prev = i
    out.frombytes(memoryview(keys[prev:]).cast("B"))
    return out
