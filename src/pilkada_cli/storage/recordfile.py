"""The one record reader: what a record file is, how one file is parsed, and the rules that
apply across files. Every read of records goes through here: ``Journal.read`` (the plain read),
the derived cache's read (cache/), ``verify`` and ``repair``; how the files are listed is
recordlist.py's.

- ``RecordFile``: one data file, with its signature (``Sig``) when listed.
- ``parse_bytes`` / ``parse_file``: ONE file's lines as typed events (``events.Event``) and
  findings, with the per-file rules: a torn last line, corrupt lines, git conflict markers,
  lines of a newer pilkada, events that belong in another file, an id seen earlier in the file.
- ``merge``: the rules across files, in path order: the first copy of an id counts (an
  identical copy is harmless, a different one is a finding), and a batch counts only when all
  its events are present (``incomplete_batches``, also used by the cache's columns).

Pure apart from reading files: nothing here writes, locks or prints.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple

from pilkada_cli.base.errors import StorageError, os_reason
from pilkada_cli.base.i18n import _, format_number
from pilkada_cli.base.safefile import Refused, TooLarge, read_regular
from pilkada_cli.domain.events import (
    LINE_MAX_BYTES,
    Event,
    NewerVersionError,
    RecordFormatError,
    line_too_long,
    parse_line,
)

FILE_RE = re.compile(r"([a-z0-9][a-z0-9-]{0,47})\.jsonl", re.ASCII)
_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
_WARNING_KINDS = frozenset(
    {"torn-tail", "conflict", "incomplete-batch", "future", "seq", "clock", "stray"}
)
# What `repair` may move aside into <file>.rejected.jsonl: lines that can never count.
MOVEABLE_KINDS = frozenset({"torn-tail", "corrupt", "conflict-marker", "misplaced",
                            "duplicate-id", "oversized"})
# The largest record file pilkada reads (docs/reliability.md, "Size"). A file holds one region's
# events from one office: ~150 items with a few dozen changes each over a whole cycle is ~4,500
# events, ~1.5 MB of the usual ~330-byte lines (~20 MB even if every event carried a full 4 KB
# note). A file past 64 MB (~200,000 usual events, 40 times that) was not made by recording,
# and reading it would cost every command about five times its size in memory (a 2 GB file:
# 12 GB, and a crash). So it is refused unread: every reading command stops with exit 3 naming
# the file, its size and this limit, and `verify` reports it with what to do. Read at call
# time (tests lower it).
FILE_MAX_BYTES = 64 << 20
_MAX_CHARS = LINE_MAX_BYTES // 4  # a shorter line cannot be too long: UTF-8 has 1-4 bytes each
_ID = attrgetter("id")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in the record files, located by file and (where it applies) line."""

    path: str  # e.g. "records/16.71/pc-a1b2c3d4.jsonl" (forward slashes on every OS)
    line: int | None  # 1-based; None when not about one line
    kind: str  # torn-tail corrupt conflict-marker duplicate-id misplaced incomplete-batch
    # future seq clock conflict newer-version oversized symlink unreadable stray too-large
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def finding(path: str, line: int | None, kind: str, message: str) -> Finding:
    """A Finding with the severity its kind has."""
    return Finding(path, line, kind, message, "warning" if kind in _WARNING_KINDS else "error")


# size, mtime_ns, ctime_ns, inode, content: 0, or (cache/listing.py ``with_content``, where
# times cannot be trusted) the content's digest below zero, with the times and inode left out
Sig = tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Sig:
    """What changes whenever a file's content may have: appends grow it, ``repair`` replaces
    it (new inode), any write moves its ctime (which no tool can set back). Not the device
    number: a drive plugged into another slot, or a workspace moved, keeps its files (an inode
    with the same ctime to the nanosecond on another device is a block copy of the file)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, 0)


class RecordFile(NamedTuple):
    """One data file: whose it is, where it is, how users see it, its signature when listed."""

    region: str
    origin: str
    path: str  # where it is (a string: tens of thousands are listed on every run)
    shown: str  # records/<region>/<origin>.jsonl (forward slashes on every OS)
    sig: Sig | None = None  # None: not stat'ed, or could not be (the read will say why)


def read_reason(exc: OSError) -> str:
    return str(exc) if isinstance(exc, Refused) else os_reason(exc)


def size_text(size: int) -> str:
    """A number of bytes as people read it: ``2.0 GB``, ``64 MB``, ``900 bytes``."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{format_number(value, 0 if value == int(value) else 1)} {unit}"
    return _("{n} bytes").format(n=size)


def too_large(shown: str, size: int) -> str:
    """Why a record file of ``size`` bytes is not read (every reading command's error)."""
    return _("{path} is {size}, more than the {limit} one record file may have; it was not "
             "read, and nothing was changed. `pilkada verify` says what to do.").format(
        path=shown, size=size_text(size), limit=size_text(FILE_MAX_BYTES))


