"""The journal's rules across record files (recordfile.merge), applied to the kept log keys
(logkeys.py) without holding the events, and what ``pilkada log`` shows that depends on every
file: kept in ``log-rules.pkl`` for the versions of the provinces' keys it was computed from.

- An event id in two files: the first copy in path order counts; a later copy that differs is
  a problem (counted in the warning ``log`` prints, as ``Journal.read`` reports it).
- A batch counts only when all of its events are present, whichever files they are in.
- The short ids ``log`` shows (render.log.short_id_length): the shortest prefix, at least 8
  hex digits, that tells every counted event's id apart. Computed from each province's sorted
  64-bit id prefixes, merged (flat memory); ids that share all 64 bits (a copied line, or a
  made-up id) are looked at whole.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from pilkada_cli.cache import entries
from pilkada_cli.cache.logkeys import BATCH, ID, REC, FileKeys, Province, Rec, code_key
from pilkada_cli.events import Event

NAME = "log-rules.pkl"
MIN_ID = 8  # hex digits a short id has at least (render.log.short_id_length's minimum)
_DEEP = 1 << 32  # two prefixes closer than this share at least 8 hex digits

# An event of a file's keys, read from its line: the duplicate rule compares two copies' content.
ReadEvent = Callable[[FileKeys, Rec], Event]


class Rules(NamedTuple):
    """What the rules across files say of the kept keys."""

    id_length: int  # of the short ids
    incomplete: frozenset[str]  # batch ids left out
    dropped: dict[str, frozenset[bytes]]  # record file -> ids of copies left out (first elsewhere)
    problems: int  # copies left out that differ from the first


def rules(where: Path | None, provinces: Sequence[Province], read_event: ReadEvent,
          extra: Rec) -> Rules:
    """The rules for ``provinces`` (every province with record files, in path order): kept in
    ``where`` while no province's keys changed."""
    key = (code_key(extra), [(p.name, p.token) for p in provinces])
    if where is not None:
        kept = entries.read(where / NAME)
        if kept is not None and kept.get("key") == key:
            try:
                return _from_stored(kept["rules"])
            except (KeyError, TypeError, ValueError):
                pass
    found = compute(provinces, read_event)
    if where is not None:
        entries.write(where / NAME, {"key": key, "rules": {
            "id_length": found.id_length, "incomplete": sorted(found.incomplete),
            "dropped": {shown: sorted(ids) for shown, ids in found.dropped.items()},
            "problems": found.problems}})
    return found


def _from_stored(kept: dict[str, object]) -> Rules:
    id_length, problems = kept["id_length"], kept["problems"]
    incomplete, dropped = kept["incomplete"], kept["dropped"]
    if not (type(id_length) is int and type(problems) is int and type(incomplete) is list
            and type(dropped) is dict):
        raise ValueError("a damaged rules entry")
    return Rules(id_length, frozenset(incomplete), {
        shown: frozenset(ids) for shown, ids in dropped.items()}, problems)


def compute(provinces: Sequence[Province], read_event: ReadEvent) -> Rules:
    """The rules across files, from every province's keys."""
    arrays = [p.prefixes() for p in provinces]
    counts, equal = _adjacent(arrays, None)
    files = [(p, k) for p in provinces for k in p.files]
    holders = _holders(files, equal) if equal else {}
    dropped: dict[str, set[bytes]] = {}
    problems = 0
    skip: Counter[int] = Counter()
    for full, copies in holders.items():
        first = copies[0]
        for later in copies[1:]:
            dropped.setdefault(later[1].shown, set()).add(full)
            skip[int.from_bytes(full[:8], "big")] += 1
            if read_event(first[1], first[2]) != read_event(later[1], later[2]):
                problems += 1
    incomplete = _incomplete(files, holders, dropped)
    for p, k in files:  # the events of incomplete batches are left out of the log, and ids
        bad = {b for b, name in enumerate(k.batches) if name in incomplete}
        if not bad:
            continue
        gone = dropped.get(k.shown, set())
        for rec in REC.iter_unpack(_keys(p, k)):
            if rec[BATCH] in bad and rec[ID] not in gone:
                skip[int.from_bytes(rec[ID][:8], "big")] += 1
    if skip:
        counts, equal = _adjacent(arrays, skip)
    longest = max(counts, default=0)
    if equal:  # distinct ids sharing their first 64 bits: compared whole
        left = {full for full, copies in holders.items()
                if not _left_out(copies[0], incomplete, dropped)}
        for value in equal:
            same = sorted(full.hex() for full in left if int.from_bytes(full[:8], "big") == value)
            for a, b in zip(same, same[1:], strict=False):
                longest = max(longest, next(
                    (i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a)))
    return Rules(max(MIN_ID, longest + 1), frozenset(incomplete),
                 {shown: frozenset(ids) for shown, ids in dropped.items()}, problems)


