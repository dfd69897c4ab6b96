"""``pilkada log`` without holding the log in memory: each record file's events as fixed-size
keys in the log's order (newest first), kept per province in two files: ``log-<province>.pkl``,
a cache entry (entries.py: checksummed whole, written durably) whose pickle is the catalog (per
record file its signature, where its keys are, their digest and what its events hold, as
columns; and what the whole province holds) and whose raw array is the province's sorted 64-bit
id prefixes (for the rules across files: logrules.py); and ``log-<province>.keys``, the keys of
every file one after the other, read a window at a time (a log's first line needs only the
catalogs and each file's newest key, not every key). What a key holds, and how one file's keys
are read: logfile.py.

A province's files are read again only where their signature changed (an append, a pull, a
repair, a file added or removed); its two files are then written again whole. The keys file's
header carries a CRC of itself and the token its catalog names (a crash between the two
writes leaves a keys file of another token: rebuilt without a word); each file's keys carry a
digest in the catalog, checked before they are used. Keys that do not check out are derived
again from their record file on the spot (``Province.repair``), the damage said once and the
province's files dropped, so the log is still the records' own. Files are read through the
one record reader (recordfile.py), so what a file holds here is exactly what ``Journal.read``
takes from it alone.
"""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from pilkada_cli.base.errors import StorageError
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import open_nofollow, replace_atomic
from pilkada_cli.storage.cache import entries, listing
from pilkada_cli.storage.cache.logfile import (
    REC,
    SEP,
    Builder,
    Built,
    FileKeys,
    Held,
    Label,
    Measure,
    build,
    column,
    id_prefixes,
    indexes,
    pread,
    table,
)
from pilkada_cli.storage.recordfile import RecordFile

KIND = entries.kind("log-*.pkl", __name__)
KEYS = entries.kind("log-*.keys", __name__)
_MAGIC = b"pilkada-log-keys-2\n"
_HEAD = len(_MAGIC) + 16 + 4  # magic, token, CRC-32 of both


def code_key(extra: tuple[object, ...] = ()) -> tuple[object, ...]:
    """What the kept keys mean depends on: the package (its code and region names), and what
    the caller's measure depends on (``extra``)."""
    return (entries.code_key(), extra)


class Before(NamedTuple):
    """What a province's keys were before this run read some of its files again: their
    version, the province's sorted id prefixes, each file's batches (the rules across files
    are brought up to date from the difference: logrules.py)."""

    token: str
    prefixes: array[int]
    batches: dict[str, list[str]]


