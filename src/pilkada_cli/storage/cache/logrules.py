"""The journal's rules across record files (recordfile.merge), applied to the kept log keys
(logkeys.py) without holding the events, and what ``pilkada log`` shows that depends on every
file: kept in ``logrules.pkl`` for the versions of the provinces' keys it was computed from.

- An event id in two files: the first copy in path order counts; a later copy that differs is
  a problem (counted in the warning ``log`` prints, as ``Journal.read`` reports it).
- A batch counts only when all of its events are present, whichever files they are in.
- The short ids ``log`` shows (render.log.short_id_length): the shortest prefix, at least 8
  hex digits, that tells every counted event's id apart. Computed from each province's sorted
  64-bit id prefixes, merged (flat memory); ids that share all 64 bits (a copied line, or a
  made-up id) are looked at whole.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from pilkada_cli.domain.events import Event
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.logfile import BATCH, ID, REC, FileKeys, Rec
from pilkada_cli.storage.cache.logkeys import Province, code_key

NAME = entries.kind("logrules.pkl", __name__)
# what an update after a change needs (read only then)
STATE = entries.kind("logrules-state.pkl", __name__)
MOST = 200_000  # ids added or removed at once beyond which the rules are worked out afresh
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


def rules(where: Path, provinces: Sequence[Province], read_event: ReadEvent,
          extra: tuple[object, ...]) -> Rules:
    """The rules for ``provinces`` (every province with record files, in path order): kept in
    ``where`` while no province's keys changed; after a change, brought up to date from the
    provinces that changed where the files hold no copied id and no incomplete batch (the
    usual case), else worked out again from every province's keys."""
    key = (code_key(extra), [(p.name, p.token) for p in provinces])
    kept = entries.read(where / NAME)
    if kept is not None and kept.get("key") == key:
        try:
            return _from_stored(kept["rules"])
        except (KeyError, TypeError, ValueError):
            pass
    updated = _update(where, provinces, extra)
    found, state = updated if updated is not None else compute(provinces, read_event)
    entries.write(where / STATE, {"code": code_key(extra), **state})
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


def compute(provinces: Sequence[Province], read_event: ReadEvent
            ) -> tuple[Rules, dict[str, object]]:
    """The rules across files, from every province's keys; and what an update needs
    (``_update``): the versions they came from, the number of neighbouring ids alike in each
    number of hex digits (8 or more), which files hold each batch, and whether the files are
    regular (no two ids alike in all of their first 64 bits, no incomplete batch)."""
    arrays = [p.prefixes() for p in provinces]
    counts, equal = _adjacent(arrays, None)
    files = [(p, k) for p in provinces for k in p.files]
    copies_of = _holders(files, equal) if equal else {}
    dropped: dict[str, set[bytes]] = {}
    problems = 0
    skip: Counter[int] = Counter()
    for full, copies in copies_of.items():
        first = copies[0]
        for later in copies[1:]:
            dropped.setdefault(later[1].shown, set()).add(full)
            skip[int.from_bytes(full[:8], "big")] += 1
            if read_event(first[1], first[2]) != read_event(later[1], later[2]):
                problems += 1
    incomplete = _incomplete(files, copies_of, dropped)
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
        left = {full for full, copies in copies_of.items()
                if not _left_out(copies[0], incomplete, dropped)}
        for value in equal:
            same = sorted(full.hex() for full in left if int.from_bytes(full[:8], "big") == value)
            for a, b in zip(same, same[1:], strict=False):
                longest = max(longest, next(
                    (i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a)))
    holders: dict[str, list[str]] = {}
    for _p, k in files:
        for name in k.batches:
            holders.setdefault(name, []).append(k.shown)
    state = {"tokens": {p.name: p.token for p in provinces}, "counts": dict(counts),
             "batch_files": holders, "regular": not equal and not skip and not incomplete}
    return Rules(max(MIN_ID, longest + 1), frozenset(incomplete),
                 {shown: frozenset(ids) for shown, ids in dropped.items()}, problems), state


