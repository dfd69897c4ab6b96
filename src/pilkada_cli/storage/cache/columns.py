"""Record files as columns: what the cache keeps instead of millions of Event objects
(``files-<province>.pkl``), and the journal's rules across files applied to them.

Each file is parsed by the one record reader (recordfile.parse_bytes, through the journal's
``record_file``); its good events become columns (status codes, epoch times, item indexes, byte
offsets, 16-byte ids, ``seq``) that cost tens of bytes each, kept with what the reader found wrong
in the file and the signature of the bytes that were read. A file whose signature is unchanged is
not read again. Kept per province, every file's columns one after the other (shardfile.py): a
file whose columns do not fit is read again.
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, no_step, quiet, steps
from pilkada_cli.domain.daterange import FIRST_US, LAST_US
from pilkada_cli.domain.events import (
    LINE_MAX_BYTES,
    SCHEMA_VERSION,
    SEQ_MAX,
    STATUSES,
    status_problem,
)
from pilkada_cli.domain.instant import at_us, recorded_us
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.listing import signed_like
from pilkada_cli.storage.recordfile import (
    FileParse,
    Finding,
    RecordFile,
    Sig,
    incomplete_batches,
    parse_bytes,
    read_record,
    unreadable,
)

if TYPE_CHECKING:
    from pilkada_cli.storage.journal import Journal

PARALLEL_FILES = 2000  # reading more files than this (a first run, a big pull) uses every core
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}


# A line exactly as ``events.to_line`` writes it, with no text the reader must look at closer:
# every key in the writer's (sorted) order, compact, texts of printable ASCII with no escape (so
# no character check applies: events.parse_line's ``check``), numbers as JSON writes integers.
# The groups: at, batch, by, id, item, n, note, origin, progress, recorded, region, seq, status,
# undoes. What it matches is only the shape: ``canonical`` applies the rules of values (times,
# status and progress, ``n``, ``seq``) through the same functions as events.check_event, and
# hands any other file to the reader (tests/test_canonical.py holds the two to each other).
# Compiled when first used (a warm run reads no file).
_C_TEXT = r'"([ !#-\[\]-~]*)"'
_C_NAME = r'"([ !#-\[\]-~]+)"'  # (item and by: never empty)
_C_HEX = r'"([0-9a-f]{32})"'
_C_INT = r"(0|[1-9][0-9]*)"
_CANONICAL = functools.cache(lambda: re.compile(
    r'\{"at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2})",'
    rf'(?:"batch":{_C_HEX},)?"by":{_C_NAME},'
    r'"evidence":\[(?:"[ !#-\[\]-~]*"(?:,"[ !#-\[\]-~]*")*)?\],'
    rf'"id":{_C_HEX},"item":{_C_NAME},(?:"n":{_C_INT},)?"note":{_C_TEXT},"origin":{_C_TEXT},'
    rf'"progress":(null|0|[1-9][0-9]*),'
    r'"recorded":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?\+00:00)",'
    rf'"region":{_C_TEXT},"seq":([1-9][0-9]*),"status":{_C_TEXT},(?:"undoes":{_C_HEX},)?'
    rf'"v":{SCHEMA_VERSION}\}}\r?\Z'))


class FileColumns:
    """One record file's good events as columns, and what the reader found wrong in it.

    Exactly the events ``Journal.read`` would keep from this file if it were the only one:
    the rules across files (a duplicate id in another file, a batch split over files) are
    ``merge_columns``'."""

    __slots__ = ("region", "origin", "shown", "sig", "items", "item", "status", "progress",
                 "at", "rec", "seq", "offset", "ids", "batches", "batch_size", "batch",
                 "warnings",
                 "problems", "digest")
    FIELDS = __slots__

    region: str
    origin: str
    shown: str
    sig: Sig | None  # fstat of the bytes read (None: unreadable)
    items: list[str]  # distinct item ids, in order of first use
    item: array[int]  # "H": index into items
    status: bytes  # index into events.STATUSES
    progress: array[int]  # "b": -1 when none
    at: array[int]  # "q": POSIX seconds of ``at``
    rec: array[int]  # "q": POSIX microseconds of ``recorded``
    seq: array[int]  # "q": the origin's sequence number (who saw what: conflicts.py)
    offset: array[int]  # "q": where the event's line starts in the file
    ids: bytes  # 16 bytes per event (the 32-hex id)
    batches: list[str]  # distinct batch ids
    batch_size: list[int]  # the largest ``n`` seen per batch
    batch: array[int]  # "i": index into batches, -1 when none
    warnings: int  # how many findings of warning severity the file has
    problems: int  # ... and of error severity (their messages are not kept: the reader's
    # words are in the language of the run that reads, and only ``verify`` shows them)
    digest: bytes  # blake2b-128 of the bytes read (b"" when unreadable)

    # A plain class, not a dataclass: creating one costs every run ~0.4 ms at import.
    def __init__(self, **values: Any) -> None:
        if values.keys() != set(self.FIELDS):
            raise ValueError("not the fields of FileColumns")
        for name, value in values.items():
            setattr(self, name, value)

    def __len__(self) -> int:
        return len(self.ids) >> 4  # (16 bytes each: also of columns made ``for_index``)