class Province:
    """One province's kept keys, brought up to date with its files as listed: its catalog's
    columns (``files``: a view of each file's entry, path order), its id prefixes, and the
    keys file, held open from the moment it was checked (a run that replaces it meanwhile
    does not change what this one reads), or this run's keys in memory where the cache cannot
    be written."""

    def __init__(self, where: Path, name: str) -> None:
        self.where, self.name = where, name
        self.columns: dict[str, Any] = {}
        self._files: list[FileKeys] | None = None
        self.problems = 0  # of files that could not be read (no keys)
        self.token = ""  # names this version of the keys file
        self.before: Before | None = None  # the version replaced this run, if one was
        self._fd: int | None = None
        self._memory: bytes | None = None  # the keys, where they could not be written
        self._prefixes: memoryview | array[int] | None = None
        self.sources: dict[str, RecordFile] = {}  # shown -> the record file, for repair
        self.derive: Callable[[RecordFile], tuple[Built | None, int]] | None = None

    @property
    def path(self) -> Path:
        return self.where / f"log-{self.name}.keys"

    @property
    def catalog(self) -> Path:
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

    def take(self, columns: dict[str, Any], prefixes: memoryview | array[int]) -> None:
        """Hold this version of the province's catalog and id prefixes."""
        self.columns, self.token, self._prefixes = columns, columns["token"], prefixes
        self._files = None

    def open(self) -> bool:
        """Open the keys file, if it is the version the catalog names (``token``); a header
        that does not check out is damage (noted, the file dropped)."""
        self.close()
        try:
            fd = open_nofollow(self.path)
        except OSError:
            return False
        head = pread(fd, _HEAD, 0)
        if _header(head[:-4]) != head or not head.startswith(_MAGIC):
            os.close(fd)
            entries.drop(self.path)
            return False
        if head[len(_MAGIC):-4] != bytes.fromhex(self.token):
            os.close(fd)  # (a run stopped between writing the keys and the catalog)
            return False
        self._fd = fd
        return True

    def read(self, start: int, size: int) -> bytes:
        """``size`` bytes of the keys from ``start`` (OSError if they are not there)."""
        if self._memory is not None:
            data = self._memory[start:start + size]
        elif self._fd is None:
            raise OSError("the keys file is not open")
        else:
            data = pread(self._fd, size, start)
        if len(data) != size:
            raise OSError("the keys file is shorter than its catalog says")
        return data

    def prefixes(self) -> array[int]:
        """The sorted id prefixes of every file's events."""
        assert self._prefixes is not None, "held from the catalog or the keys just written"
        if isinstance(self._prefixes, array):
            return array("Q", self._prefixes)
        out = array("Q")
        out.frombytes(self._prefixes.cast("B"))
        return out

    def repair(self, k: FileKeys) -> bytes:
        """The keys of ``k``'s file derived again from its record file, where the kept ones do
        not check out: the damage is noted (said once by the command) and the province's files
        dropped, so the next run writes them again. StorageError if the record file is no
        longer what the catalog describes (it changed while the log was being written)."""
        if self._memory is None:  # (kept on disk: dropped, written again next run)
            self.forget(damaged=True)
        source = self.sources.get(k.shown)
        made = (self.derive(source)[0] if source is not None and self.derive is not None
                else None)
        if made is None or made.sig != k.sig or made.digest != k.digest:
            raise StorageError(_("the record files changed while being read ({reason}); run "
                                 "the command again").format(reason=k.shown))
        return made.keys

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def forget(self, damaged: bool = False) -> None:
        """Remove the province's files (its keys did not check out: ``damaged`` notes it): the
        next run reads its record files again."""
        if damaged:
            entries.drop(self.path)
        for path in (self.catalog, self.path):
            with contextlib.suppress(OSError):
                path.unlink()


def _header(magic_token: bytes) -> bytes:
    return magic_token + zlib.crc32(magic_token).to_bytes(4, "little")


_COLUMNS = {"shown": list, "sig": array, "n": array, "start": array, "digest": bytes,
            "head": bytes, "items": bytes, "items_at": array, "bys": bytes, "bys_at": array,
            "batches": bytes, "batches_at": array, "sizes": array, "counts": array,
            "combos": bytes, "combos_at": array, "widths": array, "names": array,
            "digits": bytes,
            "problems": array, "warnings": array, "days": array, "origins": list,
            "all_items": list, "all_bys": list, "held": tuple}