def read_record(file: RecordFile) -> tuple[bytes, os.stat_result]:
    """A record file's bytes and the ``fstat`` of what was read (``safefile.read_regular``),
    never more than FILE_MAX_BYTES: a larger file is refused unread with StorageError (exit 3),
    whichever command reads it."""
    try:
        return read_regular(file.path, limit=FILE_MAX_BYTES)
    except TooLarge as e:
        raise StorageError(too_large(file.shown, e.size)) from None


def refuse_too_large(files: Sequence[RecordFile]) -> None:
    """StorageError for the first of ``files`` the listing found above FILE_MAX_BYTES: a
    reading command stops on it even where the derived cache would not read the file again."""
    for f in files:
        if f.sig is not None and f.sig[0] > FILE_MAX_BYTES:
            raise StorageError(too_large(f.shown, f.sig[0]))


def oversized(files: Sequence[RecordFile]) -> tuple[list[RecordFile], list[Finding]]:
    """``files`` without those the listing found larger than FILE_MAX_BYTES, and a finding
    for each of those (``verify`` and ``repair``, which report rather than stop)."""
    keep: list[RecordFile] = []
    found: list[Finding] = []
    for f in files:
        if f.sig is None or f.sig[0] <= FILE_MAX_BYTES:
            keep.append(f)
            continue
        found.append(finding(f.shown, None, "too-large", _(
            "{size}, more than the {limit} one record file may have: no command reads it (each "
            "stops with exit 3). A region's records from one office over a whole cycle take a "
            "few MB, so this file was not made by recording. Move it out of the records folder "
            "(keep it: it may be evidence) and ask the office that wrote it; its events count "
            "again only in a file within the limit. --repair leaves it as it is").format(
            size=size_text(f.sig[0]), limit=size_text(FILE_MAX_BYTES))))
    return keep, found


# --- one file -----------------------------------------------------------------------------------


class FileParse:
    """What one record file holds on its own: its good events in line order (unique by id, all
    of its region and origin) with their line numbers, and what is wrong in it, by line.
    Whether an event counts also depends on the other files (``merge``)."""

    __slots__ = ("file", "events", "lines", "findings")

    def __init__(self, file: RecordFile, events: list[Event], lines: array[int],
                 findings: list[Finding]) -> None:
        self.file = file
        self.events = events
        self.lines = lines  # "q": the line of events[i]
        self.findings = findings


def parse_file(file: RecordFile, memo: dict[str, str] | None = None) -> FileParse:
    """Read and parse one file (never through a link). An unreadable file is a finding; one
    above FILE_MAX_BYTES is refused (StorageError)."""
    try:
        data, st = read_record(file)
    except OSError as e:
        return unreadable(file, e)
    return parse_bytes(file._replace(sig=signature(st)), data, memo)


def refuse_unreadable(found: Iterable[Finding]) -> None:
    """Stop a reading command (StorageError, exit 3) when a record file or a region folder
    could not be read, naming each: what it holds would be missing from whatever is shown (a
    region as NO REPORT, an export without its events). ``verify`` reports them instead."""
    bad = [str(f) for f in found if f.kind == "unreadable"]
    if bad:
        raise StorageError(_("{places}. Nothing was shown, written or changed: what cannot be "
                             "read would be missing from it. Check the file's owner and "
                             "permissions (or the disk); `pilkada verify` lists every record "
                             "file it cannot read.").format(places="; ".join(bad)))


def refuse_unread(files: Sequence[RecordFile]) -> None:
    """Stop (StorageError naming each, recordfile.refuse_unreadable) when ``files``, whose
    columns say they could not be read, still cannot: read again for the reason, which the
    columns do not keep. One readable by now changed meanwhile: this run stops all the same."""
    found: list[Finding] = []
    for f in files:
        try:
            read_record(f)
        except OSError as e:
            found += unreadable(f, e).findings
        else:
            found.append(Finding(f.shown, None, "unreadable", _(
                "could not be read a moment ago; run the command again")))
    refuse_unreadable(found)


def unreadable(file: RecordFile, exc: OSError) -> FileParse:
    """The parse of a file that could not be read: one finding, no events."""
    return FileParse(file._replace(sig=None), [], array("q"), [
        finding(file.shown, None, "unreadable",
                _("cannot read: {reason}").format(reason=read_reason(exc)))])