def for_index(c: FileColumns) -> FileColumns:
    """``c`` with only what the rules across files read (ids, batches, signature, digest,
    findings): a first build holds every file's like this (~60 MB at the nation-to-district
    scale, against ~180 MB of columns and ~100 MB of item names each file's read holds) and
    the columns the fold reads one province at a time."""
    out = FileColumns.__new__(FileColumns)
    for name in FileColumns.FIELDS:
        setattr(out, name, getattr(c, name))
    out.items, out.item, out.status, out.progress = [], array("H"), b"", array("b")
    out.at, out.rec, out.seq, out.offset = array("q"), array("q"), array("q"), array("q")
    return out


def columns_of(p: FileParse, data: bytes) -> FileColumns:
    """A file's parse (of ``data``) as columns."""
    items: dict[str, int] = {}
    batches: dict[str, int] = {}
    sizes: list[int] = []
    item, progress, batch = array("H"), array("b"), array("i")
    at, rec, seq = array("q"), array("q"), array("q")
    status = bytearray()
    ids = bytearray()
    for ev in p.events:
        item.append(items.setdefault(ev.item, len(items)))
        status.append(_STATUS_CODE[ev.status])
        progress.append(-1 if ev.progress is None else ev.progress)
        at.append(ev.at.us // 1_000_000)  # whole seconds: exact
        rec.append(ev.recorded.us)
        seq.append(ev.seq)
        ids += bytes.fromhex(ev.id)
        if ev.batch is None:
            batch.append(-1)
        else:
            b = batches.setdefault(ev.batch, len(batches))
            if b == len(sizes):
                sizes.append(ev.batch_size)
            else:
                sizes[b] = max(sizes[b], ev.batch_size)
            batch.append(b)
    starts = array("q", [0])
    pos = data.find(b"\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    f = p.file
    return FileColumns(
        region=f.region, origin=f.origin, shown=f.shown, sig=f.sig, items=list(items),
        item=item, status=bytes(status), progress=progress, at=at, rec=rec, seq=seq,
        offset=array("q", [starts[n - 1] for n in p.lines]), ids=bytes(ids),
        batches=list(batches), batch_size=sizes, batch=batch,
        warnings=sum(x.severity == "warning" for x in p.findings),
        problems=sum(x.severity != "warning" for x in p.findings),
        digest=entries.blake2b(data) if f.sig is not None else b"")


def read_columns(file: RecordFile) -> FileColumns:
    """Read one data file through the record reader, as columns; its signature in the form of
    ``file.sig`` (with its content's digest where times cannot be trusted: listing.py);
    StorageError above the reader's size limit."""
    try:
        data, st = read_record(file)
    except OSError as e:
        return columns_of(unreadable(file, e), b"")
    info = file._replace(sig=signed_like(file.sig, st, data))
    found = canonical(info, data)
    return found if found is not None else columns_of(parse_bytes(info, data), data)


def canonical(f: RecordFile, data: bytes) -> FileColumns | None:
    """``columns_of(parse_bytes(f, data), data)`` where every line is as the writer writes it
    (``_CANONICAL``) and the reader would find nothing wrong in the file; None wherever it
    might (the caller then parses the file whole): no Event is made, no JSON decoded. Reading
    a nation's three million lines this way takes ~40% less time (docs/performance.md). The
    rules of values are the reader's own functions; declining is always safe."""
    if not data.isascii() or b"\\" in data:
        return None
    match = _CANONICAL().match
    region, origin = f.region, f.origin
    items: dict[str, int] = {}
    batches: dict[str, int] = {}
    sizes: list[int] = []
    item, progress, batch = array("H"), array("b"), array("i")
    at, rec, seq, offset = array("q"), array("q"), array("q"), array("q")
    status = bytearray()
    ids: list[str] = []
    start = 0
    for line in data.decode("ascii").split("\n"):
        here, start = start, start + len(line) + 1
        if not line:
            continue
        m = match(line)
        if m is None or len(line) > LINE_MAX_BYTES:
            return None
        (a, b, _by, i, name, n, note, o, p, r, place, q, st, _undoes) = m.groups()
        if place != region or o != origin or (b is None) != (n is None):
            return None
        done = None if p == "null" else int(p)
        code = _STATUS_CODE.get(st)
        if code is None or status_problem(st, done, bool(note)) is not None:
            return None
        try:
            a_us, r_us = at_us(a), recorded_us(r)
        except ValueError:
            return None
        if not (FIRST_US <= a_us <= LAST_US and FIRST_US <= r_us <= LAST_US):
            return None
        if b is None:
            batch.append(-1)
        else:
            size = int(n)
            if size < 2:
                return None
            k = batches.setdefault(b, len(batches))
            if k == len(sizes):
                sizes.append(size)
            elif size > sizes[k]:
                sizes[k] = size
            batch.append(k)
        number = int(q)
        if number > SEQ_MAX:
            return None
        ids.append(i)
        item.append(items.setdefault(name, len(items)))
        status.append(code)
        progress.append(-1 if done is None else done)
        at.append(a_us // 1_000_000)
        rec.append(r_us)
        seq.append(number)
        offset.append(here)
    if len(set(ids)) != len(ids):  # (a second copy of an id: the reader says which counts)
        return None
    return FileColumns(
        region=f.region, origin=f.origin, shown=f.shown, sig=f.sig, items=list(items),
        item=item, status=bytes(status), progress=progress, at=at, rec=rec, seq=seq,
        offset=offset, ids=bytes.fromhex("".join(ids)), batches=list(batches),
        batch_size=sizes, batch=batch, warnings=0, problems=0,
        digest=entries.blake2b(data) if f.sig is not None else b"")


def extended(prev: FileColumns, file: RecordFile) -> FileColumns | None:
    """The file's columns from ``prev`` (its columns as read before) and only the lines added
    since, where the file only grew: the bytes ``prev`` was read from are still its start (their
    digest), they ended a line, had nothing wrong, and the new lines have nothing wrong and no
    id of the old ones. Exactly ``read_columns(file)`` (tests/test_cache.py); None otherwise
    (the caller reads the whole file). A refold after a record then parses one line, not the
    region's whole history (its files grow all cycle long)."""
    if prev.sig is None or prev.problems or prev.warnings or not prev.digest:
        return None
    try:
        data, st = read_record(file)
    except OSError:
        return None
    old = prev.sig[0]
    if len(data) < old or (old and data[old - 1:old] != b"\n"):
        return None
    try:  # both digests (as entries.blake2b) in one pass: the C module, not OpenSSL
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    summed = blake2b(memoryview(data)[:old], digest_size=16)
    if summed.digest() != prev.digest:
        return None
    summed.update(memoryview(data)[old:])
    info = file._replace(sig=signed_like(file.sig, st, data))
    tail = data[old:]
    add = canonical(info, tail)
    if add is None:
        p = parse_bytes(info, tail)
        if p.findings:
            return None
        add = columns_of(p, tail)
    known = prev.ids if len(add) < 64 else {  # (few: found in the bytes, maybe across two)
        prev.ids[i:i + 16] for i in range(0, len(prev.ids), 16)}
    if any(add.ids[i:i + 16] in known for i in range(0, len(add.ids), 16)):
        return None  # the whole file's parse says what a second copy of an id is
    items = list(prev.items)
    at_item = {name: i for i, name in enumerate(items)}
    for name in add.items:
        at_item.setdefault(name, len(items))
        if len(items) < len(at_item):
            items.append(name)
    batches, sizes = list(prev.batches), list(prev.batch_size)
    at_batch = {name: i for i, name in enumerate(batches)}
    for name, size in zip(add.batches, add.batch_size, strict=True):
        b = at_batch.setdefault(name, len(batches))
        if b == len(batches):
            batches.append(name)
            sizes.append(size)
        else:
            sizes[b] = max(sizes[b], size)
    new_batch = [at_batch[name] for name in add.batches]
    return FileColumns(
        region=prev.region, origin=prev.origin, shown=prev.shown, sig=info.sig, items=items,
        item=prev.item + array("H", [at_item[add.items[i]] for i in add.item]),
        status=prev.status + add.status, progress=prev.progress + add.progress,
        at=prev.at + add.at, rec=prev.rec + add.rec, seq=prev.seq + add.seq,
        offset=prev.offset + array("q", [old + x for x in add.offset]), ids=prev.ids + add.ids,
        batches=batches, batch_size=sizes,
        batch=prev.batch + array("i", [-1 if b < 0 else new_batch[b] for b in add.batch]),
        warnings=0, problems=0, digest=summed.digest())


# --- every file, from the cache where unchanged -----------------------------------------------


def shard_of(region: str) -> str:
    """The shard (a province) whose entry keeps a file of ``region``."""
    return region[:2]


def workers(files: int) -> int:
    """How many worker processes work on this many files' columns (0: none, the work is done
    in this one). Only where processes are forked: a spawned one would import the command's
    ``__main__`` again."""
    n = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1, 8)
    return n if files >= PARALLEL_FILES and n > 1 and sys.platform.startswith("linux") else 0


def read_all(journal: Journal, infos: list[RecordFile], progress: Progress = quiet
             ) -> list[FileColumns]:
    """``read_columns`` of each file (``each_read``, all at once)."""
    return list(each_read(journal, infos, progress))


def each_read(journal: Journal, infos: list[RecordFile], progress: Progress = quiet
              ) -> Iterator[FileColumns]:
    """``read_columns`` of each file, in order, as each is read: in worker processes when
    there are many (parsing is CPU-bound: a national workspace's first run reads millions of
    lines)."""
    files = [journal.record_file(info.region, info.origin)._replace(sig=info.sig)
             for info in infos]
    step = steps(progress, _("Reading record files"), len(files), 64)
    done = 0
    n = workers(len(files))
    if n:
        import multiprocessing

        try:
            with multiprocessing.get_context("fork").Pool(n) as pool:
                for cols in pool.imap(read_columns, files, chunksize=64):
                    done += 1
                    step(done)
                    yield cols
                return
        except (OSError, RuntimeError, pickle.PicklingError):  # no processes here: do the
            pass  # rest alone
    for f in files[done:]:
        cols = read_columns(f)
        done += 1
        step(done)
        yield cols


# --- the rules across files, on columns ------------------------------------------------------


class Merged(NamedTuple):
    """What the journal's rules across files make of a set of FileColumns."""

    skip: dict[int, frozenset[int]]  # file index -> event positions left out (split batches)
    problems: int  # as len(Journal.read().problems)
    warnings: int  # as len(Journal.read().warnings)


def merge_columns(files: Sequence[FileColumns], listing: Sequence[Finding],
                  step: Callable[[int], None] = no_step) -> Merged | None:
    """``recordfile.merge``'s rules on columns (``files`` in path order): a batch not complete
    across all files is left out (the same ``incomplete_batches``). Returns None if an event id
    occurs in two files (a copied or edited line): the caller must then use ``Journal.read``
    itself, whose messages name both places and which decides which copy counts. Cheap enough
    for millions of events: no Event objects, and the duplicate search is a flag table over
    64-bit id prefixes, candidates checked exactly. ``step`` is told how many files were
    searched (progress.steps)."""
    total = sum(len(f) for f in files)
    if _cross_file_duplicates(files, total, step):
        return None
    tallies: list[tuple[str, int, int]] = []
    for f in files:
        if not f.batches:
            continue
        counts = [0] * len(f.batches)
        for b in f.batch:
            if b >= 0:
                counts[b] += 1
        tallies += zip(f.batches, counts, f.batch_size, strict=True)
    incomplete = incomplete_batches(tallies)
    skip: dict[int, frozenset[int]] = {}
    warnings = sum(f.warnings for f in files)
    problems = sum(f.problems for f in files)
    for fi, f in enumerate(files):
        bad = {i for i, name in enumerate(f.batches) if name in incomplete}
        if bad:
            skip[fi] = frozenset(pos for pos, b in enumerate(f.batch) if b in bad)
            warnings += len(skip[fi])
    for finding in listing:
        if finding.severity == "warning":
            warnings += 1
        else:
            problems += 1
    return Merged(skip, problems, warnings)


def _cross_file_duplicates(files: Sequence[FileColumns], total: int,
                           step: Callable[[int], None]) -> bool:
    """Whether some id is in two of ``files`` (each file's own ids are already unique)."""
    if len(files) < 2:
        return False
    size = 1 << max(16, (16 * total).bit_length())
    seen = bytearray(size)
    mask = size - 1
    maybe: set[int] = set()
    for n, f in enumerate(files, 1):
        step(n)
        for fp in memoryview(f.ids).cast("Q")[::2]:
            h = fp & mask
            if seen[h]:
                maybe.add(fp)
            else:
                seen[h] = 1
    if not maybe:
        return False
    first: dict[bytes, int] = {}
    for fi, f in enumerate(files):
        ids = f.ids
        for pos, fp in enumerate(memoryview(ids).cast("Q")[::2]):
            if fp in maybe:
                full = ids[16 * pos:16 * pos + 16]
                if first.setdefault(full, fi) != fi:
                    return True
    return False


def content_digest(file: RecordFile) -> bytes | None:
    """A data file's content digest (as ``FileColumns.digest``); None if unreadable."""
    try:
        return entries.blake2b(read_record(file)[0])
    except OSError:
        return None