def update_all(where: Path, groups: dict[str, list[RecordFile]], measure: Measure,
               label: Label, extra: tuple[object, ...]) -> list[Province]:
    """Every province's keys for its record files as listed (``groups``: province -> its
    files, path order): kept where a file's signature is unchanged and its keys check out,
    else read again; a province's catalog and keys file written again when anything in it
    changed (held in memory where they cannot be written)."""
    out: list[Province] = []
    stale: list[tuple[Province, dict[str, Any] | None, list[RecordFile]]] = []
    derive = partial(build, measure=measure, label=label)
    for name, files in groups.items():
        prov = Province(where, name)
        prov.sources, prov.derive = {f.shown: f for f in files}, derive
        kept = _catalog(where, name, extra)
        if kept is not None:
            prov.take(kept, kept.pop("raw")["prefixes"])
            if (len(kept["shown"]) == len(files)
                    and _unchanged(files, kept["shown"], kept["sig"], kept["at"])
                    and prov.open()):
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
    blob = _whole(prov) if kept is not None else None
    if kept is not None:
        prov.before = Before(prov.token, prov.prefixes(), {})
        for i, shown_i in enumerate(kept["shown"]):
            k = FileKeys(kept, i)
            prov.before.batches[shown_i] = k.batches
            if blob is not None and not entries.racy(k.sig, kept["at"]):
                old[shown_i] = (k, blob[k.start:k.start + k.n * REC.size])
    del blob
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
    unread = [f for f in fresh if built[f.shown][0] is None]
    if unread:  # what cannot be read would be missing from the log: stop, naming each
        from pilkada_cli.storage.recordfile import refuse_unread

        refuse_unread(unread)
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
    c, i = k._c, k.i  # (the catalog's own columns)
    return Built(shown=k.shown, sig=k.sig, n=k.n, digest=k.digest, head=k.head,
                 items=SEP.join(k.items), bys=SEP.join(k.bys), batches=SEP.join(k.batches),
                 sizes=tuple(k.sizes), counts=tuple(k.counts), held=held,
                 problems=k.problems, warnings=c["warnings"][i], days=k.days, keys=keys,
                 prefixes=id_prefixes(keys))


def _catalog(where: Path, name: str, extra: tuple[object, ...]) -> dict[str, Any] | None:
    path = where / f"log-{name}.pkl"
    found = entries.read(path, mapped=listing.is_local(path))
    raw = found.get("raw") if found is not None else None
    if (found is None or type(raw) is not dict or set(raw) != {"prefixes"}
            or raw["prefixes"].format != "Q"
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
            and len(raw["prefixes"]) == sum(found["n"])):
        return None
    return found


def _whole(prov: Province) -> bytes | None:
    """The province's keys file whole, if it is the one the catalog names (its token; the
    kept files' keys are copied from it, each checked against its digest)."""
    if not prov.open():
        return None
    try:
        size = os.fstat(prov._fd).st_size  # type: ignore[arg-type]
        return prov.read(0, size)
    except OSError:
        return None
    finally:
        prov.close()


def _write(prov: Province, parts: list[Built], extra: tuple[object, ...]) -> None:
    """The keys file (a new token), then the catalog naming it, and both held by ``prov``
    (the keys in memory where the file cannot be written: the next run reads again)."""
    token = os.urandom(16)
    starts = array("q")
    at = _HEAD
    for b in parts:
        starts.append(at)
        at += len(b.keys)
    prefixes = array("Q")
    for b in parts:
        prefixes += b.prefixes
    prefixes = array("Q", sorted(prefixes))
    token_hex = token.hex()

    def dump(fh: Any) -> None:
        fh.write(_header(_MAGIC + token))
        for b in parts:
            fh.write(b.keys)

    prov.close()
    prov._memory = None  # (its own module)
    try:
        prov.where.mkdir(parents=True, exist_ok=True)
        replace_atomic(prov.path, dump, mode=None, durable=False)
    except OSError:  # a read-only folder, a full disk: this run's keys in memory
        prov._memory = _whole_written(parts, token)
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
    if prov._memory is None:
        entries.write(prov.catalog, columns, raw={"prefixes": prefixes})
    prov.take(columns, prefixes)
    if prov._memory is None and not prov.open():
        prov._memory = _whole_written(parts, token)  # (replaced meanwhile)


def _whole_written(parts: list[Built], token: bytes) -> bytes:
    return _header(_MAGIC + token) + b"".join(b.keys for b in parts)


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
        for p in where.glob(KEYS):
            name = p.name[4:-5]
            if name not in names and name.isdigit():
                p.unlink()
                with contextlib.suppress(OSError):
                    (where / f"log-{name}.pkl").unlink()