def _update(where: Path, provinces: Sequence[Province], extra: tuple[object, ...]
            ) -> tuple[Rules, dict[str, object]] | None:
    """The rules after some provinces' keys changed, from the kept state and what changed:
    each id added or removed moves the count of its neighbours' common digits, each batch of
    a changed file is tallied again. None where that cannot be done (no state, a province
    gone, a copied id, a batch that is not complete, too many changes): worked out afresh."""
    state = entries.read(where / STATE)
    if (state is None or state.get("code") != code_key(extra) or state.get("regular") is not True
            or type(state.get("tokens")) is not dict or type(state.get("counts")) is not dict
            or type(state.get("batch_files")) is not dict):
        return None
    tokens: dict[str, str] = state["tokens"]
    if set(tokens) - {p.name for p in provinces}:
        return None
    changed = [p for p in provinces if tokens.get(p.name) != p.token]
    if any(p.name in tokens and (p.before is None or p.before.token != tokens[p.name])
           for p in changed):
        return None
    ids = _Ids({p.name: p.prefixes() for p in provinces if p not in changed})
    counts: Counter[int] = Counter(state["counts"])
    moved = 0
    for p in changed:
        old = p.before.prefixes if p.before is not None else array("Q")
        new = p.prefixes()
        if any(a == b for a, b in zip(new, new[1:], strict=False)):
            return None  # two ids alike in 64 bits in one province
        gone, came = sorted(set(old) - set(new)), sorted(set(new) - set(old))
        moved += len(gone) + len(came)
        if moved > MOST:
            return None
        if not ids.change(p.name, list(old), gone, came, counts):
            return None
    holders: dict[str, list[str]] = state["batch_files"]
    if not _batches_complete(changed, holders):
        return None
    found = Rules(max(MIN_ID, max((n for n, c in counts.items() if c > 0), default=0) + 1),
                  frozenset(), {}, 0)
    return found, {"tokens": {p.name: p.token for p in provinces},
                   "counts": {n: c for n, c in counts.items() if c > 0},
                   "batch_files": holders, "regular": True}


class _Ids:
    """Every province's sorted id prefixes, one of them changed an id at a time."""

    def __init__(self, arrays: dict[str, Sequence[int]]) -> None:
        self.arrays = arrays

    def change(self, name: str, mine: list[int], gone: list[int], came: list[int],
               counts: Counter[int]) -> bool:
        """Remove ``gone`` from and add ``came`` to province ``name``'s prefixes (``mine``,
        sorted, as they were), moving ``counts``; False if an added id is alike in 64 bits
        to one already there."""
        self.arrays[name] = mine
        for x in gone:
            del mine[bisect.bisect_left(mine, x)]
            a, b, _same = self._around(x)
            _count(counts, a, x, -1)
            _count(counts, x, b, -1)
            _count(counts, a, b, 1)
        for y in came:
            a, b, same = self._around(y)
            if same:
                return False
            _count(counts, a, b, -1)
            _count(counts, a, y, 1)
            _count(counts, y, b, 1)
            bisect.insort(mine, y)
        return True

    def _around(self, x: int) -> tuple[int | None, int | None, bool]:
        """The largest prefix below ``x`` and the smallest above it, across every province;
        whether ``x`` itself is there."""
        below: int | None = None
        above: int | None = None
        same = False
        for values in self.arrays.values():
            i = bisect.bisect_left(values, x)
            if i < len(values) and values[i] == x:
                same = True
            if i and (below is None or values[i - 1] > below):
                below = values[i - 1]
            j = i + 1 if i < len(values) and values[i] == x else i
            if j < len(values) and (above is None or values[j] < above):
                above = values[j]
        return below, above, same


def _count(counts: Counter[int], a: int | None, b: int | None, step: int) -> None:
    """Count (or uncount) neighbours ``a`` and ``b`` where they share 8 hex digits or more."""
    if a is None or b is None:
        return
    near = a ^ b
    if near < _DEEP:
        counts[(64 - near.bit_length()) // 4] += step


def _batches_complete(changed: Sequence[Province], holders: dict[str, list[str]]) -> bool:
    """Bring ``holders`` (batch -> the files with events of it) up to date with the changed
    provinces' files; whether every batch they touch is complete."""
    touched: set[str] = set()
    for p in changed:
        before = p.before.batches if p.before is not None else {}
        for shown, names in before.items():
            for name in names:
                files = holders.get(name, [])
                if shown in files:
                    files.remove(shown)
                touched.add(name)
        for k in p.files:
            for name in k.batches:
                holders.setdefault(name, []).append(k.shown)
                touched.add(name)
    where = {k.shown: k for p in changed for k in p.files}
    for name in touched:
        holding = holders.get(name)
        if not holding:
            holders.pop(name, None)
            continue
        have = need = 0
        for shown in holding:
            held = where.get(shown)
            if held is None:
                return False  # a batch of files in provinces that did not change as well
            b = held.batches.index(name)
            have += held.counts[b]
            need = max(need, held.sizes[b])
        if have < need:
            return False
    return True


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
    """A file's keys, checked against their digest (derived again from the record file where
    they do not match: Province.repair)."""
    try:
        keys = p.read(k.start, k.n * REC.size)
    except OSError:
        return p.repair(k)
    if entries.blake2b(keys) != k.digest:
        return p.repair(k)
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
