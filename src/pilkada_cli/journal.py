"""Journal: the only module that reads or writes record files.

Layout inside a workspace's ``records/`` folder::

    records/<region>/<origin>.jsonl        events (events.py line format); ONE writing machine each
    records/<region>/<origin>.jsonl.rejected.jsonl   lines `repair` moved aside (keep: evidence)
    records/<region>/<origin>.jsonl.lock   local-only: lock file
    records/<region>/<origin>.jsonl.torn-<utc>       local-only: torn last line fenced off by append
    records/<region>/.<origin>.jsonl.*.tmp local-only: repair's temp file, only while it runs
    records/.local/                        local-only: per-origin seq counters and their locks

Local-only patterns (``.gitignore``): ``*.lock``, ``*.torn-*``, ``*.tmp``, ``.local/``.

Because every file has exactly one writing machine, a git merge of two offices only adds files or
appends to a file that one side wrote: no conflicts. Writers hold ``<file>.lock`` (filelock, OS
lock) for every append and fsync before returning; readers never lock and never wait, and
tolerate exactly one torn last line. Several events written by one ``append`` call share a batch
id; a batch that is not complete across all files is left out of ``read`` (all or nothing even
across files, without a cross-file commit protocol). The recipe and its failure modes:
docs/reliability.md section 1.1.

For the derived cache (cache.py, docs/performance.md) the reader also offers what a cache keeps
instead of millions of Event objects: ``snapshot`` (the files ``read`` would scan, with their
signatures), ``scan_columns`` (one file through the same parser and per-file checks, as
columns), ``merge_columns`` (the cross-file rules) and ``event_at`` (one event by its line's
offset). ``read`` itself keeps each file's parse in the workspace's cache when it has one and
replays the parses through the same checks. The files stay the only source of truth.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
import time
from array import array
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from pilkada_cli.errors import InputError, StorageError, os_reason
from pilkada_cli.events import (
    ORIGIN_RE,
    REGION_RE,
    SEQ_AUTO,
    Event,
    NewerVersionError,
    RecordFormatError,
    _new_event,
    new_event_id,
    parse_instant,
    parse_line,
    to_line,
)
from pilkada_cli.gcpause import gc_paused
from pilkada_cli.i18n import _

if TYPE_CHECKING:
    from filelock import FileLock

LOCK_TIMEOUT = 10.0  # seconds; cron simply retries on its next run
FILE_MODE = 0o640
DIR_MODE = 0o750
FUTURE_SLACK = timedelta(minutes=5)
_FILE_RE = re.compile(r"([a-z0-9][a-z0-9-]{0,47})\.jsonl", re.ASCII)
_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
_POSIX = os.name == "posix"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 16
_LOCAL = ".local"
_WARNING_KINDS = frozenset(
    {"torn-tail", "conflict", "incomplete-batch", "future", "seq", "stray"}
)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in the record files, located by file and (where it applies) line."""

    path: str  # e.g. "records/16.71/pc-a1b2c3d4.jsonl" (forward slashes on every OS)
    line: int | None  # 1-based; None when not about one line
    kind: str  # torn-tail corrupt conflict-marker duplicate-id misplaced incomplete-batch
    # future seq conflict newer-version symlink unreadable stray
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def _finding(path: str, line: int | None, kind: str, message: str) -> Finding:
    severity = "warning" if kind in _WARNING_KINDS else "error"
    return Finding(path, line, kind, message, severity)


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Events in ``order_key`` order, plus what the caller should show in a banner."""

    events: list[Event]
    warnings: list[Finding]  # torn last lines, incomplete batches: expected after a crash
    problems: list[Finding]  # corruption: run `pilkada verify`


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What ``repair`` did: lines moved into ``<file>.rejected.jsonl``, and what it left."""

    moved: list[Finding]  # one per moved line (path and line as before the repair)
    rewritten: list[str]  # data files rewritten without those lines
    left: list[Finding]  # findings repair does not fix (warnings, newer-version, ...)

    def moved_per_file(self) -> dict[str, int]:
        """Number of lines moved aside, per data file."""
        counts: dict[str, int] = {}
        for f in self.moved:
            counts[f.path] = counts.get(f.path, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class _DataFile:
    region: str
    origin: str
    path: Path
    shown: str  # path as shown to users: records/<region>/<origin>.jsonl


class _Refused(OSError):
    """An unsafe file or folder (symlink, device, hard link); the message says which."""


# --- small I/O helpers ------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    if isinstance(exc, _Refused):
        return str(exc)
    return os_reason(exc)


def _file_lock(path: str) -> FileLock:
    """An OS lock (flock / LockFileEx) on ``path``. Never a soft lock: one that only looks at
    whether a file exists can be broken while its holder still writes (reliability.md §1).
    filelock is imported here: reading records never locks, so it need not pay for it."""
    from filelock import FileLock

    try:
        return FileLock(path, timeout=LOCK_TIMEOUT, mode=FILE_MODE, fallback_to_soft=False)
    except TypeError:  # filelock < 4 has no soft fallback to switch off
        return FileLock(path, timeout=LOCK_TIMEOUT, mode=FILE_MODE)


def _fsync_dir(path: Path) -> None:
    """Make a created/renamed entry in ``path`` durable (POSIX; NTFS journals metadata)."""
    if not _POSIX:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):  # some filesystems cannot, by design
            raise
    finally:
        os.close(fd)


def _make_dir(path: Path) -> bool:
    """Create ``path`` 0o750 (whatever the umask) unless it is a real folder; True if created."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:  # a concurrent writer made it
            return _make_dir(path)
        if _POSIX:
            os.chmod(path, DIR_MODE)
        _fsync_dir(path.parent)
        return True
    if stat.S_ISLNK(st.st_mode) or _is_reparse_point(st):
        raise _Refused(f"{path.name} is a symbolic link; refusing to follow it")
    if not stat.S_ISDIR(st.st_mode):
        raise _Refused(f"{path.name} is not a folder")
    return False


def _is_reparse_point(st: os.stat_result) -> bool:
    # Windows junctions and symlinks; st_file_attributes exists only there
    return bool(getattr(st, "st_file_attributes", 0) & 0x400)


def _refuse_link(path: Path) -> bool:
    """Refuse a symlink or junction at ``path`` (O_NOFOLLOW does not exist on Windows); True if
    nothing is there yet."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    if stat.S_ISLNK(st.st_mode) or _is_reparse_point(st):
        raise _Refused("is a symbolic link; refusing to follow it")
    return False


def _check_regular(fd: int) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _Refused("not a regular file")
    if st.st_nlink > 1:  # another name can write the same bytes (sqlite.org/howtocorrupt.html)
        raise _Refused("has several hard links; refusing to write through them")


