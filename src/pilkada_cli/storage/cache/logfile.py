"""One record file's log keys, read now (logkeys.py keeps them per province): its events, as
the one record reader (recordfile.py) takes them from the file alone, each as a fixed-size key
in the log's order (newest first), and what its events hold as a whole.

A key (``REC``) holds an event's two instants and id (the order), where its line is in its file
(read again only when the event is shown), its item and person as indexes into the file's
lists, its status, progress, undo flag, ``at`` date and batch (the filters and the rules
across files), and the widths of its note and evidence as the tables lay them out (the plain
table pads each column to its widest cell, so the widest of each file is kept too).
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
from typing import Any

from pilkada_cli.base.safefile import read_at
from pilkada_cli.domain.events import STATUSES
from pilkada_cli.domain.readiness import ZONES
from pilkada_cli.domain.regions import timezone_of
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.listing import signed_like
from pilkada_cli.storage.recordfile import RecordFile, Sig, parse_bytes, read_record

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
SEP = "\x00"  # between the names of a file's items, people, batches (never in a name)

# A text's (length, terminal cells) as the plain and the terminal table lay it out, and a
# region's cell text: given by the caller (render.logstream), so what is kept here is exactly
# what the renderer computes.
Measure = Callable[[str], tuple[int, int]]
Label = Callable[[str], str]


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


class Held:
    """What a set of events holds for the table's widths: the (status, progress + 1, undo)
    triples present (3 bytes each), the widest note and evidence (length, cells, any with more
    than blanks), the widest region name (length, cells), and per month the most digits of a
    day and year of ``at`` (12 bytes) and of ``recorded`` (12) in the region's zone."""

    __slots__ = ("combos", "note", "evidence", "name", "digits")

    def __init__(self, combos: bytes, note: tuple[int, int, bool],
                 evidence: tuple[int, int, bool], name: tuple[int, int], digits: bytes) -> None:
        self.combos, self.note, self.evidence = combos, note, evidence
        self.name, self.digits = name, digits

    def triples(self) -> Iterable[tuple[str, int | None, bool]]:
        """The statuses present as (status, progress or None, undo)."""
        c = self.combos
        for j in range(0, len(c), 3):
            yield STATUSES[c[j]], (c[j + 1] - 1 if c[j + 1] else None), bool(c[j + 2])


# --- one file ---------------------------------------------------------------------------------


class Built:
    """A file's entry as read now, before it is placed in its province's keys file."""

    __slots__ = ("shown", "sig", "n", "digest", "head", "items", "bys", "batches", "sizes",
                 "counts", "held", "problems", "warnings", "days", "keys", "prefixes")

    shown: str
    sig: Sig
    n: int
    digest: bytes
    head: bytes
    items: str  # the names, joined by SEP
    bys: str
    batches: str
    sizes: tuple[int, ...]
    counts: tuple[int, ...]
    held: Held
    problems: int
    warnings: int
    days: tuple[int, int]
    keys: bytes
    prefixes: array[int]

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


def build(file: RecordFile, measure: Measure, label: Label) -> tuple[Built | None, int]:
    """Read one record file through the record reader: its keys (newest first) and what its
    events hold; None (and the problem) when it cannot be read. StorageError above the
    reader's size limit."""
    try:
        data, st = read_record(file)
    except OSError:
        return None, 1  # unreadable: one problem (recordfile.unreadable), nothing kept
    p = parse_bytes(file._replace(sig=signed_like(file.sig, st, data)), data)
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
    combos: set[tuple[int, int, int]] = set()
    n_len = n_cells = e_len = e_cells = 0
    n_any = e_any = False
    widest = bytearray(24)
    days: dict[int, tuple[int, int]] = {}  # day number in the zone -> month, digits
    rows = []
    for ev, lineno in zip(p.events, p.lines, strict=True):
        start = starts[lineno - 1]
        note = measure(ev.note) if ev.note else (0, 0)
        proof = "; ".join(ev.evidence)
        ev_w = measure(proof) if proof else (0, 0)
        flags = (UNDO if ev.undoes is not None else 0) | (NOTE if ev.note.strip() else 0) | (
            EVIDENCE if proof.strip() else 0)
        batch = -1
        if ev.batch is not None:
            batch = batches.setdefault(ev.batch, len(batches))
            if batch == len(sizes):
                sizes.append(ev.batch_size)
                counts.append(0)
            elif ev.batch_size > sizes[batch]:
                sizes[batch] = ev.batch_size
            counts[batch] += 1
        progress = -1 if ev.progress is None else ev.progress
        status = STATUS_CODE[ev.status]
        combos.add((status, progress + 1, 1 if ev.undoes is not None else 0))
        if note[0] > n_len:
            n_len = note[0]
        if note[1] > n_cells:
            n_cells = note[1]
        if ev_w[0] > e_len:
            e_len = ev_w[0]
        if ev_w[1] > e_cells:
            e_cells = ev_w[1]
        n_any = n_any or bool(flags & NOTE)
        e_any = e_any or bool(flags & EVIDENCE)
        for moment, base in ((ev.at.us, 0), (ev.recorded.us, 12)):
            day = (moment + offset) // DAY_US
            found = days.get(day)
            if found is None:
                found = days[day] = digits(moment, offset)
            if found[1] > widest[base + found[0]]:
                widest[base + found[0]] = found[1]
        at_day = ev.at.day.toordinal()
        rows.append(((ev.at.us, ev.recorded.us, ev.id), REC.pack(
            ev.at.us, ev.recorded.us, bytes.fromhex(ev.id), start,
            starts[lineno] - 1 - start, items.setdefault(ev.item, len(items)),
            bys.setdefault(ev.by, len(bys)), status, progress, flags, at_day, note[0],
            note[1], ev_w[0], ev_w[1], batch)))
    rows.sort(reverse=True)  # newest first: the log's order
    keys = b"".join(row for _key, row in rows)
    day_list = [ev.at.day.toordinal() for ev in p.events]
    problems = sum(f.severity != "warning" for f in p.findings)
    assert p.file.sig is not None
    return Built(
        shown=file.shown, sig=p.file.sig, n=len(rows), digest=entries.blake2b(keys),
        head=keys[:REC.size] or bytes(REC.size), items=SEP.join(items), bys=SEP.join(bys),
        batches=SEP.join(batches), sizes=tuple(sizes), counts=tuple(counts),
        held=Held(b"".join(bytes(c) for c in sorted(combos)), (n_len, n_cells, n_any),
                  (e_len, e_cells, e_any), measure(label(file.region)), bytes(widest)),
        problems=problems, warnings=len(p.findings) - problems,
        days=(min(day_list), max(day_list)) if day_list else (0, 0), keys=keys,
        prefixes=id_prefixes(keys)), problems