def _adjacent(arrays: Sequence[Sequence[int]], skip: Counter[int] | None
              ) -> tuple[Counter[int], set[int]]:
    """Over the prefixes of every province merged in order (``skip``: how many of a value to
    leave out): how many neighbours share each number (at least 8) of leading hex digits, and
    the values that occur more than once."""
    counts: Counter[int] = Counter()
    equal: set[int] = set()
    prev = 1 << 70  # (its xor with any prefix is far from every prefix)
    for value in heapq.merge(*arrays):
        if skip and skip.get(value):
            skip[value] -= 1
            continue
        near = prev ^ value
        if near < _DEEP:  # the rare case: 8 hex digits or more in common
            if near == 0:
                equal.add(value)
                continue
            counts[(64 - near.bit_length()) // 4] += 1
        prev = value
    return counts, equal


def _keys(p: Province, k: FileKeys) -> bytes:
    """A file's keys, checked against their digest (OSError if they do not match)."""
    keys = p.read(k.start, k.n * REC.size)
    if entries.blake2b(keys) != k.digest:
        raise OSError(f"the kept keys of {k.shown} are damaged")
    return keys


def _holders(files: Sequence[tuple[Province, FileKeys]], equal: set[int]
             ) -> dict[bytes, list[tuple[int, FileKeys, Rec]]]:
    """Every event whose id's first 64 bits are in ``equal``, by whole id, in path order."""
    out: dict[bytes, list[tuple[int, FileKeys, Rec]]] = {}
    for order, (p, k) in enumerate(files):
        for rec in REC.iter_unpack(_keys(p, k)):
            full = rec[ID]
            assert isinstance(full, bytes)
            if int.from_bytes(full[:8], "big") in equal:
                out.setdefault(full, []).append((order, k, rec))
    return out


def _incomplete(files: Sequence[tuple[Province, FileKeys]],
                holders: dict[bytes, list[tuple[int, FileKeys, Rec]]],
                dropped: dict[str, set[bytes]]) -> set[str]:
    """The batches with fewer events counted than their size (recordfile.incomplete_batches
    on the events left after the duplicate rule)."""
    have: dict[str, int] = {}
    need: dict[str, int] = {}
    for _p, k in files:
        if k.shown in dropped:
            continue
        for name, count, size in zip(k.batches, k.counts, k.sizes, strict=True):
            have[name] = have.get(name, 0) + count
            need[name] = max(need.get(name, 0), size)
    for p, k in files:  # a file with copies left out: its batches from its other events
        gone = dropped.get(k.shown)
        if gone is None:
            continue
        for rec in REC.iter_unpack(_keys(p, k)):
            b = rec[BATCH]
            assert isinstance(b, int)
            if b < 0 or rec[ID] in gone:
                continue
            name = k.batches[b]
            have[name] = have.get(name, 0) + 1
            need[name] = max(need.get(name, 0), k.sizes[b])
    del holders
    return {name for name, size in need.items() if have[name] < size}


def _left_out(copy: tuple[int, FileKeys, Rec], incomplete: set[str],
              dropped: dict[str, set[bytes]]) -> bool:
    _order, k, rec = copy
    b = rec[BATCH]
    assert isinstance(b, int)
    return (b >= 0 and k.batches[b] in incomplete) or rec[ID] in dropped.get(k.shown, set())


def iter_files(provinces: Sequence[Province]) -> Iterator[tuple[Province, FileKeys]]:
    """Every kept file with its province, in path order."""
    for p in provinces:
        for k in p.files:
            yield p, k