def _write_fully(fd: int, data: bytes) -> None:
    """One write loop of all of ``data`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "write made no progress")
        view = view[n:]


def _read_at(fd: int, offset: int, size: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _utc_stamp() -> str:
    # no colons: the stamp is part of a file name, also on Windows
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _replace(src: Path, dst: Path) -> None:
    """os.replace, retried on Windows where another program (antivirus, Excel) may hold dst."""
    for attempt in range(6):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if _POSIX or attempt == 5:
                raise
            time.sleep(0.05 * 2**attempt)


def _reverse_lines(f: BinaryIO, size: int) -> Iterator[bytes]:
    """Lines of ``f`` from the end. The first one yielded is the part after the last newline."""
    end, rest = size, b""
    while end > 0:
        start = max(0, end - _CHUNK)
        f.seek(start)
        parts = (f.read(end - start) + rest).split(b"\n")
        end, rest = start, parts[0]
        yield from reversed(parts[1:])
    yield rest


def _complete_object(segment: bytes) -> bool:
    """True if an unterminated last segment is a whole JSON object (only its newline is missing).

    A proper prefix of ``{...}`` is never valid JSON, so this tells a finished record from one
    cut short by a crash.
    """
    try:
        return isinstance(json.loads(segment.rstrip(b"\r")), dict)
    except (ValueError, RecursionError):
        return False


def _is_marker(line: str) -> bool:
    return line.startswith(_MARKERS)


def _recorded_key(recorded: str) -> str:
    """``recorded`` (validated: UTC, 25 or 32 chars) in a form whose string order is time order."""
    return recorded if len(recorded) == 32 else recorded[:19] + ".000000+00:00"


_fromisoformat = datetime.fromisoformat


def _sort_key(ev: Event) -> tuple[float, str, str]:
    """Same order as events.order_key, cheaper (for events that passed the reader's checks):
    ``at`` has whole seconds, so its POSIX timestamp is an exact float, and floats compare
    fastest; ``recorded`` is always UTC, so its normalised string sorts by time."""
    rec = ev.recorded
    return (_fromisoformat(ev.at).timestamp(), rec if len(rec) == 32 else rec[:19] + ".000000"
            + rec[19:], ev.id)


# --- scanning (read, verify, repair) ----------------------------------------------------------


@dataclass
class _Scan:
    """Everything learned from reading a set of record files."""

    full: bool  # all regions were read: batch completeness can be judged
    events: list[Event] = field(default_factory=list)  # unique by id, in file/line order
    lines: array[int] = field(default_factory=lambda: array("q"))  # line of events[i]
    files: list[_DataFile] = field(default_factory=list)
    file_of: array[int] = field(default_factory=lambda: array("q"))  # files index of events[i]
    seen: dict[str, int] = field(default_factory=dict)  # id -> index into events
    memo: dict[str, str] = field(default_factory=dict)  # shared strings (events.parse_line)
    warnings: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    moveable: dict[str, dict[int, Finding]] = field(default_factory=dict)  # path -> line -> why
    incomplete: set[str] = field(default_factory=set)  # batch ids

    def place(self, i: int) -> str:
        return f"{self.files[self.file_of[i]].shown}:{self.lines[i]}"

    def report(self, f: Finding, moveable: bool = False) -> None:
        (self.warnings if f.severity == "warning" else self.problems).append(f)
        if moveable and f.line is not None:
            self.moveable.setdefault(f.path, {})[f.line] = f


def _bad_line(scan: _Scan, df: _DataFile, lineno: int, line: str, exc: Exception) -> None:
    if _is_marker(line):
        scan.report(_finding(df.shown, lineno, "conflict-marker",
                             "git conflict marker; remove it (pilkada verify --repair)"), True)
    elif isinstance(exc, NewerVersionError):
        scan.report(_finding(df.shown, lineno, "newer-version", str(exc)))
    elif not line.strip():
        return  # blank line: skipped by design
    else:
        reason = str(exc) if isinstance(exc, RecordFormatError) else f"not valid JSON ({exc})"
        scan.report(_finding(df.shown, lineno, "corrupt", f"corrupt record: {reason}"), True)


def _add_unusual(scan: _Scan, fi: int, lineno: int, ev: Event) -> None:
    """An event in the wrong file, or an id seen before."""
    df = scan.files[fi]
    if ev.region != df.region or ev.origin != df.origin:
        scan.report(_finding(df.shown, lineno, "misplaced",
                             f"event of region {ev.region} by origin {ev.origin} does not belong"
                             " in this file"), True)
        return
    first = scan.seen[ev.id]
    if scan.events[first] != ev:  # identical copies are harmless (a re-import): keep one
        scan.report(_finding(df.shown, lineno, "duplicate-id",
                             f"event {ev.id} also at {scan.place(first)} with different content;"
                             " the first one counts"), True)


def _scan_text(scan: _Scan, fi: int, lines: list[str]) -> None:
    """The hot loop of reading: parse every line of one file (locals for speed)."""
    df = scan.files[fi]
    region, origin, memo, seen = df.region, df.origin, scan.memo, scan.seen
    events, line_of, file_of = scan.events, scan.lines, scan.file_of
    last = len(lines)
    for lineno, line in enumerate(lines, 1):
        if line and line[-1] == "\r":  # git autocrlf on Windows
            line = line[:-1]
        if not line:
            continue
        try:
            ev = parse_line(line, memo)
        except (ValueError, RecursionError) as exc:
            _unparsable(scan, df, lineno, line, exc, lineno == last)
            continue
        if ev.region != region or ev.origin != origin or ev.id in seen:
            _add_unusual(scan, fi, lineno, ev)
            continue
        seen[ev.id] = len(events)
        events.append(ev)
        line_of.append(lineno)
        file_of.append(fi)


def _unparsable(scan: _Scan, df: _DataFile, lineno: int, line: str, exc: Exception,
                last: bool) -> None:
    if last and not _complete_object(line.encode("utf-8", "replace")):
        scan.report(_finding(df.shown, lineno, "torn-tail",
                             "last line is incomplete (an interrupted or ongoing write); ignored"),
                    True)
    else:
        _bad_line(scan, df, lineno, line, exc)


def _scan_bytes(scan: _Scan, fi: int, data: bytes) -> None:
    """Slow path for a file that is not valid UTF-8: find the lines that are not."""
    lines = data.split(b"\n")
    text_lines: list[str] = []
    for lineno, raw in enumerate(lines, 1):
        try:
            text_lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            text_lines.append("")  # reported here, skipped by _scan_text
            torn = lineno == len(lines) and not _complete_object(raw)
            kind, msg = ("torn-tail", "last line is incomplete; ignored") if torn else (
                "corrupt", "corrupt record: not valid UTF-8")
            scan.report(_finding(scan.files[fi].shown, lineno, kind, msg), True)
    _scan_text(scan, fi, text_lines)


def _open_read(path: Path) -> bytes:
    return _open_read_stat(path)[0]


def _open_read_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes (never through a link) and the stat of what was read: the
    signature a cache keys on must describe exactly these bytes."""
    fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NOFOLLOW)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused("not a regular file")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(), st
    finally:
        os.close(fd)