def _build_one(measure: Measure, label: Label, file: RecordFile) -> tuple[Built | None, int]:
    return build(file, measure, label)


class Builder:
    """``build`` of many files; in worker processes when there are many (a first run reads
    every line of a national workspace), where processes are forked: one pool for the run."""

    def __init__(self, measure: Measure, label: Label, files: int) -> None:
        self.work = partial(_build_one, measure, label)
        self._pool: Any = None
        workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1, 8)
        if files >= PARALLEL_FILES and workers >= 2 and sys.platform.startswith("linux"):
            import multiprocessing

            with contextlib.suppress(OSError, RuntimeError):
                self._pool = multiprocessing.get_context("fork").Pool(workers)

    def __call__(self, files: Sequence[RecordFile]) -> list[tuple[Built | None, int]]:
        if self._pool is not None and len(files) > 16:
            import pickle

            try:
                found: list[tuple[Built | None, int]] = self._pool.map(self.work, files,
                                                                       chunksize=16)
                return found
            except (OSError, RuntimeError, pickle.PicklingError):
                self.close()
        return [self.work(f) for f in files]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


def id_prefixes(keys: bytes) -> array[int]:
    """The first 8 bytes of each key's id as big-endian numbers (their order is the ids')."""
    n = len(keys) // REC.size
    out = bytearray(8 * n)
    for j in range(8):
        out[j::8] = keys[16 + j::REC.size]  # (the id starts at byte 16 of a key)
    prefixes = array("Q")
    prefixes.frombytes(bytes(out))
    if sys.byteorder == "little":
        prefixes.byteswap()
    return prefixes


# --- a province -------------------------------------------------------------------------------


def pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes of an open file at ``offset`` (fewer at its end): ``os.pread`` where
    there is one (POSIX), else a seek and a read (Windows)."""
    if _PREAD is not None:
        return _PREAD(fd, size, offset)
    return read_at(fd, offset, size)


_PREAD: Callable[[int, int, int], bytes] | None = getattr(os, "pread", None)


# --- how a province's catalog packs its files' names and pieces (logkeys.py) ---------------


def blob(pieces: Iterable[bytes]) -> tuple[bytes, array[int]]:
    """Pieces as one blob and the offsets of each (one more than there are pieces)."""
    at = array("q", [0])
    out = []
    for piece in pieces:
        out.append(piece)
        at.append(at[-1] + len(piece))
    return b"".join(out), at


def column(name: str, pieces: Iterable[bytes]) -> dict[str, Any]:
    """A catalog column of one piece per file: ``name`` the blob, ``name_at`` the offsets."""
    data, at = blob(pieces)
    return {name: data, name + "_at": at}


def table(joined: Iterable[str]) -> dict[str, int]:
    """Every name of the files (each file's joined by SEP), sorted and numbered."""
    names = sorted({x for text in joined if text for x in text.split(SEP)})
    return {name: j for j, name in enumerate(names)}


def indexes(numbers: dict[str, int], names: str) -> bytes:
    """A file's names (joined) as indexes into the province's table of them."""
    if not names:
        return b""
    return array("I", [numbers[x] for x in names.split(SEP)]).tobytes()


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