def parse_bytes(file: RecordFile, data: bytes, memo: dict[str, str] | None = None
                ) -> FileParse:
    """The one parse of a record file's bytes. With ``memo``, equal strings of different events
    become one object (events.parse_line)."""
    findings: list[Finding] = []
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = _decode_lines(file, data, findings)
    region, origin, shown = file.region, file.origin, file.shown
    events: list[Event] = []
    line_of = array("q")
    seen: dict[str, int] = {}
    last = len(lines)
    for lineno, line in enumerate(lines, 1):  # the hot loop of reading: keep it lean
        if line and line[-1] == "\r":  # git autocrlf on Windows
            line = line[:-1]
        if not line:
            continue
        if len(line) > _MAX_CHARS and len(line.encode("utf-8", "replace")) > LINE_MAX_BYTES:
            findings.append(finding(shown, lineno, "oversized", line_too_long(
                len(line.encode("utf-8", "replace")))))
            continue
        try:
            ev = parse_line(line, memo)
        except (ValueError, RecursionError) as exc:
            _unparsable(findings, shown, lineno, line, exc, lineno == last)
            continue
        if ev.region != region or ev.origin != origin:
            findings.append(finding(shown, lineno, "misplaced", _(
                "event of region {region} by origin {origin} does not belong in this file")
                .format(region=ev.region, origin=ev.origin)))
            continue
        first = seen.get(ev.id)
        if first is not None:
            if events[first] != ev:  # identical copies are harmless (a re-import): keep one
                findings.append(_duplicate(shown, lineno, ev, f"{shown}:{line_of[first]}"))
            continue
        seen[ev.id] = len(events)
        events.append(ev)
        line_of.append(lineno)
    if len(findings) > 1:
        findings.sort(key=_by_line)
    return FileParse(file, events, line_of, findings)


def _by_line(f: Finding) -> int:
    return f.line or 0


def _duplicate(shown: str, lineno: int, ev: Event, first_at: str) -> Finding:
    return finding(shown, lineno, "duplicate-id", _(
        "event {id} also at {place} with different content; the first one counts").format(
        id=ev.id, place=first_at))


