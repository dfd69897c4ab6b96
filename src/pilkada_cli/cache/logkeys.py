"""``pilkada log`` without holding the log in memory: each record file's events as fixed-size
keys in the log's order (newest first), kept per province in one cache entry,
``log-<province>.pkl`` (entries.py: checksummed, written whole and durably): its pickle is the
catalog (per record file its signature, where its keys are and what its events hold, as
columns; and what the whole province holds), its raw arrays the keys of every file, one after
the other (``keys``), and the province's sorted 64-bit id prefixes (``prefixes``), for the
rules across files: logrules.py. What a key holds, and how one file's keys are read:
logfile.py.

A province's files are read again only where their signature changed (an append, a pull, a
repair, a file added or removed); its entry is then written again whole. The entry is
verified whole when read (a damaged one is dropped, said once and rebuilt from the record
files, as every cache entry); each file's keys also carry a digest, checked before they are
used. The entry is mapped into memory where cache/listing.py says that is safe, so a run
touches only the keys it shows. Files are read through the one record reader
(recordfile.py), so what a file holds here is exactly what ``Journal.read`` takes from it
alone.
"""

from __future__ import annotations

import contextlib
import os
import time
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pilkada_cli.cache import entries, listing
from pilkada_cli.cache.logfile import (
    REC,
    SEP,
    Builder,
    Built,
    Held,
    Label,
    Measure,
    column,
    id_prefixes,
    indexes,
    table,
)
from pilkada_cli.recordfile import RecordFile, Sig

KIND = entries.kind("log-*.pkl", __name__)
_CODE = ("cache/logfile.py", "cache/logkeys.py", "cache/logrules.py", "render/text.py",
         "render/cells.py", "data/wilayah.csv")


def code_key(extra: tuple[object, ...] = ()) -> tuple[object, ...]:
    """What the kept keys mean depends on: the cache's code, these modules and the region
    names, and what the caller's measure depends on (``extra``)."""
    return (entries.code_key(), entries.files_key(_CODE), extra)