def _scan_file(scan: _Scan, df: _DataFile) -> None:
    try:
        data = _open_read(df.path)
    except OSError as e:
        scan.report(_finding(df.shown, None, "unreadable", f"cannot read: {_reason(e)}"))
        return
    scan.files.append(df)
    fi = len(scan.files) - 1
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _scan_bytes(scan, fi, data)
        return
    _scan_text(scan, fi, text.split("\n"))


def _judge_batches(scan: _Scan) -> None:
    """Leave out every batch with fewer events present than its size (a crash mid-append)."""
    need: dict[str, int] = {}
    have: dict[str, int] = {}
    for ev in scan.events:
        if ev.batch is not None:
            have[ev.batch] = have.get(ev.batch, 0) + 1
            need[ev.batch] = max(need.get(ev.batch, 0), ev.batch_size)
    scan.incomplete = {b for b, n in need.items() if have[b] < n}
    if not scan.incomplete:
        return
    for i, ev in enumerate(scan.events):
        if ev.batch in scan.incomplete:
            df = scan.files[scan.file_of[i]]
            scan.report(_finding(
                df.shown, scan.lines[i], "incomplete-batch",
                f"event {ev.id} belongs to batch {ev.batch} of {need[ev.batch]} events of which"
                f" only {have[ev.batch]} are present; the batch is ignored (a write in progress"
                " or interrupted, or not all files were copied)"))


# --- a cached read: each file's parse, replayed --------------------------------------------------

_Entry = Finding | tuple[int, tuple[Any, ...]]  # a finding, or (line, Event fields)
READ_CACHE_MAX_BYTES = 400 << 20  # above this the per-file parses are not kept (too big)


def _parse_entries(df: _DataFile, data: bytes, memo: dict[str, str]
                   ) -> list[Finding | tuple[int, Event]]:
    """What ``_scan_bytes``/``_scan_text`` make of one file's lines on their own, in order:
    a finding, or a parsed event with its line (whether it is kept depends on other files)."""
    tmp = _Scan(full=False, files=[df])
    out: list[Finding | tuple[int, Event]] = []
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raw_lines = data.split(b"\n")
        lines = []
        for lineno, raw in enumerate(raw_lines, 1):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append("")
                torn = lineno == len(raw_lines) and not _complete_object(raw)
                kind, msg = ("torn-tail", "last line is incomplete; ignored") if torn else (
                    "corrupt", "corrupt record: not valid UTF-8")
                out.append(_finding(df.shown, lineno, kind, msg))
    last = len(lines)
    for lineno, line in enumerate(lines, 1):
        if line and line[-1] == "\r":
            line = line[:-1]
        if not line:
            continue
        try:
            ev = parse_line(line, memo)
        except (ValueError, RecursionError) as exc:
            w, p = len(tmp.warnings), len(tmp.problems)
            _unparsable(tmp, df, lineno, line, exc, lineno == last)
            out += tmp.warnings[w:] + tmp.problems[p:]
            continue
        out.append((lineno, ev))
    return out


def _replay(scan: _Scan, fi: int, entries: Sequence[Finding | tuple[int, Event]]) -> None:
    """Apply one file's parse to the scan exactly as ``_scan_text`` would have."""
    df = scan.files[fi]
    region, origin, seen = df.region, df.origin, scan.seen
    events, line_of, file_of = scan.events, scan.lines, scan.file_of
    for entry in entries:
        if type(entry) is Finding:
            scan.report(entry)
            continue
        lineno, ev = entry  # type: ignore[misc]
        if ev.region != region or ev.origin != origin or ev.id in seen:
            _add_unusual(scan, fi, lineno, ev)
            continue
        seen[ev.id] = len(events)
        events.append(ev)
        line_of.append(lineno)
        file_of.append(fi)


def _fields(ev: Event) -> tuple[Any, ...]:
    return (ev.id, ev.origin, ev.seq, ev.region, ev.item, ev.status, ev.progress, ev.note,
            ev.evidence, ev.by, ev.at, ev.recorded, ev.undoes, ev.batch, ev.batch_size)


# --- column reads: what a derived cache keeps instead of Event objects ------------------------

Sig = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device
_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)
_STATUS_CODE = {s: i for i, s in enumerate(("todo", "in_progress", "done", "blocked", "na"))}


def _signature(st: os.stat_result) -> Sig:
    """What changes whenever a file's content may have: appends grow it, ``repair`` replaces
    it (new inode), any write moves its ctime (which no tool can set back)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class FileInfo(NamedTuple):
    """One data file of a snapshot of records/: where it is and its signature."""

    region: str
    origin: str
    shown: str  # records/<region>/<origin>.jsonl
    sig: Sig | None  # None: could not be stat'ed (the scan will say why)


class FileColumns:
    """One record file read by the journal's own scanner, its good events kept as columns
    (events.STATUSES codes, epoch times, item indexes) so that millions of them cost tens of
    bytes each; what the scanner found wrong in the file is kept with them.

    Exactly the events ``read`` would keep from this file if it were the only one: cross-file
    rules (a duplicate id in another file, a batch split over files) are ``merge_columns``'."""

    region: str
    origin: str
    shown: str
    sig: Sig | None  # fstat before reading (None: unreadable)
    items: list[str]  # distinct item ids, in order of first use
    item: array[int]  # "H": index into items
    status: bytes  # index into events.STATUSES
    progress: array[int]  # "b": -1 when none
    at: array[int]  # "q": POSIX seconds of ``at``
    rec: array[int]  # "q": POSIX microseconds of ``recorded``
    offset: array[int]  # "q": where the event's line starts in the file
    ids: bytes  # 16 bytes per event (the 32-hex id)
    batches: list[str]  # distinct batch ids
    batch_size: list[int]  # the largest ``n`` seen per batch
    batch: array[int]  # "i": index into batches, -1 when none
    warnings: list[Finding]
    problems: list[Finding]
    digest: bytes  # blake2b-128 of the bytes read (b"" when unreadable)

    # A plain class, not a dataclass: creating one costs every run ~0.4 ms at import.
    __slots__ = ("region", "origin", "shown", "sig", "items", "item", "status", "progress", "at",
                 "rec", "offset", "ids", "batches", "batch_size", "batch", "warnings",
                 "problems", "digest")

    def __init__(self, *values: Any) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    def __len__(self) -> int:
        return len(self.offset)