def _decode_lines(file: RecordFile, data: bytes, findings: list[Finding]) -> list[str]:
    """Slow path for a file that is not valid UTF-8: the lines that are not become findings
    (and empty lines, which the parse skips)."""
    raw_lines = data.split(b"\n")
    lines: list[str] = []
    for lineno, raw in enumerate(raw_lines, 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append("")
            torn = lineno == len(raw_lines) and not complete_object(raw)
            kind, msg = ("torn-tail", _("last line is incomplete; ignored")) if torn else (
                "corrupt", _("corrupt record: not valid UTF-8"))
            findings.append(finding(file.shown, lineno, kind, msg))
    return lines


def _unparsable(findings: list[Finding], shown: str, lineno: int, line: str, exc: Exception,
                last: bool) -> None:
    if last and not complete_object(line.encode("utf-8", "replace")):
        findings.append(finding(shown, lineno, "torn-tail", _(
            "last line is incomplete (an interrupted or ongoing write); ignored")))
    elif line.startswith(_MARKERS):
        findings.append(finding(shown, lineno, "conflict-marker",
                                _("git conflict marker; remove it (pilkada verify --repair)")))
    elif isinstance(exc, NewerVersionError):
        findings.append(finding(shown, lineno, "newer-version", str(exc)))
    elif line.strip():  # a blank line is skipped by design
        reason = str(exc) if isinstance(exc, RecordFormatError) else json_reason(exc)
        findings.append(finding(shown, lineno, "corrupt",
                                _("corrupt record: {reason}").format(reason=reason)))


def json_reason(exc: Exception) -> str:
    """Why a line is not JSON, in the run's language (the json module's words are English)."""
    if not isinstance(exc, json.JSONDecodeError):
        return _("not valid JSON ({error})").format(error=exc)
    words = {
        "Expecting value": _("a value is missing"),
        "Expecting ',' delimiter": _("a ',' is missing"),
        "Expecting ':' delimiter": _("a ':' is missing"),
        "Expecting property name enclosed in double quotes": _("a key in double quotes is "
                                                               "missing"),
        "Unterminated string starting at": _("a text is not closed"),
        "Invalid control character at": _("a control character inside a text"),
        "Invalid \\escape": _("an invalid escape (\\) inside a text"),
        "Invalid \\uXXXX escape": _("an invalid escape (\\u) inside a text"),
        "Extra data": _("more text after the record"),
        "Illegal trailing comma before end of object": _("a ',' before the closing '}'"),
        "Illegal trailing comma before end of array": _("a ',' before the closing ']'"),
    }
    return _("not valid JSON: {error} at column {column}").format(
        error=words.get(exc.msg, exc.msg), column=exc.colno)


def complete_object(segment: bytes) -> bool:
    """True if an unterminated last segment is a whole JSON object (only its newline is missing).

    A proper prefix of ``{...}`` is never valid JSON, so this tells a finished record from one
    cut short by a crash.
    """
    try:
        return isinstance(json.loads(segment.rstrip(b"\r")), dict)
    except (ValueError, RecursionError):
        return False


# --- across files -------------------------------------------------------------------------------


def incomplete_batches(tallies: Iterable[tuple[str, int, int]]) -> set[str]:
    """The batches with fewer events present than their size: from (batch id, events of it
    present, largest size named) triples, in any grouping (per event, per file)."""
    have: dict[str, int] = {}
    need: dict[str, int] = {}
    for name, count, size in tallies:
        have[name] = have.get(name, 0) + count
        if size > need.get(name, 0):
            need[name] = size
    return {b for b, n in need.items() if have[b] < n}


@dataclass
class Scan:
    """Everything learned from reading a set of record files."""

    full: bool  # all regions were read: batch completeness can be judged
    files: list[FileParse]
    events: list[Event] = field(default_factory=list)  # unique by id, in file/line order
    lines: array[int] = field(default_factory=lambda: array("q"))  # line of events[i]
    file_of: array[int] = field(default_factory=lambda: array("q"))  # files index of events[i]
    warnings: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    incomplete: set[str] = field(default_factory=set)  # batch ids

    def place(self, i: int) -> str:
        """Where events[i] is, as ``records/<region>/<origin>.jsonl:<line>``."""
        return f"{self.files[self.file_of[i]].file.shown}:{self.lines[i]}"

    def report(self, f: Finding) -> None:
        (self.warnings if f.severity == "warning" else self.problems).append(f)

    def moveable(self) -> dict[str, dict[int, Finding]]:
        """The findings ``repair`` moves aside: path -> line -> why."""
        out: dict[str, dict[int, Finding]] = {}
        for f in self.problems + self.warnings:
            if f.kind in MOVEABLE_KINDS and f.line is not None:
                out.setdefault(f.path, {})[f.line] = f
        return out


def merge(files: Sequence[FileParse], listing: Sequence[Finding], full: bool) -> Scan:
    """The rules across files (``files`` in path order): the first copy of an id counts; with
    ``full`` (every region read), events of a batch not complete across all files are marked
    ``incomplete`` and reported. Findings: per file in line order, then the listing's, then the
    incomplete batches'."""
    scan = Scan(full=full, files=list(files))
    seen: dict[str, int] = {}  # id -> index of the file of its first copy
    events, lines, file_of = scan.events, scan.lines, scan.file_of
    for fi, p in enumerate(files):
        ids = list(map(_ID, p.events))
        if seen.keys().isdisjoint(ids):  # the usual case: every id new
            seen.update(zip(ids, repeat(fi)))
            events += p.events
            lines += p.lines
            file_of += array("q", [fi]) * len(ids)
            for f in p.findings:
                scan.report(f)
            continue
        for f in _merge_file(scan, fi, p, seen):
            scan.report(f)
    for f in listing:
        scan.report(f)
    if full:
        _judge_batches(scan)
    return scan


def _merge_file(scan: Scan, fi: int, p: FileParse, seen: dict[str, int]) -> list[Finding]:
    """One file with ids seen in earlier files: those copies are left out (a finding when they
    differ). Returns the file's findings in line order."""
    found = list(p.findings)
    where: dict[int, dict[str, int]] = {}  # file index -> id -> position (built when needed)
    for ev, lineno in zip(p.events, p.lines, strict=True):
        fj = seen.setdefault(ev.id, fi)
        if fj == fi:
            scan.events.append(ev)
            scan.lines.append(lineno)
            scan.file_of.append(fi)
            continue
        other = scan.files[fj]
        if fj not in where:
            where[fj] = {e.id: k for k, e in enumerate(other.events)}
        k = where[fj][ev.id]
        if other.events[k] != ev:
            found.append(_duplicate(p.file.shown, lineno, ev,
                                    f"{other.file.shown}:{other.lines[k]}"))
    found.sort(key=_by_line)
    return found


def _judge_batches(scan: Scan) -> None:
    """Mark and report every batch with fewer events present than its size (a crash
    mid-append, or not all files copied)."""
    tallies = [(ev.batch, 1, ev.batch_size) for ev in scan.events if ev.batch is not None]
    if not tallies:
        return
    scan.incomplete = incomplete_batches(tallies)
    if not scan.incomplete:
        return
    have: dict[str, int] = {}
    need: dict[str, int] = {}
    for name, _one, size in tallies:
        have[name] = have.get(name, 0) + 1
        need[name] = max(need.get(name, 0), size)
    for i, ev in enumerate(scan.events):
        if ev.batch in scan.incomplete:
            scan.report(finding(
                scan.files[scan.file_of[i]].file.shown, scan.lines[i], "incomplete-batch", _(
                    "event {id} belongs to batch {batch} of {size} events of which only {n} are"
                    " present; the batch is ignored (a write in progress or interrupted, or not"
                    " all files were copied)").format(id=ev.id, batch=ev.batch,
                                                      size=need[ev.batch], n=have[ev.batch])))