class FileKeys:
    """One record file's entry in its province's catalog (a view of its columns): where its
    keys are, and what its events hold as a whole (a filter that takes every event of the
    file needs nothing more)."""

    __slots__ = ("_c", "i", "shown", "region", "origin", "n", "start")

    def __init__(self, columns: dict[str, Any], i: int) -> None:
        self._c, self.i = columns, i
        self.shown: str = columns["shown"][i]
        _records, self.region, name = self.shown.rsplit("/", 2)
        self.origin = name[:-len(".jsonl")]
        self.n: int = columns["n"][i]  # good events (the file's own rules applied)
        self.start: int = columns["start"][i]  # where its keys begin in the keys file

    @property
    def sig(self) -> Sig:
        s = self._c["sig"]
        return (s[5 * self.i], s[5 * self.i + 1], s[5 * self.i + 2], s[5 * self.i + 3],
                s[5 * self.i + 4])

    @property
    def digest(self) -> bytes:
        return bytes(self._c["digest"][16 * self.i:16 * self.i + 16])

    @property
    def head(self) -> bytes:
        """Its first (newest) key."""
        return bytes(self._c["head"][REC.size * self.i:REC.size * (self.i + 1)])

    @property
    def items(self) -> list[str]:
        return _names(self._c["all_items"], _piece(self._c, "items", self.i))

    @property
    def bys(self) -> list[str]:
        return _names(self._c["all_bys"], _piece(self._c, "bys", self.i))

    @property
    def batches(self) -> list[str]:
        raw = _piece(self._c, "batches", self.i)
        return [raw[j:j + 16].hex() for j in range(0, len(raw), 16)]

    @property
    def sizes(self) -> list[int]:
        """The largest ``n`` named per batch."""
        at = self._c["batches_at"]
        return list(self._c["sizes"][at[self.i] // 16:at[self.i + 1] // 16])

    @property
    def counts(self) -> list[int]:
        """Events per batch."""
        at = self._c["batches_at"]
        return list(self._c["counts"][at[self.i] // 16:at[self.i + 1] // 16])

    @property
    def problems(self) -> int:
        n: int = self._c["problems"][self.i]
        return n

    @property
    def days(self) -> tuple[int, int]:
        """First and last ``at`` date (ordinals)."""
        d = self._c["days"]
        return d[2 * self.i], d[2 * self.i + 1]

    def summary(self) -> Held:
        """What its events hold, for the table's widths."""
        c, i = self._c, self.i
        w = c["widths"]
        return Held(_piece(c, "combos", i), (w[6 * i], w[6 * i + 1], bool(w[6 * i + 2])),
                    (w[6 * i + 3], w[6 * i + 4], bool(w[6 * i + 5])),
                    (c["names"][2 * i], c["names"][2 * i + 1]),
                    bytes(c["digits"][24 * i:24 * i + 24]))


def _piece(columns: dict[str, Any], name: str, i: int) -> bytes:
    """File ``i``'s part of a column kept as one blob (``name``) and offsets (``name_at``)."""
    at = columns[name + "_at"]
    return bytes(columns[name][at[i]:at[i + 1]])


def _names(table: list[str], indexes: bytes) -> list[str]:
    """A file's names (items, people) from their indexes into the province's ``table``."""
    found = array("I")
    found.frombytes(indexes)
    return [table[j] for j in found]


class Damaged(OSError):
    """A province's kept keys do not check out (a damaged or altered cache file)."""

    def __init__(self, province: Province) -> None:
        super().__init__(f"the kept keys of province {province.name} are damaged")
        self.province = province


class Before(NamedTuple):
    """What a province's keys were before this run read some of its files again: their
    version, the province's sorted id prefixes, each file's batches (the rules across files
    are brought up to date from the difference: logrules.py)."""

    token: str
    prefixes: array[int]
    batches: dict[str, list[str]]


class Province:
    """One province's kept keys, brought up to date with its files as listed: its catalog's
    columns (``files``: a view of each file's entry, path order) and its keys, as views of the
    entry read (mapped where that is safe: a run that replaces the entry meanwhile does not
    change what this one reads)."""

    def __init__(self, where: Path, name: str) -> None:
        self.where, self.name = where, name
        self.columns: dict[str, Any] = {}
        self._files: list[FileKeys] | None = None
        self.problems = 0  # of files that could not be read (no keys)
        self.token = ""  # names this version of the keys
        self.before: Before | None = None  # the version replaced this run, if one was
        self._keys: memoryview | None = None
        self._prefixes: memoryview | None = None

    @property
    def path(self) -> Path:
        return self.where / f"log-{self.name}.pkl"

    @property
    def files(self) -> list[FileKeys]:
        """A view of each file's entry, path order (made when first asked for)."""
        if self._files is None:
            self._files = [FileKeys(self.columns, i) for i in range(len(self.columns["shown"]))]
        return self._files

    def file(self, i: int) -> FileKeys:
        """A view of file ``i``'s entry."""
        return self.files[i] if self._files is not None else FileKeys(self.columns, i)

    @property
    def held(self) -> Held:
        """What every event of the province holds."""
        h = self.columns["held"]
        return Held(h[0], h[1], h[2], h[3], h[4])

    @property
    def origins(self) -> list[str]:
        return list(self.columns["origins"])

    @property
    def count(self) -> int:
        return sum(self.columns["n"])

    def take(self, columns: dict[str, Any], keys: memoryview, prefixes: memoryview) -> None:
        """Hold this version of the province's catalog and keys."""
        self.columns, self.token = columns, columns["token"]
        self._keys, self._prefixes = keys, prefixes
        self._files = None

    def read(self, start: int, size: int) -> bytes:
        """``size`` bytes of the keys from ``start`` (OSError if they are not there)."""
        if self._keys is None:
            raise OSError("the keys are not held")
        data = bytes(self._keys[start:start + size])
        if len(data) != size:
            raise OSError("the keys are shorter than their catalog says")
        return data

    def prefixes(self) -> array[int]:
        """The sorted id prefixes of every file's events."""
        if self._prefixes is None:
            raise Damaged(self)
        out = array("Q")
        out.frombytes(self._prefixes.cast("B"))
        return out

    def close(self) -> None:
        self._keys = self._prefixes = None

    def forget(self) -> None:
        """Remove the entry (its keys did not check out): the next run reads the province's
        record files again."""
        self.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


_COLUMNS = {"shown": list, "sig": array, "n": array, "start": array, "digest": bytes,
            "head": bytes, "items": bytes, "items_at": array, "bys": bytes, "bys_at": array,
            "batches": bytes, "batches_at": array, "sizes": array, "counts": array,
            "combos": bytes, "combos_at": array, "widths": array, "names": array,
            "digits": bytes,
            "problems": array, "warnings": array, "days": array, "origins": list,
            "all_items": list, "all_bys": list, "held": tuple, "prefixes": bytes}


def update_all(where: Path, groups: dict[str, list[RecordFile]], measure: Measure,
               label: Label, extra: tuple[object, ...]) -> list[Province]:
    """Every province's keys for its record files as listed (``groups``: province -> its
    files, path order): kept where a file's signature is unchanged and its keys check out,
    else read again; a province's catalog and keys file written again when anything in it
    changed. OSError if they cannot be written (the caller keeps them elsewhere)."""
    out: list[Province] = []
    stale: list[tuple[Province, dict[str, Any] | None, list[RecordFile]]] = []
    for name, files in groups.items():
        prov = Province(where, name)
        kept = _catalog(where, name, extra)
        if kept is not None:
            raw = kept.pop("raw")
            prov.take(kept, raw["keys"], raw["prefixes"])
            if (len(kept["shown"]) == len(files)
                    and _unchanged(files, kept["shown"], kept["sig"], kept["at"])):
                out.append(prov)
                continue
        stale.append((prov, kept, files))
        out.append(prov)
    if stale:
        fresh = sum(len(files) for _p, _k, files in stale)  # (at most: some are kept)
        builder = Builder(measure, label, fresh)
        try:
            for prov, kept, files in stale:
                _rebuild(prov, kept, files, builder, extra)
        finally:
            builder.close()
    return out


def _rebuild(prov: Province, kept: dict[str, Any] | None, files: Sequence[RecordFile],
             builder: Builder, extra: tuple[object, ...]) -> None:
    """A province's keys file and catalog written again: kept files' keys copied (checked),
    the others read now."""
    old: dict[str, tuple[FileKeys, bytes]] = {}
    if kept is not None:
        before = Before(prov.token, prov.prefixes(), {})
        for i, shown_i in enumerate(kept["shown"]):
            k = FileKeys(kept, i)
            before.batches[shown_i] = k.batches
            if not entries.racy(k.sig, kept["at"]):
                with contextlib.suppress(OSError):
                    old[shown_i] = (k, prov.read(k.start, k.n * REC.size))
        prov.before = before
    prov.close()
    reuse: dict[str, Built] = {}
    fresh: list[RecordFile] = []
    for f in files:
        found = old.get(f.shown)
        if found is not None and f.sig is not None and found[0].sig == f.sig:
            k, keys = found
            if len(keys) == k.n * REC.size and entries.blake2b(keys) == k.digest:
                reuse[f.shown] = _again(k, keys)
                continue
        fresh.append(f)
    del old
    built = dict(zip((f.shown for f in fresh), builder(fresh), strict=True))
    parts: list[Built] = []
    for f in files:
        if f.shown in reuse:
            parts.append(reuse[f.shown])
            continue
        made, problems = built[f.shown]
        if made is None:
            prov.problems += problems
        else:
            parts.append(made)
    _write(prov, parts, extra)


def _unchanged(files: Sequence[RecordFile], shown: list[str], sig: array[int], at: int) -> bool:
    """Whether ``files`` are the catalog's, each with its signature, none changed within the
    clock's tick before the catalog was written (entries.racy). (Compared as whole arrays:
    a national workspace has tens of thousands of files.)"""
    if any(f.sig is None for f in files) or [f.shown for f in files] != shown:
        return False
    now = array("q", [x for f in files for x in f.sig])  # type: ignore[union-attr]
    limit = at - entries.RACY_NS
    return now == sig and (not now or max(max(now[1::5]), max(now[2::5])) < limit)


def _again(k: FileKeys, keys: bytes) -> Built:
    """A kept file's entry as if read now (its keys checked)."""
    held = k.summary()
    c, i = k._c, k.i  # noqa: SLF001 (the catalog's own columns)
    return Built(shown=k.shown, sig=k.sig, n=k.n, digest=k.digest, head=k.head,
                 items=SEP.join(k.items), bys=SEP.join(k.bys), batches=SEP.join(k.batches),
                 sizes=tuple(k.sizes), counts=tuple(k.counts), held=held,
                 problems=k.problems, warnings=c["warnings"][i], days=k.days, keys=keys,
                 prefixes=id_prefixes(keys))


def _catalog(where: Path, name: str, extra: tuple[object, ...]) -> dict[str, Any] | None:
    path = where / f"log-{name}.pkl"
    found = entries.read(path, mapped=listing.is_local(path))
    raw = found.get("raw") if found is not None else None
    if (found is None or type(raw) is not dict or set(raw) != {"keys", "prefixes"}
            or raw["keys"].format != "B" or raw["prefixes"].format != "Q"
            or found.get("code") != code_key(extra)
            or type(found.get("token")) is not str or type(found.get("at")) is not int
            or any(type(found.get(c)) is not t for c, t in _COLUMNS.items())):
        return None
    n = len(found["shown"])
    if not (len(found["sig"]) == 5 * n and len(found["n"]) == len(found["start"]) == n
            and all(len(found[c + "_at"]) == n + 1 and found[c + "_at"][-1] == len(found[c])
                    for c in ("items", "bys", "batches", "combos"))
            and 16 * len(found["sizes"]) == 16 * len(found["counts"]) == len(found["batches"])
            and len(found["digest"]) == 16 * n and len(found["head"]) == REC.size * n
            and len(found["widths"]) == 6 * n and len(found["digits"]) == 24 * n
            and len(raw["keys"]) == sum(found["n"]) * REC.size
            and all(0 <= s and s + c * REC.size <= len(raw["keys"])
                    for s, c in zip(found["start"], found["n"], strict=True))):
        return None
    return found


def _write(prov: Province, parts: list[Built], extra: tuple[object, ...]) -> None:
    """The province's entry written whole (a new token names this version of its keys), and
    held by ``prov``."""
    token = os.urandom(16)
    starts = array("q")
    at = 0
    for b in parts:
        starts.append(at)
        at += len(b.keys)
    keys = bytearray(at)
    for b, start in zip(parts, starts, strict=True):
        keys[start:start + len(b.keys)] = b.keys
    prefixes = array("Q")
    for b in parts:
        prefixes += b.prefixes
    prefixes = array("Q", sorted(prefixes))
    token_hex = token.hex()
    combos: set[bytes] = set()
    note, evidence, label = [0, 0, False], [0, 0, False], [0, 0]
    widest = bytearray(24)
    for b in parts:
        h = b.held
        combos.update(h.combos[j:j + 3] for j in range(0, len(h.combos), 3))
        note = [max(note[0], h.note[0]), max(note[1], h.note[1]), note[2] or h.note[2]]
        evidence = [max(evidence[0], h.evidence[0]), max(evidence[1], h.evidence[1]),
                    evidence[2] or h.evidence[2]]
        label = [max(label[0], h.name[0]), max(label[1], h.name[1])]
        widest = bytearray(max(x, y) for x, y in zip(widest, h.digits, strict=True))
    all_items = table(b.items for b in parts)
    all_bys = table(b.bys for b in parts)
    prov.columns = {
        "code": code_key(extra), "token": token_hex, "at": time.time_ns(),
        "prefixes": entries.blake2b(prefixes.tobytes()),
        "shown": [b.shown for b in parts],
        "sig": array("q", [x for b in parts for x in b.sig]),
        "n": array("q", [b.n for b in parts]), "start": starts,
        "digest": b"".join(b.digest for b in parts), "head": b"".join(b.head for b in parts),
        **column("items", (indexes(all_items, b.items) for b in parts)),
        **column("bys", (indexes(all_bys, b.bys) for b in parts)),
        **column("batches", (b"".join(bytes.fromhex(x) for x in b.batches.split(SEP))
                              if b.batches else b"" for b in parts)),
        "sizes": array("I", [x for b in parts for x in b.sizes]),
        "counts": array("I", [x for b in parts for x in b.counts]),
        **column("combos", (b.held.combos for b in parts)),
        "widths": array("I", [x for b in parts for x in (*b.held.note, *b.held.evidence)]),
        "names": array("I", [x for b in parts for x in b.held.name]),
        "digits": b"".join(b.held.digits for b in parts),
        "problems": array("I", [b.problems for b in parts]),
        "warnings": array("I", [b.warnings for b in parts]),
        "days": array("i", [x for b in parts for x in b.days]),
        "origins": sorted({b.shown.rsplit("/", 1)[1][:-len(".jsonl")] for b in parts if b.n}),
        "all_items": list(all_items), "all_bys": list(all_bys),
        "held": (b"".join(sorted(combos)), (note[0], note[1], bool(note[2])),
                 (evidence[0], evidence[1], bool(evidence[2])), (label[0], label[1]),
                 bytes(widest))}
    columns = prov.columns
    entries.write(prov.path, columns, raw={"keys": memoryview(keys), "prefixes": prefixes})
    prov.take(columns, memoryview(keys), memoryview(prefixes))


def by_province(files: Iterable[RecordFile]) -> dict[str, list[RecordFile]]:
    """Record files grouped by province (the first two digits of their region), path order."""
    out: dict[str, list[RecordFile]] = {}
    for f in files:
        out.setdefault(f.region[:2], []).append(f)
    return out


def prune(where: Path, keep: Iterable[str]) -> None:
    """Remove the kept keys of provinces that have no record files any more."""
    names = set(keep)
    with contextlib.suppress(OSError):
        for p in where.glob(KIND):
            name = p.name[4:-4]
            if name not in names and name.isdigit():
                p.unlink()
