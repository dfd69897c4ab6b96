"""``pilkada verify`` and ``verify --repair``: every finding about the record files, and moving
the lines that can never count aside, through the same reader as every other read
(recordfile.py) and the journal's locks.

``repair`` deletes nothing: each bad line goes, with where it came from and why, into
``<file>.rejected.jsonl`` (fsynced) before the file is rewritten without it (temporary file,
fsync, replace: safefile.replace_atomic), all under the file's lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

from pilkada_cli.base.errors import StorageError
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import FILE_MODE, append_durably, replace_atomic
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.instant import micros
from pilkada_cli.domain.offices import Office
from pilkada_cli.domain.readiness import AsOf
from pilkada_cli.domain.trust import Own
from pilkada_cli.storage.conflicts import judge
from pilkada_cli.storage.journal import Journal, file_lock, reason
from pilkada_cli.storage.recordfile import (
    MOVEABLE_KINDS,
    Finding,
    RecordFile,
    Scan,
    finding,
    oversized,
    parse_bytes,
    read_record,
)

FUTURE_SLACK = timedelta(minutes=5)
# Runs on one machine stamp ``recorded`` before they wait for the lock that assigns seq, so a
# run that waited can carry an earlier time than the one before it: up to the lock timeout.
CLOCK_SLACK = timedelta(minutes=5)
_CLOCK_SLACK_US = CLOCK_SLACK // timedelta(microseconds=1)


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


def verify(journal: Journal, as_of: AsOf | None = None, names: Mapping[str, str] | None = None,
           ownership: tuple[Sequence[Office], Own] | None = None) -> list[Finding]:
    """Every finding about every record file, ordered by path and line; conflicts as
    ``status`` at ``as_of`` (default now) shows them, their sides named by ``names`` (origin ->
    name shown); with ``ownership`` (the offices list and this copy), claims, seen files and
    records that break the rules of trust.py (they came before those rules, or by a copied
    folder or a git pull). A file above the size limit is a finding, and not read."""
    scan = _scan(journal, strays=True)
    found = scan.problems + scan.warnings
    found += _check_sequences(scan, datetime.now(timezone.utc))
    found += _check_clocks(scan)
    found += _check_conflicts(journal, scan, as_of or AsOf.now(), names)
    if ownership is not None:
        found += _check_provenance(journal.root, scan, *ownership)
    return sorted(found, key=lambda f: (f.path, f.line or 0, f.kind))


def _check_provenance(records: Path, scan: Scan, offices: Sequence[Office], own: Own
                      ) -> list[Finding]:
    """trust.audit on what is on disk: one warning per file that breaks an ownership rule."""
    import os

    from pilkada_cli.domain.trust import audit
    from pilkada_cli.storage import claimfiles, conflicts

    regions: dict[str, set[str]] = {}
    for ev in scan.events:
        regions.setdefault(ev.origin, set()).add(ev.region)
    try:
        names = os.listdir(records / conflicts.FOLDER)  # noqa: PTH208 (names only)
    except OSError:
        names = []
    seen = {n[:-len(conflicts.SUFFIX)] for n in names if n.endswith(conflicts.SUFFIX)}
    return [Finding(f"{records.name}/{path}", None, "provenance", message, "warning")
            for path, message in audit(claimfiles.load(records), offices, own, regions, seen)]


def _scan(journal: Journal, strays: bool = False) -> Scan:
    """``journal.scan`` of every file within the size limit; each file above it a finding."""
    files, listed = journal.snapshot(strays=strays)
    files, big = oversized(files)
    return journal.scan(strays=strays, listing=(files, listed + big), unreadable_ok=True)


def _check_sequences(scan: Scan, now: datetime) -> list[Finding]:
    """seq going backwards within one file, and ``recorded`` too far in the future."""
    found: list[Finding] = []
    limit = micros(now + FUTURE_SLACK)
    prev: dict[int, int] = {}
    for i, ev in enumerate(scan.events):
        fi = scan.file_of[i]
        shown = scan.files[fi].file.shown
        if ev.seq <= prev.get(fi, 0):
            found.append(finding(shown, scan.lines[i], "seq", _(
                "seq {seq} after seq {previous} in the same file; the writing machine's counter"
                " or clock was reset").format(seq=ev.seq, previous=prev[fi])))
        prev[fi] = max(ev.seq, prev.get(fi, 0))
        if ev.recorded.us > limit:
            found.append(finding(shown, scan.lines[i], "future", _(
                "recorded {recorded} is in the future; the writing machine's clock is wrong")
                .format(recorded=ev.recorded.text)))
    return found


def _check_clocks(scan: Scan) -> list[Finding]:
    """``recorded`` going backwards along one machine's seq: its clock was set back, so the
    order of its changes (which ``recorded`` breaks ties with) may be wrong. One finding per
    jump back, at the event after it."""
    by_origin: dict[str, list[int]] = {}
    for i, ev in enumerate(scan.events):
        by_origin.setdefault(ev.origin, []).append(i)
    found: list[Finding] = []
    events = scan.events
    for members in by_origin.values():
        members.sort(key=lambda i: events[i].seq)
        for prev, i in pairwise(members):
            a, b = events[prev], events[i]
            if b.recorded.us >= a.recorded.us:
                continue  # the usual case
            if a.recorded.us - b.recorded.us <= _CLOCK_SLACK_US:
                continue  # two runs took the lock in the other order than they read the clock
            found.append(finding(
                scan.files[scan.file_of[i]].file.shown, scan.lines[i], "clock", _(
                    "recorded {recorded}, before seq {seq} of the same machine (recorded "
                    "{previous} at {place}): its clock went backwards; the order of its changes "
                    "may be wrong").format(recorded=b.recorded.text, seq=a.seq,
                                           previous=a.recorded.text, place=scan.place(prev))))
    return found


def _check_conflicts(journal: Journal, scan: Scan, as_of: AsOf,
                     names: Mapping[str, str] | None) -> list[Finding]:
    """The conflicts ``status`` shows, by the same rule (conflicts.py: the latest records of a
    pair from two origins disagree and neither had seen the other's): one warning per pair, at
    the latest side's line, naming the other sides' lines."""
    where: dict[str, int] = {}
    for i, ev in enumerate(scan.events):
        if ev.batch not in scan.incomplete:  # as Journal.read, which status reads through
            where.setdefault(ev.id, i)
    found = judge([scan.events[i] for i in where.values()], journal.root, as_of, names)
    out: list[Finding] = []
    for (region, item), c in sorted(found.items()):
        at = [where[ev.id] for ev in c.sides]  # latest first: the finding is at the first
        sides = [_("{value} by {by} ({office})").format(
            value=_value(c.sides[0]), by=c.sides[0].by, office=c.offices[0])]
        sides += [_("{value} by {by} ({office}, {place})").format(
            value=_value(ev), by=ev.by, office=office, place=scan.place(i))
            for ev, office, i in zip(c.sides[1:], c.offices[1:], at[1:], strict=True)]
        out.append(finding(
            scan.files[scan.file_of[at[0]]].file.shown, scan.lines[at[0]], "conflict", _(
                "{region} {item}: {sides}, recorded without seeing each other; record a "
                "decision").format(region=region, item=item, sides=_(" vs ").join(sides))))
    return out


def _value(ev: Event) -> str:
    """The status as stored (a file-level finding names the values in the file)."""
    return ev.status if ev.progress is None else f"{ev.status} {ev.progress}%"


# --- repair -------------------------------------------------------------------------------------


def repair(journal: Journal) -> RepairReport:
    """Move corrupt lines, conflict markers, torn tails, misplaced events and the later copy
    of a duplicated id into ``<file>.rejected.jsonl``, rewriting each file under its lock.

    Nothing is deleted. Incomplete batches, newer-version records and warnings are left as
    they are and returned in ``left``. Raises StorageError if a file cannot be rewritten.
    """
    scan = _scan(journal)
    moveable = scan.moveable()
    keep = {ev.id: ev for ev in scan.events}
    moved: list[Finding] = []
    rewritten: list[str] = []
    for p in scan.files:
        if p.file.shown in moveable:
            done = _repair_file(p.file, keep)
            moved += done
            if done:
                rewritten.append(p.file.shown)
    left = [f for f in scan.problems + scan.warnings if f.line is None
            or f.line not in moveable.get(f.path, {})]
    return RepairReport(moved, rewritten, left)


def _repair_file(df: RecordFile, keep: dict[str, Event]) -> list[Finding]:
    from filelock import Timeout

    lock = file_lock(df.path + ".lock")
    try:
        with lock:
            data, _st = read_record(df)
            bad = _bad_lines(df, data, keep)
            if bad:
                lines = data.split(b"\n")
                _reject(df, lines, bad)
                replace_atomic(Path(df.path), b"".join(ln + b"\n" for i, ln in enumerate(lines, 1)
                                                 if i not in bad and ln.strip()),
                               mode=FILE_MODE)
            return list(bad.values())
    except Timeout:
        raise StorageError(_("repair stopped: another pilkada run is writing {path}; "
                             "try again").format(path=df.shown)) from None
    except OSError as e:
        raise StorageError(_("repair stopped: {reason} ({path}); that file was not "
                             "changed").format(reason=reason(e), path=df.shown)) from e


def _bad_lines(df: RecordFile, data: bytes, keep: dict[str, Event]) -> dict[int, Finding]:
    """Re-judge the file as it is now, under its lock: line number -> why it must move."""
    p = parse_bytes(df, data)
    bad = {f.line: f for f in p.findings if f.kind in MOVEABLE_KINDS and f.line is not None}
    for ev, lineno in zip(p.events, p.lines, strict=True):
        if keep.get(ev.id, ev) != ev:  # a copy of an id whose first copy is elsewhere
            bad[lineno] = finding(df.shown, lineno, "duplicate-id", _(
                "event {id} differs from its first copy").format(id=ev.id))
    return bad


def _reject(df: RecordFile, lines: list[bytes], bad: dict[int, Finding]) -> None:
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
    append_durably(Path(df.path + ".rejected.jsonl"), out)
