"""The ids index's keys (ids.py): 8 bytes per event or batch id, 36 bits of the id and the
file's 24-bit number, kept as doubles (for these bit patterns the doubles' order is the
patterns', and CPython sorts floats several times faster than 64-bit integers). Made, sorted,
merged and looked up here; what they index is ids.py's."""

from __future__ import annotations

import bisect
import struct
from array import array
from collections.abc import Sequence

_PACK = struct.Struct("<d")
_UNPACK = struct.Struct("<Q")
_TOP = bytes(0x40 | (b & 0x0F) for b in range(256))


def keys_of(raw: bytes, number: int) -> array[float]:
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


def span(key: float) -> tuple[float, float]:
    """The smallest and largest key with the same id bits as ``key`` (any file)."""
    bits = _UNPACK.unpack(_PACK.pack(key))[0] & ~0xFFFFFF
    return (_PACK.unpack(_UNPACK.pack(bits))[0],
            _PACK.unpack(_UNPACK.pack(bits | 0xFFFFFF))[0])


def number_of(key: float) -> int:
    return int(_UNPACK.unpack(_PACK.pack(key))[0] & 0xFFFFFF)


_PART = 1 << 18  # keys sorted at once as Python floats (32 bytes each: ~8 MB)


class Parts:
    """Keys sorted a part at a time as they are added, then together (``sorted``): sorting
    3.3 M keys (nation to district) at once made a list of as many floats, ~130 MB, the first
    run's peak; and the keys held unsorted beside sorted copies of them were the next."""

    def __init__(self) -> None:
        self.parts: list[array[float]] = []
        self.open = array("d")

    def add(self, keys: array[float]) -> None:
        self.open += keys
        if len(self.open) >= _PART:
            self.parts.append(array("d", sorted(self.open)))
            self.open = array("d")

    def sorted(self) -> array[float]:
        """Every key added, sorted: the parts' slices below each bound (taken from the first
        part: the keys' high bits are an id's, evenly spread) sorted together, runs that
        sorting merges in one pass. Each part is cut at the bounds and let go, and each cut
        once it is sorted in: the keys are held about once, not twice (parts and result)."""
        parts = [*self.parts, array("d", sorted(self.open))]
        self.parts, self.open = [], array("d")
        if len(parts) == 1:
            return parts[0]
        step = max(1, len(parts[0]) * len(parts[0]) // sum(len(p) for p in parts))
        bounds = [parts[0][i] for i in range(step, len(parts[0]), step)]
        cuts: list[list[array[float]]] = []
        while parts:
            part, at = parts.pop(0), 0
            cut: list[array[float]] = []
            for bound in bounds:
                end = bisect.bisect_left(part, bound, at)
                cut.append(part[at:end])
                at = end
            cut.append(part[at:])
            cuts.append(cut)
            del part
        out = array("d")
        for k in range(len(bounds) + 1):
            run = array("d")
            for cut in cuts:
                run += cut[k]
                cut[k] = array("d")  # (let go)
            out += array("d", sorted(run))
        return out


def holds(table: array[float] | memoryview, key: float) -> bool:
    i = bisect.bisect_left(table, key)
    return i < len(table) and table[i] == key


def merged(keys: array[float] | memoryview, new: Sequence[float]) -> array[float]:
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
