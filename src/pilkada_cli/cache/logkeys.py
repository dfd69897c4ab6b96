"""``pilkada log`` without holding the log in memory: each record file's events as fixed-size
keys in the log's order (newest first), with what a filter and a column's width need of each,
kept per province: ``log-<province>.pkl`` (the catalog: per record file its signature, where
its keys are, what its events hold) and ``log-<province>.keys`` (the keys of every file, one
after the other, then the sorted 64-bit prefixes of the province's event ids).

A key (``REC``) holds an event's two instants and id (the order), where its line is in its file
(read again only when the event is shown), its item and person as indexes into the file's
lists and its status, progress, undo flag, ``at`` date and batch (the filters and the rules
across files), and the widths of its note and evidence as every format lays them out (the
plain table's columns are as wide as their widest cell, so a file's widest note is kept).

A province's files are read again only where their signature changed (an append, a pull, a
repair, a file added or removed); its keys are then written again whole. Each file's keys carry
a digest, checked before they are used: a damaged or planted file is rebuilt, never believed.
Files are read through the one record reader (recordfile.py), so what a file holds here is
exactly what ``Journal.read`` would take from it alone; the rules across files are
logrules.py's.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pilkada_cli.cache import entries
from pilkada_cli.events import STATUSES
from pilkada_cli.readiness import ZONES
from pilkada_cli.recordfile import RecordFile, Sig, parse_bytes, read_record, signature
from pilkada_cli.regions import timezone_of
from pilkada_cli.safefile import open_nofollow, replace_atomic

# at (us), recorded (us), id, line offset, line length, item, by, status, progress (-1: none),
# flags, at's own date (ordinal), note length and cells, evidence length and cells, batch (-1)
REC = struct.Struct("<qq16sqIIIBbBiIIIIi")
(AT, RECORDED, ID, OFFSET, LENGTH, ITEM, BY, STATUS, PROGRESS, FLAGS, DAY, NOTE_LEN, NOTE_CELLS,
 EV_LEN, EV_CELLS, BATCH) = range(16)
Rec = tuple[Any, ...]  # one key, unpacked (fields by the names above)
UNDO, NOTE, EVIDENCE = 1, 2, 4  # FLAGS: an undo; a note, evidence with more than blanks
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
DAY_US = 86_400_000_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
PARALLEL_FILES = 2000  # reading more files than this uses every core (as cache/columns.py)
_MAGIC = b"pilkada-log-keys-1\n"
_CODE = ("cache/logkeys.py", "cache/logrules.py", "render/text.py")

# A text's (length, terminal cells) as the plain and the terminal table lay it out: given by the
# caller (render.log.measure), so what is kept here is exactly what the renderer would compute.
Measure = Callable[[str], tuple[int, int]]


def code_key(extra: tuple[object, ...] = ()) -> tuple[object, ...]:
    """What the kept keys' meaning depends on: the cache's code, these modules, the caller's
    measure (its module's files, ``extra``)."""
    return (entries.code_key(), entries.files_key(_CODE), extra)


def zone_offset(region: str) -> int:
    """Microseconds east of UTC of ``region``'s time zone (fixed: WIB, WITA, WIT)."""
    offset = ZONES[timezone_of(region)].utcoffset(None)
    assert offset is not None
    return offset // timedelta(microseconds=1)


def digits(us: int, offset: int) -> tuple[int, int]:
    """The month (0-11) of moment ``us`` in a zone ``offset`` east of UTC, and how many digits
    its day and year take (a shown date's width is these and the month's name)."""
    d = date.fromordinal(EPOCH_ORDINAL + (us + offset) // DAY_US)
    return d.month - 1, len(str(d.day)) + len(str(d.year))


class FileKeys:
    """One record file's keys as kept in its province's catalog: where they are, and what its
    events hold as a whole (a filter that takes every event of the file needs nothing more)."""

    __slots__ = ("shown", "region", "origin", "sig", "n", "start", "digest", "head", "items",
                 "bys", "batches", "sizes", "counts", "combos", "note", "evidence",
                 "at_digits", "rec_digits", "problems", "warnings", "days")
    FIELDS = __slots__

    shown: str
    region: str
    origin: str
    sig: Sig
    n: int  # good events (the file's own rules applied)
    start: int  # where its keys begin in the province's keys file
    digest: bytes  # of its keys
    head: bytes  # its first (newest) key, b"" when it has none
    items: list[str]
    bys: list[str]
    batches: list[str]
    sizes: list[int]  # the largest ``n`` named per batch
    counts: list[int]  # events per batch
    combos: list[tuple[int, int, bool]]  # (status code, progress or -1, undo) present
    note: tuple[int, int, bool]  # widest note (length, cells), any note with more than blanks
    evidence: tuple[int, int, bool]
    at_digits: bytes  # per month (0-11): most digits of day and year of ``at`` in its zone
    rec_digits: bytes  # ... of ``recorded``
    problems: int  # findings of error severity (each counts in log's warning)
    warnings: int
    days: tuple[int, int]  # first and last ``at`` date (ordinals; (0, 0) when none)

    def __init__(self, **values: Any) -> None:
        if values.keys() != set(self.FIELDS):
            raise ValueError("not the fields of FileKeys")
        for name, value in values.items():
            setattr(self, name, value)

    def stored(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_stored(cls, kept: Any) -> FileKeys:
        keys = cls(**kept)
        if not (type(keys.n) is int and keys.n >= 0 and type(keys.start) is int
                and len(keys.head) == (REC.size if keys.n else 0)
                and len(keys.at_digits) == len(keys.rec_digits) == 12
                and len(keys.sizes) == len(keys.counts) == len(keys.batches)):
            raise ValueError("a damaged catalog entry")
        return keys


# --- one file ---------------------------------------------------------------------------------


def build(file: RecordFile, measure: Measure) -> tuple[FileKeys | None, bytes, int]:
    """Read one record file through the record reader: its keys (newest first), what it holds,
    and its problem count. None (and the problems) when it cannot be read; StorageError above
    the reader's size limit."""
    try:
        data, st = read_record(file)
    except OSError:
        return None, b"", 1  # unreadable: one problem (recordfile.unreadable), nothing kept
    p = parse_bytes(file._replace(sig=signature(st)), data)
    starts = array("q", [0])
    pos = data.find(b"\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    starts.append(len(data) + 1)
    offset = zone_offset(file.region)
    items: dict[str, int] = {}
    bys: dict[str, int] = {}
    batches: dict[str, int] = {}
    sizes: list[int] = []
    counts: list[int] = []
    combos: set[tuple[int, int, bool]] = set()
    note = [0, 0, False]
    evidence = [0, 0, False]
    at_digits, rec_digits = bytearray(12), bytearray(12)
    rows = []
    for ev, lineno in zip(p.events, p.lines, strict=True):
        start = starts[lineno - 1]
        n_len, n_cells = measure(ev.note)
        proof = "; ".join(ev.evidence)
        e_len, e_cells = measure(proof)
        flags = (UNDO if ev.undoes is not None else 0) | (NOTE if ev.note.strip() else 0) | (
            EVIDENCE if proof.strip() else 0)
        batch = -1
        if ev.batch is not None:
            batch = batches.setdefault(ev.batch, len(batches))
            if batch == len(sizes):
                sizes.append(ev.batch_size)
                counts.append(0)
            sizes[batch] = max(sizes[batch], ev.batch_size)
            counts[batch] += 1
        progress = -1 if ev.progress is None else ev.progress
        combos.add((STATUS_CODE[ev.status], progress, ev.undoes is not None))
        note[:] = max(note[0], n_len), max(note[1], n_cells), note[2] or bool(flags & NOTE)
        evidence[:] = (max(evidence[0], e_len), max(evidence[1], e_cells),
                       evidence[2] or bool(flags & EVIDENCE))
        for moment, widest in ((ev.at.us, at_digits), (ev.recorded.us, rec_digits)):
            month, n = digits(moment, offset)
            widest[month] = max(widest[month], n)
        rows.append(((ev.at.us, ev.recorded.us, ev.id), REC.pack(
            ev.at.us, ev.recorded.us, bytes.fromhex(ev.id), start,
            starts[lineno] - 1 - start, items.setdefault(ev.item, len(items)),
            bys.setdefault(ev.by, len(bys)), STATUS_CODE[ev.status], progress, flags,
            ev.at.day.toordinal(), n_len, n_cells, e_len, e_cells, batch)))
    rows.sort(reverse=True)  # newest first: the log's order
    keys = b"".join(row for _key, row in rows)
    day_list = [REC.unpack_from(keys, i)[DAY] for i in range(0, len(keys), REC.size)]
    problems = sum(f.severity != "warning" for f in p.findings)
    return FileKeys(
        shown=file.shown, region=file.region, origin=file.origin, sig=p.file.sig, n=len(rows),
        start=0, digest=entries.blake2b(keys), head=keys[:REC.size], items=list(items),
        bys=list(bys), batches=list(batches), sizes=sizes, counts=counts,
        combos=sorted(combos), note=(note[0], note[1], bool(note[2])),
        evidence=(evidence[0], evidence[1], bool(evidence[2])), at_digits=bytes(at_digits),
        rec_digits=bytes(rec_digits), problems=problems,
        warnings=len(p.findings) - problems,
        days=(min(day_list), max(day_list)) if day_list else (0, 0)), keys, problems


def _build_one(measure: Measure, file: RecordFile) -> tuple[FileKeys | None, bytes, int]:
    return build(file, measure)


def build_all(files: Sequence[RecordFile], measure: Measure
              ) -> list[tuple[FileKeys | None, bytes, int]]:
    """``build`` of each file; in worker processes when there are many (a first run reads
    every line of a national workspace), where processes are forked."""
    work = partial(_build_one, measure)
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                  else os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_FILES or workers < 2 or not sys.platform.startswith("linux"):
        return [work(f) for f in files]
    import multiprocessing
    import pickle

    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(work, files, chunksize=16)
    except (OSError, RuntimeError, pickle.PicklingError):
        return [work(f) for f in files]


def id_prefixes(keys: bytes) -> array[int]:
    """The first 8 bytes of each key's id as big-endian numbers (their order is the ids')."""
    n = len(keys) // REC.size
    out = bytearray(8 * n)
    base = 16  # the id's place in a key
    for j in range(8):
        out[j::8] = keys[base + j::REC.size]
    prefixes = array("Q")
    prefixes.frombytes(bytes(out))
    if sys.byteorder == "little":
        prefixes.byteswap()
    return prefixes


# --- a province -------------------------------------------------------------------------------


class Province:
    """One province's kept keys, brought up to date with its files as listed: each file's
    ``FileKeys`` (path order) and the keys file they are in, held open from the moment it was
    checked (a run that replaces it meanwhile does not change what this one reads)."""

    def __init__(self, where: Path, name: str) -> None:
        self.where, self.name = where, name
        self.files: list[FileKeys] = []
        self.problems = 0  # of files that could not be read (no keys)
        self.token = ""  # names this version of the keys file
        self.changed = False  # read again (or new) this run
        self.old_token = ""  # the version the catalog named before this run ("" if none)
        self.old_prefixes: array[int] | None = None  # ... and its id prefixes
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.where / f"log-{self.name}.keys"

    def open(self) -> bool:
        """Open the keys file, if it is the version the catalog names (``token``)."""
        self.close()
        try:
            fd = open_nofollow(self.path)
        except OSError:
            return False
        head = os.pread(fd, len(_MAGIC) + 16, 0)
        if head != _MAGIC + bytes.fromhex(self.token):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def read(self, start: int, size: int) -> bytes:
        """``size`` bytes of the keys file from ``start`` (OSError if they are not there)."""
        if self._fd is None:
            raise OSError("the keys file is not open")
        data = os.pread(self._fd, size, start)
        if len(data) != size:
            raise OSError("the keys file is shorter than its catalog says")
        return data

    def prefixes(self) -> array[int]:
        """The sorted id prefixes of every file's events (kept after the keys)."""
        if self._fd is None:
            raise OSError("the keys file is not open")
        start = len(_MAGIC) + 16 + sum(f.n for f in self.files) * REC.size
        size = os.fstat(self._fd).st_size - start
        out = array("Q")
        out.frombytes(self.read(start, size - size % 8))
        return out

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def update(where: Path, name: str, files: Sequence[RecordFile], measure: Measure,
           extra: tuple[object, ...]) -> Province:
    """The province ``name``'s keys for ``files`` (its record files as listed, path order):
    kept where a file's signature is unchanged and its keys check out, else read again; the
    catalog and keys file written again when anything changed. OSError if they cannot be
    written (the caller keeps them elsewhere)."""
    prov = Province(where, name)
    kept = _catalog(where, name, extra)
    old: dict[str, FileKeys] = {}
    if kept is not None:
        try:
            old = {shown: FileKeys.from_stored(v) for shown, v in kept["files"].items()
                   if not entries.racy(v["sig"], kept["at"])}
            prov.token = prov.old_token = kept["token"]
        except (KeyError, TypeError, ValueError, AttributeError):
            old = {}
    same = (kept is not None and len(old) == len(kept["files"]) == len(files)
            and all(f.sig is not None and f.shown in old and old[f.shown].sig == f.sig
                    for f in files))
    if same and prov.open():
        prov.files = [old[f.shown] for f in files]
        return prov
    blob = _whole(prov) if old else None
    if blob is not None and prov.old_token:
        prov.old_prefixes = array("Q")
        end = len(_MAGIC) + 16 + sum(k.n for k in old.values()) * REC.size
        with contextlib.suppress(ValueError):
            tail = blob[end:] if all(k.start + k.n * REC.size <= end for k in old.values()) \
                else b""
            prov.old_prefixes.frombytes(tail[:len(tail) - len(tail) % 8])
    fresh: list[RecordFile] = []
    reuse: dict[str, tuple[FileKeys, bytes]] = {}
    for f in files:
        k = old.get(f.shown)
        if blob is not None and k is not None and f.sig is not None and k.sig == f.sig:
            keys = blob[k.start:k.start + k.n * REC.size]
            if len(keys) == k.n * REC.size and entries.blake2b(keys) == k.digest:
                reuse[f.shown] = (k, keys)
                continue
        fresh.append(f)
    del blob
    built = dict(zip((f.shown for f in fresh), build_all(fresh, measure), strict=True))
    parts: list[bytes] = []
    at = len(_MAGIC) + 16
    for f in files:
        if f.shown in reuse:
            k, keys = reuse[f.shown]
        else:
            made, keys, problems = built[f.shown]
            if made is None:
                prov.problems += problems
                continue
            k = made
        k.start = at
        at += len(keys)
        prov.files.append(k)
        parts.append(keys)
    prov.changed = True
    _write(prov, parts, extra)
    if not prov.open():
        raise OSError("the keys file just written cannot be read back")
    return prov


def _catalog(where: Path, name: str, extra: tuple[object, ...]) -> dict[str, Any] | None:
    found = entries.read(where / f"log-{name}.pkl")
    if (found is None or found.get("code") != code_key(extra) or type(found.get("files")) is not
            dict or type(found.get("token")) is not str or type(found.get("at")) is not int):
        return None
    return found


def _whole(prov: Province) -> bytes | None:
    """The province's keys file whole, if it is the one the catalog names (its token)."""
    try:
        fd = open_nofollow(prov.path)
        try:
            size = os.fstat(fd).st_size
            data = os.pread(fd, size, 0)
        finally:
            os.close(fd)
    except OSError:
        return None
    if data[:len(_MAGIC) + 16] != _MAGIC + bytes.fromhex(prov.token) or len(data) != size:
        return None
    return data


def _write(prov: Province, parts: list[bytes], extra: tuple[object, ...]) -> None:
    """The keys file (a new token), then the catalog naming it: a run that stops in between
    leaves a catalog that does not match its keys file, which the next run reads again."""
    import time

    token = os.urandom(16)
    keys = b"".join(parts)
    prefixes = array("Q", sorted(id_prefixes(keys)))

    def dump(fh: Any) -> None:
        fh.write(_MAGIC + token)
        fh.write(keys)
        prefixes.tofile(fh)

    prov.where.mkdir(parents=True, exist_ok=True)
    replace_atomic(prov.path, dump, mode=None, durable=False)
    prov.token = token.hex()
    entries.write(prov.where / f"log-{prov.name}.pkl", {
        "code": code_key(extra), "token": prov.token, "at": time.time_ns(),
        "files": {k.shown: k.stored() for k in prov.files}})


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
        for p in where.glob("log-*.keys"):
            name = p.name[4:-5]
            if name not in names and name.isdigit():
                p.unlink()
                with contextlib.suppress(OSError):
                    (where / f"log-{name}.pkl").unlink()