def _columns(scan: _Scan, info: FileInfo, sig: Sig | None, data: bytes) -> FileColumns:
    items: dict[str, int] = {}
    batches: dict[str, int] = {}
    sizes: list[int] = []
    item, progress, batch = array("H"), array("b"), array("i")
    at, rec = array("q"), array("q")
    status = bytearray()
    ids = bytearray()
    fromiso, epoch, micro = _fromisoformat, _EPOCH, _MICRO
    for ev in scan.events:
        item.append(items.setdefault(ev.item, len(items)))
        status.append(_STATUS_CODE[ev.status])
        progress.append(-1 if ev.progress is None else ev.progress)
        at.append(int(fromiso(ev.at).timestamp()))
        rec.append((fromiso(ev.recorded[:-6]) - epoch) // micro)  # always +00:00
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
    offset = array("q", [starts[n - 1] for n in scan.lines])
    return FileColumns(info.region, info.origin, info.shown, sig, list(items), item,
                       bytes(status), progress, at, rec, offset, bytes(ids),
                       list(batches), sizes, batch, scan.warnings, scan.problems,
                       _digest(data) if sig is not None else b"")


def _digest(data: bytes) -> bytes:
    try:  # the C module itself: hashlib would also load OpenSSL (2 ms a run)
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    return blake2b(data, digest_size=16).digest()


class Merged(NamedTuple):
    """What the cross-file rules of ``read`` make of a set of FileColumns."""

    skip: dict[int, frozenset[int]]  # file index -> event positions left out (split batches)
    problems: int  # as len(read().problems)
    warnings: int  # as len(read().warnings)


def merge_columns(files: Sequence[FileColumns], listing: Sequence[Finding]) -> Merged | None:
    """Apply ``read``'s cross-file rules to ``files`` (in path order, as ``snapshot`` lists
    them): a batch not complete across all files is left out. Returns None if an event id
    occurs in two files (a copied or edited line): the caller must then use ``read`` itself,
    whose messages name both places. Cheap enough for millions of events: no Event objects,
    and the duplicate search is a flag table over 64-bit id prefixes, candidates checked
    exactly."""
    total = sum(len(f) for f in files)
    if _cross_file_duplicates(files, total):
        return None
    have: dict[str, int] = {}
    need: dict[str, int] = {}
    for f in files:
        if not f.batches:
            continue
        counts = [0] * len(f.batches)
        for b in f.batch:
            if b >= 0:
                counts[b] += 1
        for name, n, size in zip(f.batches, counts, f.batch_size, strict=True):
            have[name] = have.get(name, 0) + n
            need[name] = max(need.get(name, 0), size)
    incomplete = {b for b, n in need.items() if have[b] < n}
    skip: dict[int, frozenset[int]] = {}
    warnings = sum(len(f.warnings) for f in files)
    problems = sum(len(f.problems) for f in files)
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


def _cross_file_duplicates(files: Sequence[FileColumns], total: int) -> bool:
    """Whether some id is in two of ``files`` (each file's own ids are already unique)."""
    if len(files) < 2:
        return False
    size = 1 << max(16, (16 * total).bit_length())
    seen = bytearray(size)
    mask = size - 1
    maybe: set[int] = set()
    for f in files:
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


# --- verify-only checks -----------------------------------------------------------------------


def _check_sequences(scan: _Scan, now: datetime) -> list[Finding]:
    """seq going backwards within one file, and ``recorded`` too far in the future."""
    found: list[Finding] = []
    limit = _recorded_key((now + FUTURE_SLACK).astimezone(timezone.utc).isoformat(
        timespec="microseconds"))
    prev: dict[int, int] = {}
    for i, ev in enumerate(scan.events):
        fi = scan.file_of[i]
        df = scan.files[fi]
        if ev.seq <= prev.get(fi, 0):
            found.append(_finding(df.shown, scan.lines[i], "seq",
                                  f"seq {ev.seq} after seq {prev[fi]} in the same file; the"
                                  " writing machine's counter or clock was reset"))
        prev[fi] = max(ev.seq, prev.get(fi, 0))
        if _recorded_key(ev.recorded) > limit:
            found.append(_finding(df.shown, scan.lines[i], "future",
                                  f"recorded {ev.recorded} is in the future; the writing"
                                  " machine's clock is wrong"))
    return found


def _check_conflicts(scan: _Scan, window: timedelta) -> list[Finding]:
    """Different statuses for one (region, item) from different origins close in time."""
    groups: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for i, ev in enumerate(scan.events):
        if ev.batch not in scan.incomplete:
            groups.setdefault((ev.region, ev.item), []).append(
                (parse_instant(ev.at).timestamp(), i))
    found: list[Finding] = []
    span = window.total_seconds()
    for members in groups.values():
        members.sort()
        for k, (t, i) in enumerate(members):
            for t2, j in members[k + 1:]:
                if t2 - t > span:
                    break
                if _concurrent_edit(scan.events[i], scan.events[j]):
                    found.append(_conflict(scan, i, j))
    return found


def _concurrent_edit(a: Event, b: Event) -> bool:
    return (a.origin != b.origin and a.status != b.status
            and a.undoes != b.id and b.undoes != a.id)


def _conflict(scan: _Scan, i: int, j: int) -> Finding:
    a, b = scan.events[i], scan.events[j]
    return _finding(
        scan.files[scan.file_of[j]].shown, scan.lines[j], "conflict",
        f"{b.region} {b.item}: {b.status} by {b.by} ({b.origin}, {b.at}) and {a.status} by"
        f" {a.by} ({a.origin}, {a.at}, {scan.place(i)}) were recorded independently; check"
        " which is right and record it again")


# --- the journal ------------------------------------------------------------------------------


class Journal:
    """Append-only event files under ``records_dir``; see the module docstring."""

    def __init__(self, records_dir: Path) -> None:
        self.root = Path(records_dir)
        self._label = self.root.name or "records"

    # paths and listing

    def _data_file(self, region: str, origin: str) -> _DataFile:
        # Validated by regex before any path join: no "..", no absolute paths, no drive letters.
        if not REGION_RE.fullmatch(region):
            raise InputError(f"invalid region code {region!r}; expected e.g. 16.71")
        if not ORIGIN_RE.fullmatch(origin):
            raise InputError(f"invalid origin id {origin!r}")
        return _DataFile(region, origin, self.root / region / f"{origin}.jsonl",
                         f"{self._label}/{region}/{origin}.jsonl")

    def _region_names(self, regions: Collection[str] | None) -> list[str]:
        if regions is not None:
            for r in regions:
                if not REGION_RE.fullmatch(r):
                    raise InputError(f"invalid region code {r!r}; expected e.g. 16.71")
            return sorted(set(regions))
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=self._label, reason=_reason(e))) from e
        return sorted(n for n in names if REGION_RE.fullmatch(n))

    def _list_files(
        self, regions: Collection[str] | None, found: list[Finding], strays: bool = False
    ) -> list[_DataFile]:
        """Data files in path order; symlinks (and with ``strays``, odd files) go to ``found``."""
        files: list[_DataFile] = []
        for region in self._region_names(regions):
            folder = self.root / region
            try:
                st = os.lstat(folder)
                if stat.S_ISLNK(st.st_mode) or _is_reparse_point(st):
                    raise _Refused("is a symbolic link; not followed")
                names = sorted(os.listdir(folder)) if stat.S_ISDIR(st.st_mode) else []
            except FileNotFoundError:
                continue
            except OSError as e:
                found.append(_finding(f"{self._label}/{region}", None,
                                      "symlink" if isinstance(e, _Refused) else "unreadable",
                                      f"{self._label}/{region} {_reason(e)}"))
                continue
            for name in names:
                self._classify_entry(region, name, files, found, strays)
        return files

    def _classify_entry(self, region: str, name: str, files: list[_DataFile],
                        found: list[Finding], strays: bool) -> None:
        m = _FILE_RE.fullmatch(name)
        shown = f"{self._label}/{region}/{name}"
        if m is None:
            local = name.endswith((".lock", ".rejected.jsonl", ".tmp")) or ".torn-" in name
            if strays and not local:
                found.append(_finding(shown, None, "stray",
                                      "not a record file name (<origin>.jsonl); not read"))
            return
        if (self.root / region / name).is_symlink():
            found.append(_finding(shown, None, "symlink", "is a symbolic link; not followed"))
            return
        files.append(self._data_file(region, m.group(1)))

    def _origin_files(self, origin: str) -> list[_DataFile]:
        """This origin's files, one per region folder (O(regions) stats, no reading)."""
        if not ORIGIN_RE.fullmatch(origin):
            raise InputError(f"invalid origin id {origin!r}")
        files = []
        for region in self._region_names(None):
            df = self._data_file(region, origin)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(df.path).st_mode):  # not a symlink, not missing
                    files.append(df)
        return files

    # reading

    def _scan(self, regions: Collection[str] | None, strays: bool = False) -> _Scan:
        scan = _Scan(full=regions is None)
        listing: list[Finding] = []
        with gc_paused():
            for df in self._list_files(regions, listing, strays):
                _scan_file(scan, df)
        for f in listing:
            scan.report(f)
        if scan.full:
            _judge_batches(scan)
        return scan

    def read(self, regions: Collection[str] | None = None) -> ReadResult:
        """All good events of ``regions`` (None = all), sorted by order_key; never locks.

        Raises InputError for a malformed region code, StorageError if records/ is unreadable.
        Bad lines do not raise: they are skipped and listed in ``problems``/``warnings``.
        """
        scan = self._scan_cached() if regions is None else None
        if scan is None:
            scan = self._scan(regions)
        with gc_paused():
            events = [ev for ev in scan.events if ev.batch not in scan.incomplete]
            events.sort(key=_sort_key)
        return ReadResult(events, scan.warnings, scan.problems)

    def _scan_cached(self) -> _Scan | None:
        """``_scan(None)`` with each file's parse kept in the workspace's derived cache
        (cache.py) and read again only when the file's signature changed; None when there is
        no cache to use. Exactly what ``_scan`` finds: the parses are replayed in path order
        through the same cross-file checks."""
        from pilkada_cli import cache

        where = cache.records_cache(self.root)
        if where is None:
            return None
        files, listing = self.snapshot()
        if sum(f.sig[0] for f in files if f.sig is not None) > READ_CACHE_MAX_BYTES:
            return None
        scan = _Scan(full=True)
        memo = scan.memo
        shards: dict[str, dict[str, Any]] = {}
        changed: set[str] = set()
        new = _new_event
        with gc_paused():
            for info in files:
                name = info.region[:2]
                if name not in shards:
                    shards[name] = cache.load_shard(where, f"events-{name}")
                kept = shards[name].get(info.shown)
                df = self._data_file(info.region, info.origin)
                entries: list[Finding | tuple[int, Event]] | None = None
                if kept is not None and info.sig is not None and kept[0] == info.sig:
                    try:  # equal strings were one object when pickled, so they are one again
                        entries = [e if type(e) is Finding else (int(e[0]), new(*e[1]))
                                   for e in kept[1]]
                    except (TypeError, ValueError, IndexError):
                        entries = None  # a damaged entry: read the file again
                if entries is None:
                    try:
                        data, st = _open_read_stat(df.path)
                    except OSError as e:
                        scan.report(_finding(df.shown, None, "unreadable",
                                             f"cannot read: {_reason(e)}"))
                        continue
                    entries = _parse_entries(df, data, memo)
                    if _signature(st) == info.sig:
                        shards[name][info.shown] = (info.sig, [
                            e if type(e) is Finding else (e[0], _fields(e[1]))  # type: ignore[index]
                            for e in entries])
                    else:
                        shards[name].pop(info.shown, None)
                    changed.add(name)
                scan.files.append(df)
                _replay(scan, len(scan.files) - 1, entries)
        for finding in listing:
            scan.report(finding)
        _judge_batches(scan)
        present = {info.shown for info in files}
        for name, kept_files in shards.items():
            stale = set(kept_files) - present
            for shown in stale:
                del kept_files[shown]
            if name in changed or stale:
                cache.save_shard(where, f"events-{name}", kept_files)
        return scan

    def snapshot(self) -> tuple[list[FileInfo], list[Finding]]:
        """Every data file in path order with its signature (one ``lstat`` each, nothing
        read), and what the listing found (symlinks, unreadable folders): the files and
        findings ``read`` would list. Raises StorageError if records/ is unreadable."""
        label = self._label
        listing: list[Finding] = []
        out: list[FileInfo] = []
        try:
            with os.scandir(self.root) as it:
                regions = sorted((e.name, e) for e in it if REGION_RE.fullmatch(e.name))
        except FileNotFoundError:
            return [], []
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=label, reason=_reason(e))) from e
        root = os.fspath(self.root)
        match, lstat, islink = _FILE_RE.fullmatch, os.lstat, stat.S_ISLNK
        for region, entry in regions:
            try:
                if entry.is_symlink() or (not _POSIX and _is_reparse_point(
                        entry.stat(follow_symlinks=False))):
                    raise _Refused("is a symbolic link; not followed")
                if not entry.is_dir(follow_symlinks=False):
                    continue
                folder = os.path.join(root, region)
                names = sorted(os.listdir(folder))  # listdir + lstat beat scandir's stat
            except FileNotFoundError:
                continue
            except OSError as e:
                listing.append(_finding(f"{label}/{region}", None,
                                        "symlink" if isinstance(e, _Refused) else "unreadable",
                                        f"{label}/{region} {_reason(e)}"))
                continue
            for name in names:
                m = match(name)
                if m is None:
                    continue
                shown = f"{label}/{region}/{name}"
                try:
                    st = lstat(os.path.join(folder, name))
                except OSError:
                    out.append(FileInfo(region, m.group(1), shown, None))
                    continue
                if islink(st.st_mode):
                    listing.append(_finding(shown, None, "symlink",
                                            "is a symbolic link; not followed"))
                    continue
                out.append(FileInfo(region, m.group(1), shown, (
                    st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)))
        return out, listing

    def scan_columns(self, info: FileInfo) -> FileColumns:
        """Read one data file with the reader's own parsing and per-file checks, as columns."""
        df = self._data_file(info.region, info.origin)
        scan = _Scan(full=False)
        with gc_paused():
            try:
                data, st = _open_read_stat(df.path)
            except OSError as e:  # as _scan_file reports it
                scan.report(_finding(df.shown, None, "unreadable", f"cannot read: {_reason(e)}"))
                return _columns(scan, info, None, b"")
            scan.files.append(df)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                _scan_bytes(scan, 0, data)
            else:
                _scan_text(scan, 0, text.split("\n"))
            return _columns(scan, info, _signature(st), data)

    def digest(self, info: FileInfo) -> bytes | None:
        """A data file's content digest (as ``FileColumns.digest``); None if unreadable."""
        try:
            return _digest(_open_read(self._data_file(info.region, info.origin).path))
        except OSError:
            return None

    def event_at(self, region: str, origin: str, offset: int) -> Event:
        """The event whose line starts at ``offset`` in a data file (as a cache located it).
        ValueError if that is not a good event of this file (the file changed since)."""
        df = self._data_file(region, origin)
        fd = os.open(df.path, os.O_RDONLY | _O_BINARY | _O_NOFOLLOW)
        try:
            chunk = b""
            while True:
                more = _read_at(fd, offset + len(chunk), 4096)
                chunk += more
                end = chunk.find(b"\n")
                if end >= 0 or len(more) < 4096:
                    break
        finally:
            os.close(fd)
        raw = chunk[:end] if end >= 0 else chunk
        ev = parse_line(raw.rstrip(b"\r").decode("utf-8"))
        if ev.region != region or ev.origin != origin:
            raise ValueError(f"{df.shown} has no event of its own at byte {offset}")
        return ev

    def verify(self, conflict_window: timedelta = timedelta(minutes=10)) -> list[Finding]:
        """Every finding about every record file, ordered by path and line."""
        scan = self._scan(None, strays=True)
        found = scan.problems + scan.warnings
        found += _check_sequences(scan, datetime.now(timezone.utc))
        found += _check_conflicts(scan, conflict_window)
        return sorted(found, key=lambda f: (f.path, f.line or 0, f.kind))

    def last_seq(self, origin: str) -> int:
        """Highest seq ``origin`` wrote: reads only the last lines of its files, and its counter.

        Raises InputError for a malformed origin, StorageError if a file cannot be read.
        """
        try:
            return self._max_seq(origin)
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=self._where(e), reason=_reason(e))) from e

    def last_event(self, origin: str, by: str | None = None) -> Event | None:
        """Newest event (by ``recorded``) of ``origin``, optionally only those ``by`` a person.

        Reads each of the origin's files backwards from its end, so it is cheap whoever wrote
        recently. The event may belong to a batch: undo the whole batch if it does.
        """
        best: Event | None = None
        try:
            for df in self._origin_files(origin):
                ev = self._tail_event(df, by)
                if ev and (best is None or (_recorded_key(ev.recorded), ev.id) >
                           (_recorded_key(best.recorded), best.id)):
                    best = ev
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=self._where(e), reason=_reason(e))) from e
        return best

    def _max_seq(self, origin: str) -> int:
        best = self._load_counter(origin) or 0
        for df in self._origin_files(origin):
            ev = self._tail_event(df, None)
            best = max(best, ev.seq if ev else 0)
        return best

    @staticmethod
    def _tail_event(df: _DataFile, by: str | None) -> Event | None:
        """The last good event in ``df`` (by ``by``, if given), reading from the end."""
        try:
            fd = os.open(df.path, os.O_RDONLY | _O_BINARY | _O_NOFOLLOW)
        except OSError as e:
            if isinstance(e, FileNotFoundError) or e.errno == errno.ELOOP:
                return None  # no file, or a symlink: not a record file (append refuses it)
            raise
        with os.fdopen(fd, "rb") as f:
            for raw in _reverse_lines(f, os.fstat(fd).st_size):
                try:
                    ev = parse_line(raw.rstrip(b"\r").decode("utf-8"))
                except (ValueError, RecursionError):
                    continue  # torn tail or corrupt line: look further back
                if ev.region == df.region and ev.origin == df.origin and (
                        by is None or ev.by == by):
                    return ev
        return None

    def _where(self, e: OSError) -> str:
        """The file of an OSError as shown to users (records/...), else the records folder."""
        if e.filename and not isinstance(e, _Refused):
            with contextlib.suppress(ValueError):
                rel = Path(os.fsdecode(e.filename)).relative_to(self.root).as_posix()
                return f"{self._label}/{rel}" if rel != "." else self._label
        return self._label

    # appending

    def append(self, events: Sequence[Event], *, as_is: bool = False) -> list[Event]:
        """Durably append ``events``, all or nothing; returns them as written.

        Events with ``seq == SEQ_AUTO`` get the next per-origin numbers. If no event carries a
        batch id and there are several, they get a fresh shared batch id and ``batch_size``,
        unless ``as_is`` (copies of other offices' events, `pilkada import`: written unchanged).
        Raises InputError for invalid events (nothing written) and StorageError("NOT saved: ...")
        for any storage failure, after undoing whatever this call had written.
        """
        evs = self._stamp_batch(list(events), as_is)
        if not evs:
            return []
        targets = self._targets(evs)
        self._prepare_folders(targets)
        with self._locked(targets, {ev.origin for ev in evs}):
            try:
                evs = self._assign_seqs(evs, targets)
            except OSError as e:
                raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=_reason(e), path=self._where(e))) from e
            lines: dict[_DataFile, list[bytes]] = {df: [] for df in targets}
            for ev, df in zip(evs, targets, strict=True):
                lines[df].append(to_line(ev))
            self._write_all({df: b"".join(chunk) for df, chunk in lines.items()})
            self._save_counters(evs)
        return evs

    @staticmethod
    def _stamp_batch(evs: list[Event], as_is: bool = False) -> list[Event]:
        ids = {ev.id for ev in evs}
        if len(ids) != len(evs):
            raise InputError("the same event id appears twice in one write")
        if as_is or len(evs) < 2 or any(ev.batch is not None for ev in evs):
            return evs  # single event, or batches already set (e.g. events copied from files)
        batch = new_event_id()
        return [replace(ev, batch=batch, batch_size=len(evs)) for ev in evs]

    def _targets(self, evs: list[Event]) -> list[_DataFile]:
        """The file of each event, after validating every event (before any side effect)."""
        targets = []
        for ev in evs:
            try:
                to_line(replace(ev, seq=1) if ev.seq == SEQ_AUTO else ev)
            except RecordFormatError as e:
                raise InputError(f"cannot record event {ev.id}: {e}") from None
            targets.append(self._data_file(ev.region, ev.origin))
        return targets

    def _prepare_folders(self, targets: list[_DataFile]) -> None:
        try:
            if not os.path.lexists(self.root.parent):  # e.g. the default workspace's first run
                self.root.parent.mkdir(parents=True, exist_ok=True)
            _make_dir(self.root)
            _make_dir(self.root / _LOCAL)
            for region in sorted({df.region for df in targets}):
                _make_dir(self.root / region)
                self._check_inside(self.root / region)
        except OSError as e:
            raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=_reason(e), path=self._where(e))) from e

    def _check_inside(self, folder: Path) -> None:
        # Belt and braces after the regex: the resolved folder must sit directly in records/.
        real = Path(os.path.realpath(folder))
        if real.parent != Path(os.path.realpath(self.root)):
            raise _Refused(f"{folder.name} resolves outside {self._label}")

    @contextlib.contextmanager
    def hold_all(self) -> Iterator[None]:
        """Hold every record file's lock, so that no append is half-written while git commits
        or merges the folder (`pilkada sync`, reliability.md section 2). StorageError if a
        writer holds one beyond the timeout."""
        files, _listing = self.snapshot()
        with self._locked([self._data_file(f.region, f.origin) for f in files], set()):
            yield

    @contextlib.contextmanager
    def _locked(self, targets: list[_DataFile], origins: set[str]) -> Iterator[None]:
        """Hold every target file's lock and each origin's counter lock, in sorted path order so
        that two writers can never wait for each other."""
        from filelock import Timeout

        paths = {str(df.path) + ".lock": df.shown for df in targets}
        for origin in origins:
            paths[str(self.root / _LOCAL / f"{origin}.lock")] = f"{self._label}/{_LOCAL}"
        with contextlib.ExitStack() as stack:
            for path in sorted(paths):
                lock = _file_lock(path)
                try:
                    stack.enter_context(lock)
                except Timeout:
                    raise StorageError(_("NOT saved: another pilkada run is writing {path}; "
                                         "try again").format(path=paths[path])) from None
                except OSError as e:
                    raise StorageError(_("NOT saved: {reason} ({path})").format(
                        reason=_reason(e), path=f"{paths[path]}.lock")) from e
            yield

    # per-origin counters (a cache: the files stay the source of truth)

    def _counter_path(self, origin: str) -> Path:
        return self.root / _LOCAL / f"{origin}.seq"

    def _load_counter(self, origin: str) -> int | None:
        try:
            fd = os.open(self._counter_path(origin), os.O_RDONLY | _O_BINARY | _O_NOFOLLOW)
            try:
                text = os.read(fd, 64).decode("ascii")
            finally:
                os.close(fd)
            if text.startswith("seq ") and text.endswith("\n"):
                return int(text[4:-1])
        except (OSError, ValueError):
            pass
        return None

    def _assign_seqs(self, evs: list[Event], targets: list[_DataFile]) -> list[Event]:
        """Number SEQ_AUTO events per origin, under the origin lock: never below what the
        counter or the target files' last lines say, so seq rises within every file."""
        base: dict[str, int] = {}
        out = []
        for ev in evs:
            if ev.seq != SEQ_AUTO:
                out.append(ev)
                continue
            if ev.origin not in base:
                base[ev.origin] = self._seq_base(ev.origin, targets)
            base[ev.origin] += 1
            out.append(replace(ev, seq=base[ev.origin]))
        return out

    def _seq_base(self, origin: str, targets: list[_DataFile]) -> int:
        counter = self._load_counter(origin)
        if counter is None:
            return self._max_seq(origin)  # once per workspace copy: reads every file's tail
        tails = [self._tail_event(df, None) for df in set(targets) if df.origin == origin]
        return max([counter] + [ev.seq for ev in tails if ev is not None])

    def _save_counters(self, evs: list[Event]) -> None:
        top: dict[str, int] = {}
        for ev in evs:
            top[ev.origin] = max(top.get(ev.origin, 0), ev.seq)
        for origin, seq in top.items():
            if seq <= (self._load_counter(origin) or 0):
                continue
            try:  # a cache: losing it costs one slow last_seq, so no fsync and no error
                fd = os.open(self._counter_path(origin),
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY | _O_NOFOLLOW,
                             FILE_MODE)
                try:
                    _write_fully(fd, f"seq {seq}\n".encode("ascii"))
                finally:
                    os.close(fd)
            except OSError:
                pass

    # the write transaction

    def _write_all(self, payload: dict[_DataFile, bytes]) -> None:
        """Write every file's lines and fsync them; on any OSError undo all, then raise."""
        opened: list[tuple[_DataFile, int, int, bool]] = []  # file, fd, size before, created
        current = next(iter(payload))
        try:
            for df, data in sorted(payload.items(), key=lambda kv: str(kv[0].path)):
                current = df
                created = _refuse_link(df.path)
                fd = os.open(df.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW
                             | _O_BINARY, FILE_MODE)
                opened.append((df, fd, -1, created))
                size = self._ready_for_append(df, fd, created)
                opened[-1] = (df, fd, size, created)
                _write_fully(fd, data)
            for df, fd, _size, _created in opened:
                current = df
                os.fsync(fd)  # never retried: after a failed fsync the kernel may drop the pages
            for df in {df for df, _fd, _size, created in opened if created}:
                current = df
                _fsync_dir(df.path.parent)
        except BaseException as exc:
            undo = self._roll_back(opened)
            if isinstance(exc, OSError):
                raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=_reason(exc), path=current.shown) + undo) from exc
            raise
        finally:
            for _df, fd, _size, _created in opened:
                os.close(fd)

    def _ready_for_append(self, df: _DataFile, fd: int, created: bool) -> int:
        """Check the opened file and end it with a newline; return its size before our lines."""
        if created and _POSIX:
            os.fchmod(fd, FILE_MODE)  # mode regardless of umask
        _check_regular(fd)
        size = os.fstat(fd).st_size
        if size and _read_at(fd, size - 1, 1) != b"\n":
            size = self._fence_tail(df, fd, size)
        return size

    def _fence_tail(self, df: _DataFile, fd: int, size: int) -> int:
        """Deal with a last line without newline (every writer holds the lock, so it was left by
        a crashed writer): a whole record gets its newline; a torn one is copied beside the file
        and cut off, so the next line is not glued onto it."""
        start = self._last_line_start(fd, size)
        tail = _read_at(fd, start, size - start)
        if _complete_object(tail):
            _write_fully(fd, b"\n")
            os.fsync(fd)
            return size + 1
        torn = df.path.with_name(f"{df.path.name}.torn-{_utc_stamp()}")
        tfd = os.open(torn, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY,
                      FILE_MODE)
        try:
            if _POSIX:
                os.fchmod(tfd, FILE_MODE)
            _write_fully(tfd, tail)
            os.fsync(tfd)
        finally:
            os.close(tfd)
        _fsync_dir(df.path.parent)
        os.ftruncate(fd, start)
        os.fsync(fd)
        return start

    @staticmethod
    def _last_line_start(fd: int, size: int) -> int:
        """Offset just after the last newline before ``size`` (0 if there is none)."""
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            pos = _read_at(fd, start, end - start).rfind(b"\n")
            if pos >= 0:
                return start + pos + 1
            end = start
        return 0

    @staticmethod
    def _roll_back(opened: list[tuple[_DataFile, int, int, bool]]) -> str:
        """Cut every file back to its size before this call; '' or why that failed."""
        failed = []
        for df, fd, size, created in opened:
            try:
                if size >= 0:  # else it failed before anything was written to it
                    os.ftruncate(fd, size)
                if created:
                    os.unlink(df.path)
            except OSError as e:
                failed.append(f"{df.shown}: {_reason(e)}")
                continue
            # Every reader now sees the old content. Making the cut durable is best effort: the
            # disk may be what failed, and the lines were never fsynced in the first place.
            with contextlib.suppress(OSError):
                os.fsync(fd)
        if not failed:
            return ""
        return "; could not undo the partial write (" + "; ".join(failed) + ")"

    # repair

    def repair(self) -> RepairReport:
        """Move corrupt lines, conflict markers, torn tails, misplaced events and the later copy
        of a duplicated id into ``<file>.rejected.jsonl``, rewriting each file under its lock.

        Nothing is deleted. Incomplete batches, newer-version records and warnings are left as
        they are and returned in ``left``. Raises StorageError if a file cannot be rewritten.
        """
        scan = self._scan(None)
        keep = {ev.id: ev for ev in scan.events}
        moved: list[Finding] = []
        rewritten: list[str] = []
        for df in scan.files:
            if df.shown in scan.moveable:
                done = self._repair_file(df, keep)
                moved += done
                if done:
                    rewritten.append(df.shown)
        left = [f for f in scan.problems + scan.warnings if f.line is None
                or f.line not in scan.moveable.get(f.path, {})]
        return RepairReport(moved, rewritten, left)

    def _repair_file(self, df: _DataFile, keep: dict[str, Event]) -> list[Finding]:
        from filelock import Timeout

        lock = _file_lock(str(df.path) + ".lock")
        try:
            with lock:
                data = _open_read(df.path)
                bad = self._bad_lines(df, data, keep)
                if bad:
                    lines = data.split(b"\n")
                    self._reject(df, lines, bad)
                    self._rewrite(df, [ln for i, ln in enumerate(lines, 1)
                                       if i not in bad and ln.strip()])
                return list(bad.values())
        except Timeout:
            raise StorageError(_("repair stopped: another pilkada run is writing {path}; "
                                 "try again").format(path=df.shown)) from None
        except OSError as e:
            raise StorageError(_("repair stopped: {reason} ({path}); that file was not "
                                 "changed").format(reason=_reason(e), path=df.shown)) from e

    def _bad_lines(self, df: _DataFile, data: bytes, keep: dict[str, Event]) -> dict[int, Finding]:
        """Re-judge the file as it is now, under its lock: line number -> why it must move."""
        scan = _Scan(full=False, files=[df])
        _scan_bytes(scan, 0, data)
        bad = dict(scan.moveable.get(df.shown, {}))
        for i, ev in enumerate(scan.events):
            if keep.get(ev.id, ev) != ev:  # a copy of an id whose first copy is elsewhere
                bad[scan.lines[i]] = _finding(df.shown, scan.lines[i], "duplicate-id",
                                              f"event {ev.id} differs from its first copy")
        return bad

    def _reject(self, df: _DataFile, lines: list[bytes], bad: dict[int, Finding]) -> None:
        """Append the bad lines, with where they came from, to <file>.rejected.jsonl (fsynced)."""
        moved_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        out = b""
        for lineno in sorted(bad):
            raw = lines[lineno - 1]
            entry: dict[str, object] = {"file": df.shown, "line": lineno, "kind": bad[lineno].kind,
                                        "reason": bad[lineno].message, "moved": moved_at}
            try:
                entry["raw"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                import base64

                entry["raw_b64"] = base64.b64encode(raw).decode("ascii")
            out += json.dumps(entry, ensure_ascii=True, sort_keys=True).encode("ascii") + b"\n"
        path = df.path.with_name(df.path.name + ".rejected.jsonl")
        created = not os.path.lexists(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW | _O_BINARY,
                     FILE_MODE)
        try:
            if created and _POSIX:
                os.fchmod(fd, FILE_MODE)
            _check_regular(fd)
            _write_fully(fd, out)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(path.parent)

    @staticmethod
    def _rewrite(df: _DataFile, lines: list[bytes]) -> None:
        """Replace the file by ``lines`` atomically: temp in the same folder, fsync, replace."""
        fd, tmp = tempfile.mkstemp(dir=df.path.parent, prefix=f".{df.path.name}.", suffix=".tmp")
        try:
            try:
                _write_fully(fd, b"".join(ln + b"\n" for ln in lines))
                os.fsync(fd)
                if _POSIX:
                    os.fchmod(fd, FILE_MODE)  # mkstemp makes 0o600
            finally:
                os.close(fd)
            _replace(Path(tmp), df.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(df.path.parent)


# --- origin id --------------------------------------------------------------------------------


def _host_slug() -> str:
    import socket

    name = socket.gethostname().split(".")[0].lower()
    slug = re.sub(r"[^a-z0-9-]+", "-", name).strip("-")[:20].strip("-")
    return slug or "pc"


def _read_origin(path: Path) -> str | None:
    """The origin id stored at ``path``; None if there is no file yet."""
    for _attempt in range(20):  # a concurrent first run may be writing it (non-link fallback)
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            raise StorageError(f"cannot read origin id from {path}: {e}") from e
        if text:
            break
        time.sleep(0.05)
    if not ORIGIN_RE.fullmatch(text):
        raise StorageError(f"{path} does not hold a valid origin id; delete it to create a new"
                           " one (records already written keep their old origin)")
    return text


def load_origin(state_dir: Path) -> str:
    """This machine's origin id, kept in ``state_dir/origin`` (created atomically if missing).

    Format: sanitised host name (<= 20 chars of [a-z0-9-]) + "-" + 8 random hex chars. Raises
    StorageError if it cannot be read or created.
    """
    path = Path(state_dir) / "origin"
    existing = _read_origin(path)
    if existing is not None:
        return existing
    import secrets

    origin = f"{_host_slug()}-{secrets.token_hex(4)}"
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        _publish(path, (origin + "\n").encode("ascii"))
    except OSError as e:
        raise StorageError(f"cannot create origin id file {path}: {_reason(e)}") from e
    return _read_origin(path) or origin


def _publish(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` unless it exists; readers never see it half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".origin.", suffix=".tmp")
    try:
        try:
            _write_fully(fd, data)
            os.fsync(fd)
            if _POSIX:
                os.fchmod(fd, FILE_MODE)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if another run created it first
        except FileExistsError:
            return
        except OSError:
            _exclusive_create(path, data)  # filesystems without hard links (FAT, some shares)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _exclusive_create(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, FILE_MODE)
    except FileExistsError:
        return
    try:
        _write_fully(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
