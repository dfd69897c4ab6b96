"""journal.py: durable appends, tolerant reads, verify and repair (docs/reliability.md §1.1, §4)."""

from __future__ import annotations

import errno
import itertools
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilkada_cli.base import safefile
from pilkada_cli.base.errors import InputError, StorageError
from pilkada_cli.domain.events import (
    ORIGIN_RE,
    SEQ_AUTO,
    Event,
    RecordFormatError,
    new_event_id,
    order_key,
    recorded_now,
    to_line,
)
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage import journal as journal_module
from pilkada_cli.storage.journal import Journal
from pilkada_cli.storage.origin import load_origin
from pilkada_cli.storage.verify import repair, verify
from platforms import POSIX_MODES, RELATIVE_LOOKUPS, SYMLINKS

WRITER = Path(__file__).with_name("journal_writer.py")


def ev(region: str = "16.71", item: str = "nphd-kpu", origin: str = "pc-a", **changes: Any
       ) -> Event:
    base = Event(
        id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=region, item=item,
        status="done", progress=None, note="", evidence=(), by="Rina",
        at=parse_at("2024-08-21T09:30:00+07:00"), recorded=recorded_now(),
    )
    for name, parse in (("at", parse_at), ("recorded", parse_recorded)):
        if isinstance(changes.get(name), str):
            changes[name] = parse(changes[name])
    return replace(base, **changes)


def snapshot(records: Path) -> dict[str, bytes]:
    """Every file that matters (data, torn, rejected); not locks or the local seq counters."""
    return {p.relative_to(records).as_posix(): p.read_bytes() for p in records.rglob("*")
            if p.is_file() and not p.name.endswith(".lock") and ".local" not in p.parts}


def ids_in_files(records: Path) -> Counter[str]:
    """How often each event id occurs in the raw lines of all data files."""
    counts: Counter[str] = Counter()
    for path in records.glob("*/*.jsonl"):
        for line in path.read_bytes().split(b"\n"):
            try:
                counts[json.loads(line)["id"]] += 1
            except ValueError:
                pass
    return counts


def writer(records: Path, *args: str, **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(WRITER), str(records), *args], **kw)


# --- basics -----------------------------------------------------------------------------------


def test_append_numbers_batches_and_reads_back_in_order(tmp_path: Path) -> None:
    j = Journal(tmp_path / "records")
    first = j.append([ev(at="2024-08-21T10:00:00+07:00")])
    batch = j.append([ev("16.72", at="2024-08-21T09:00:00+07:00"), ev("16.73", item="gudang")])
    assert [e.seq for e in first + batch] == [1, 2, 3]
    assert first[0].batch is None and first[0].batch_size == 1
    assert batch[0].batch == batch[1].batch and batch[0].batch and batch[0].batch_size == 2
    result = j.read()
    assert result.events == sorted(first + batch, key=order_key)
    assert result.events[0] == batch[0]  # 09:00 happened first although written later
    assert (result.warnings, result.problems) == ([], [])
    assert verify(j) == []
    assert j.last_seq("pc-a") == 3
    assert j.read(["16.72"]).events == [batch[0]]


def test_invalid_events_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    for bad in ({"status": "blocked"}, {"region": "../x"}, {"origin": "PC"},
                {"note": "\x1b[2J"}):
        with pytest.raises(RecordFormatError):  # an invalid event cannot even be built
            j.append([ev("16.72"), ev(**bad)])
    with pytest.raises(InputError, match="twice"):
        same = ev()
        j.append([same, same])
    assert not list(records.rglob("*.jsonl"))
    with pytest.raises(InputError):
        j.read(["16.71/../x"])


def test_counter_is_only_a_cache_seq_continues_from_the_files(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    for region in ("16.71", "16.72", "16.71"):
        j.append([ev(region)])
    shutil.rmtree(records / ".local")  # a fresh clone, or the cache was lost
    assert j.last_seq("pc-a") == 3
    assert j.append([ev("16.72")])[0].seq == 4
    (records / ".local" / "pc-a.seq").write_text("seq 1\n")  # stale (restored from a backup)
    assert j.append([ev("16.71")])[0].seq == 4  # still above the file's own last line: 3
    assert [f.kind for f in verify(j)] == []


def test_last_event_finds_the_newest_of_an_origin_and_person(tmp_path: Path) -> None:
    j = Journal(tmp_path / "records")
    j.append([ev("16.71", by="Rina")])
    rina = j.append([ev("16.72", by="Rina")])[0]
    j.append([ev("16.73", origin="pc-b", by="Rina")])
    budi = j.append([ev("16.71", by="Budi")])[0]
    assert j.last_event("pc-a") == budi
    assert j.last_event("pc-a", "Rina") == rina
    assert j.last_event("pc-a", "Sari") is None
    assert j.last_event("pc-z") is None


# --- concurrency and crashes ------------------------------------------------------------------


def test_eight_processes_appending_at_once_lose_and_corrupt_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    procs = [writer(records, "concurrent", "pc-multi", str(w), "200") for w in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    result = Journal(records).read()
    assert len(result.events) == 1600
    assert len({e.id for e in result.events}) == 1600
    assert (result.problems, result.warnings) == ([], [])
    assert sum(len(e.note) >= 20_000 for e in result.events) == 160
    assert sorted(e.seq for e in result.events) == list(range(1, 1601))  # one counter, no gaps
    assert verify(Journal(records)) == []


def kill(proc: subprocess.Popen[bytes]) -> list[str]:
    """SIGKILL the writer; the ids it acknowledged (complete stdout lines only)."""
    proc.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
    out = proc.communicate(timeout=30)[0]
    return [line for line in out.decode().split("\n")[:-1] if line != "mid-line"]


def test_writer_killed_at_random_moments_loses_no_acknowledged_event(tmp_path: Path) -> None:
    records = tmp_path / "records"
    # Round 0 is killed for certain in the middle of a line; the others at random moments.
    proc = writer(records, "forever", "pc-kill", "2000", "256", "pause-mid-line",
                  stdout=subprocess.PIPE)
    assert proc.stdout is not None
    acked = [proc.stdout.readline().decode().strip()]
    assert proc.stdout.readline() == b"mid-line\n"
    acked += kill(proc)
    assert [f.kind for f in verify(Journal(records))] == ["torn-tail"]
    rng = random.Random(20240821)
    for round_no in range(1, 24):
        chunk = "256" if round_no % 2 else "0"  # short writes make a kill mid-line likely
        proc = writer(records, "forever", "pc-kill", "2000", chunk, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        # Wait for the first acknowledgement, so that a slow start on a loaded machine does not
        # turn the round into a kill before any write; then kill at a random moment.
        acked.append(proc.stdout.readline().decode().strip())
        time.sleep(rng.uniform(0.15, 0.35))
        acked += kill(proc)
        findings = verify(Journal(records))
        assert {f.kind for f in findings} <= {"torn-tail"}, findings
        assert len({f.path for f in findings}) == len(findings)  # at most one per file
    assert len(acked) > 24 and all(acked)  # every round wrote before it was killed
    counts = ids_in_files(records)
    assert all(counts[i] == 1 for i in acked)
    Journal(records).append([ev(origin="pc-kill")])  # the next append fences any torn tail
    result = Journal(records).read()
    assert (result.problems, result.warnings) == ([], [])
    assert set(acked) <= {e.id for e in result.events}
    torn_files = list(records.glob("16.71/pc-kill.jsonl.torn-*"))
    assert torn_files  # at least round 0's torn line, saved aside rather than lost
    assert all(p.read_bytes() and b"\n" not in p.read_bytes() for p in torn_files)


def test_crash_between_files_hides_the_whole_batch(tmp_path: Path) -> None:
    records = tmp_path / "records"
    Journal(records).append([ev("16.71", item="before")])
    assert writer(records, "die-mid-batch", "pc-a").wait(timeout=60) == 9
    assert ids_in_files(records).total() == 2  # 16.71 got its line; 16.72/16.73 did not
    result = Journal(records).read()
    assert [e.item for e in result.events] == ["before"]
    assert [w.kind for w in result.warnings] == ["incomplete-batch"]
    assert result.problems == []
    assert len(Journal(records).read(["16.71"]).events) == 2  # a partial view cannot judge
    assert [(f.kind, f.severity) for f in verify(Journal(records))] == [
        ("incomplete-batch", "warning")]


def test_torn_last_line_at_every_offset(tmp_path: Path) -> None:
    source = Journal(tmp_path / "source" / "records")
    written = [source.append([ev(item=f"i{k}", note="catatan")])[0] for k in range(3)]
    data = (tmp_path / "source" / "records" / "16.71" / "pc-a.jsonl").read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    head, last = data[:start], data[start:]
    for k in range(len(last) + 1):
        records = tmp_path / f"cut{k}" / "records"
        (records / "16.71").mkdir(parents=True)
        (records / "16.71" / "pc-a.jsonl").write_bytes(head + last[:k])
        whole = k >= len(last) - 1  # the object is complete, at most its newline is missing
        torn = 0 < k < len(last) - 1
        result = Journal(records).read()
        assert result.events == (written if whole else written[:2]), k
        assert [w.kind for w in result.warnings] == (["torn-tail"] if torn else []), k
        assert result.problems == []
        new = Journal(records).append([ev(item="next")])[0]
        after = Journal(records).read()
        assert after.events == sorted((written if whole else written[:2]) + [new], key=order_key)
        assert (after.warnings, after.problems) == ([], []), k
        torn_files = list((records / "16.71").glob("pc-a.jsonl.torn-*"))
        assert [p.read_bytes() for p in torn_files] == ([last[:k]] if torn else []), k


def test_garbage_tail_and_crlf_lines(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    kept = [j.append([ev(item=f"i{k}")])[0] for k in range(2)]
    path = records / "16.71" / "pc-a.jsonl"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + b"\0" * 300)  # autocrlf + NULs
    result = j.read()
    assert result.events == kept and [w.kind for w in result.warnings] == ["torn-tail"]
    new = j.append([ev(item="i2")])[0]
    assert j.read().events == kept + [new] and verify(j) == []


# --- storage errors ---------------------------------------------------------------------------


def inject(mp: pytest.MonkeyPatch, name: str, err: int, at_call: int, forever: bool,
           only: str = "") -> None:
    """Make os.<name> raise OSError(err) at call ``at_call`` (and after, if ``forever``)."""
    real = getattr(os, name)
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if only and not str(args[0]).endswith(only):
            return real(*args, **kwargs)
        calls += 1
        if calls == at_call or (forever and calls >= at_call):
            if name == "open":  # like the real one, os.open names the file
                raise OSError(err, os.strerror(err), str(args[0]))
            raise OSError(err, os.strerror(err))
        return real(*args, **kwargs)

    mp.setattr(os, name, failing)


def batch_for(shape: str) -> list[Event]:
    if shape == "single":
        return [ev("16.71")]
    return [ev("16.71", item="x"), ev("16.72", item="x"), ev("16.73", item="x")]


@pytest.mark.parametrize("shape", ["single", "three-regions"])
@pytest.mark.parametrize("forever", [False, True], ids=["once", "forever"])
@pytest.mark.parametrize("op", ["write", "fsync"])
@pytest.mark.parametrize("err, reason", [(errno.ENOSPC, "no space left on device"),
                                         (errno.EIO, "disk input/output error")])
def test_io_error_at_every_call_leaves_files_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, forever: bool, op: str,
        err: int, reason: str) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev("16.71", item="old"), ev("16.71", item="older")])
    failures = 0
    for at_call in itertools.count(1):
        before, events_before = snapshot(records), j.read().events
        with monkeypatch.context() as mp:
            inject(mp, op, err, at_call, forever)
            try:
                j.append(batch_for(shape))
            except StorageError as e:
                message = str(e)
            else:
                break
        failures += 1
        assert message.startswith(f"NOT saved: {reason} (records"), message
        assert "could not undo" not in message
        assert snapshot(records) == before, at_call
        assert j.read().events == events_before
    assert failures >= (3 if shape != "single" and op == "write" else 1)
    assert len(j.read().events) == 2 + len(batch_for(shape))
    assert verify(j) == []


@pytest.mark.parametrize("failing_region", ["16.71", "16.73"])
@pytest.mark.parametrize("err, reason", [(errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only file system")])
def test_unwritable_file_is_reported_before_any_side_effect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_region: str, err: int,
        reason: str) -> None:
    # CI runs as root, where chmod-based read-only tests pass vacuously: inject at os.open
    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev("16.71", item="old")])
    before = snapshot(records)
    with monkeypatch.context() as mp:
        inject(mp, "open", err, 1, True, only=f"{failing_region}/pc-a.jsonl")
        with pytest.raises(StorageError) as e:
            j.append(batch_for("three-regions"))
    assert str(e.value) == f"NOT saved: {reason} (records/{failing_region}/pc-a.jsonl)"
    assert snapshot(records) == before


def test_lock_held_by_another_run_times_out_cleanly(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev()])
    lock = records / "16.71" / "pc-a.jsonl.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock;"
         "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); time.sleep(60)",
         str(lock)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        monkeypatch.setattr(journal_module, "LOCK_TIMEOUT", 0.3)
        before = snapshot(records)
        with pytest.raises(StorageError) as e:
            j.append([ev()])
        assert str(e.value) == ("NOT saved: another pilkada run is writing"
                                " records/16.71/pc-a.jsonl; try again")
        assert snapshot(records) == before
        assert j.read().events  # readers never wait for the writer
    finally:
        holder.kill()
        holder.wait()
    j.append([ev()])  # the OS released the dead holder's lock; no manual cleanup
    assert len(j.read().events) == 2


# --- symlinks and permissions -----------------------------------------------------------------


@SYMLINKS
def test_symlinks_in_records_are_refused(tmp_path: Path) -> None:
    records = tmp_path / "records"
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "precious.jsonl"
    target.write_bytes(to_line(replace(ev("16.72"), seq=1)))
    j = Journal(records)
    j.append([ev("16.71")])
    (records / "16.70").symlink_to(outside, target_is_directory=True)
    (records / "16.72").mkdir()
    (records / "16.72" / "pc-a.jsonl").symlink_to(target)
    with pytest.raises(StorageError, match="symbolic link"):
        j.append([ev("16.70")])
    with pytest.raises(StorageError, match=r"^NOT saved: is a symbolic link.*16\.72/pc-a"):
        j.append([ev("16.72")])
    assert sorted(p.name for p in outside.iterdir()) == ["precious.jsonl"]
    assert target.read_bytes().count(b"\n") == 1
    result = j.read()
    assert len(result.events) == 1
    assert sorted((f.kind, f.path) for f in result.problems) == [
        ("symlink", "records/16.70"), ("symlink", "records/16.72/pc-a.jsonl")]


@RELATIVE_LOOKUPS
@SYMLINKS
def test_listing_by_relative_lookups_equals_listing_by_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing looks files up relative to records/ held open where the OS allows (POSIX);
    by whole paths elsewhere (Windows). Both give the same files, signatures and findings:
    linked folders and files, strays, an unreadable folder, local files."""
    from pilkada_cli.storage import recordlist

    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev("16.71"), ev("16.72", item="b")])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jsonl").write_bytes(b"")
    (records / "16.70").symlink_to(outside, target_is_directory=True)
    (records / "16.72" / "pc-b.jsonl").symlink_to(outside / "x.jsonl")
    (records / "16.72" / "notes.txt").write_text("a stray", encoding="utf-8")
    (records / "16.73").mkdir()
    (records / "16.73" / "pc-c.jsonl.lock").write_bytes(b"")
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        if str(path).endswith("16.73"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(recordlist.os, "listdir", listdir)
    assert recordlist._AT
    relative = recordlist.list_files(records, "records", strays=True)
    monkeypatch.setattr(recordlist, "_AT", False)
    by_path = recordlist.list_files(records, "records", strays=True)
    assert relative == by_path
    files, found = relative
    assert [(f.shown, f.sig is not None) for f in files] == [
        ("records/16.71/pc-a.jsonl", True), ("records/16.72/pc-a.jsonl", True)]
    assert files[0].sig == (*(getattr(os.lstat(files[0].path), f) for f in (
        "st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")), 0)  # no device: a remount keeps it
    assert sorted((f.kind, f.path) for f in found) == [
        ("stray", "records/16.72/notes.txt"), ("symlink", "records/16.70"),
        ("symlink", "records/16.72/pc-b.jsonl"), ("unreadable", "records/16.73")]


def test_hard_linked_record_file_is_refused(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev()])
    os.link(records / "16.71" / "pc-a.jsonl", tmp_path / "elsewhere.jsonl")
    before = snapshot(records)
    with pytest.raises(StorageError, match="^NOT saved: has several hard links"):
        j.append([ev()])
    assert snapshot(records) == before


def test_unreadable_file_stops_a_read_and_is_a_finding_for_verify(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that would leave a file out stops (exit 3) naming it; verify's scan lists it."""
    records = tmp_path / "records"
    j = Journal(records)
    j.append([ev("16.71")])
    j.append([ev("16.72")])
    with monkeypatch.context() as mp:
        inject(mp, "open", errno.EACCES, 1, True, only="16.72/pc-a.jsonl")
        with pytest.raises(StorageError, match=r"^records/16\.72/pc-a\.jsonl: cannot read: "
                                               r"permission denied\. Nothing was shown"):
            j.read()
        scan = j.scan(unreadable_ok=True)
    assert [e.region for e in scan.events] == ["16.71"]
    assert [(p.kind, p.path) for p in scan.problems] == [
        ("unreadable", "records/16.72/pc-a.jsonl")]


@POSIX_MODES
@pytest.mark.parametrize("umask, file_mode, dir_mode", [
    (0o022, 0o640, 0o750), (0o002, 0o660, 0o770), (0o000, 0o660, 0o770), (0o077, 0o600, 0o700)])
def test_modes_follow_the_umask_and_never_open_to_everyone(
        tmp_path: Path, umask: int, file_mode: int, dir_mode: int) -> None:
    """The umask decides, as for any program's files (a group's 002 lets the group record),
    and others never get anything, whatever it allows: record files at most 0660, folders 0770.
    Every way a record file is made: append, a torn tail set aside, repair's rewrite and its
    rejected lines."""
    records = tmp_path / "ws" / "records"
    old = os.umask(umask)
    try:
        j = Journal(records)
        j.append([ev("16.71")])
        path = records / "16.71" / "pc-a.jsonl"
        assert stat.S_IMODE(path.stat().st_mode) == file_mode  # as created by append
        with path.open("ab") as f:
            f.write(b'{"torn')
        j.append([ev("16.71")])
        with path.open("ab") as f:
            f.write(b"junk\n")
        repair(j)
    finally:
        os.umask(old)

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert {mode(p) for p in (records, records / "16.71", records / ".local")} == {dir_mode}
    files = [path, *records.glob("16.71/*.torn-*"), *records.glob("16.71/*.rejected.jsonl")]
    # path was rewritten by repair: temp file + replace keeps the mode too
    assert len(files) == 3 and {mode(p) for p in files} == {file_mode}


# --- verify and repair ------------------------------------------------------------------------


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def test_verify_finds_each_problem_and_repair_moves_only_bad_lines(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    a = [j.append([ev("16.71", item=f"a{k}")])[0] for k in range(3)]
    b = [j.append([ev("16.71", origin="pc-b", item=f"b{k}")])[0] for k in range(3)]
    c = j.append([ev("16.72", item="c")])[0]
    j.append([ev("16.73", item="gudang", at="2024-08-21T09:00:00+07:00")])
    j.append([ev("16.73", origin="pc-b", item="gudang", status="blocked", note="dana belum cair",
                 at="2024-08-21T10:05:00+08:00")])  # 09:05 WIB: five minutes later, elsewhere
    fa, fb, fc = (records / "16.71/pc-a.jsonl", records / "16.71/pc-b.jsonl",
                  records / "16.72/pc-a.jsonl")
    la = lines(fa)
    a3 = replace(ev("16.71", item="a3"), seq=9)
    fa.write_bytes(b"\n".join([la[0], la[1], b"<<<<<<< HEAD", la[2], b"=======",
                               to_line(a3).rstrip(), b">>>>>>> origin/main"]) + b"\n")
    lb = lines(fb)
    orphan = replace(ev("16.71", origin="pc-b", item="b9"), seq=9, batch="b" * 32, batch_size=2)
    fb.write_bytes(b"\n".join([lb[0], lb[1][:40], lb[2], to_line(orphan).rstrip()]) + b"\n")
    with fc.open("ab") as f:
        f.write(to_line(replace(c, status="todo")))  # same id, same file
    with (records / "16.73/pc-a.jsonl").open("ab") as f:
        f.write(to_line(replace(c, region="16.73")))  # same id, another file (well placed)

    found = {(f.kind, f.path, f.line, f.severity) for f in verify(j)}
    assert found == {
        ("conflict-marker", "records/16.71/pc-a.jsonl", 3, "error"),
        ("conflict-marker", "records/16.71/pc-a.jsonl", 5, "error"),
        ("conflict-marker", "records/16.71/pc-a.jsonl", 7, "error"),
        ("corrupt", "records/16.71/pc-b.jsonl", 2, "error"),
        ("duplicate-id", "records/16.72/pc-a.jsonl", 2, "error"),
        ("duplicate-id", "records/16.73/pc-a.jsonl", 2, "error"),
        ("incomplete-batch", "records/16.71/pc-b.jsonl", 4, "warning"),
        ("conflict", "records/16.73/pc-b.jsonl", 1, "warning"),
    }
    dups = [f for f in verify(j) if f.kind == "duplicate-id"]
    assert all("records/16.72/pc-a.jsonl:1" in f.message for f in dups)
    good = j.read().events
    assert {e.id for e in good} == {e.id for e in [*a, a3, b[0], b[2], c]} | {
        e.id for e in j.read(["16.73"]).events}

    report = repair(j)
    assert report.moved_per_file() == {"records/16.71/pc-a.jsonl": 3,
                                       "records/16.71/pc-b.jsonl": 1,
                                       "records/16.72/pc-a.jsonl": 1,
                                       "records/16.73/pc-a.jsonl": 1}
    assert {f.kind for f in report.left} == {"incomplete-batch"}
    assert j.read().events == good
    assert [f.severity for f in verify(j)] == ["warning", "warning"]
    rejected = [json.loads(x) for x in lines(records / "16.71/pc-a.jsonl.rejected.jsonl")]
    assert [(r["line"], r["raw"]) for r in rejected] == [
        (3, "<<<<<<< HEAD"), (5, "======="), (7, ">>>>>>> origin/main")]
    assert json.loads(lines(records / "16.71/pc-b.jsonl.rejected.jsonl")[0])["raw"] == \
        lb[1][:40].decode()
    assert len(lines(fa)) == 4 and len(lines(fb)) == 3  # the orphan batch member stays
    assert repair(j).moved == []  # nothing left to do


def test_misplaced_newer_future_and_backward_seq(tmp_path: Path) -> None:
    records = tmp_path / "records"
    j = Journal(records)
    kept = j.append([ev("16.71", item="a")])[0]
    path = records / "16.71" / "pc-a.jsonl"
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(timespec="microseconds")
    newer = dict(json.loads(to_line(replace(ev(), seq=5))), v=2, colour="red")
    with path.open("ab") as f:
        f.write(to_line(replace(ev("16.72"), seq=2)))  # line 2: belongs in records/16.72
        f.write(json.dumps(newer).encode() + b"\n")  # line 3: from a newer pilkada
        f.write(to_line(replace(ev(item="b"), seq=7, recorded=parse_recorded(future))))  # line 4
        f.write(to_line(replace(ev(item="c"), seq=3)))  # line 5: seq went back
    found = [(f.kind, f.line, f.severity) for f in verify(j)]
    assert found == [("misplaced", 2, "error"), ("newer-version", 3, "error"),
                     ("future", 4, "warning"), ("seq", 5, "warning")]
    result = j.read()
    # same `at`; b sorts last because its (wrong) recorded time is in the future
    assert [e.item for e in result.events] == ["a", "c", "b"] and result.events[0] == kept
    assert [p.kind for p in result.problems] == ["misplaced", "newer-version"]
    report = repair(j)
    assert [f.kind for f in report.moved] == ["misplaced"]
    assert "newer-version" in {f.kind for f in report.left}
    assert [f.kind for f in verify(j)] == ["newer-version", "future", "seq"]


def test_two_offices_exchanging_files_end_with_identical_events(tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "a" / "records", tmp_path / "b" / "records"
    office_a, office_b = Journal(a_dir), Journal(b_dir)
    rng = random.Random(7)
    for k in range(40):
        office, origin = (office_a, "kab-a") if k % 2 else (office_b, "prov-b")
        regions = rng.sample(["16", "16.71", "16.72", "16.71.01"], rng.randint(1, 2))
        minute = rng.randint(0, 59)
        office.append([ev(r, item=f"i{rng.randint(0, 5)}", origin=origin,
                          at=f"2024-08-{rng.randint(1, 28):02d}T{rng.randint(8, 16):02d}:"
                             f"{minute:02d}:00+0{rng.choice([7, 8])}:00") for r in regions])
    local_only = shutil.ignore_patterns("*.lock", ".local", "*.torn-*")
    shutil.copytree(a_dir, b_dir, dirs_exist_ok=True, ignore=local_only)  # b pulls from a
    shutil.copytree(b_dir, a_dir, dirs_exist_ok=True, ignore=local_only)  # a pulls from b
    read_a, read_b = office_a.read(), office_b.read()
    assert read_a.events == read_b.events
    assert len(read_a.events) == len({e.id for e in read_a.events}) > 40
    assert {e.origin for e in read_a.events} == {"kab-a", "prov-b"}
    assert (read_a.problems, read_a.warnings) == ([], [])
    shutil.copytree(a_dir, b_dir, dirs_exist_ok=True, ignore=local_only)  # again: a no-op
    assert office_b.read().events == read_a.events


timestamps = st.builds(
    lambda s, us, h: (datetime(2024, 8, 21, tzinfo=timezone.utc) + timedelta(seconds=s,
                      microseconds=us)).astimezone(timezone(timedelta(hours=h))),
    st.integers(0, 5), st.sampled_from([0, 1, 999_999]), st.sampled_from([-3, 0, 7, 8, 9]))


@settings(deadline=None)
@given(st.lists(st.tuples(timestamps, timestamps, st.booleans()), min_size=2, max_size=8))
def test_reader_sort_key_is_the_documented_order(
        triples: list[tuple[datetime, datetime, bool]]) -> None:
    events = [ev(at=at.replace(microsecond=0).isoformat(timespec="seconds"),
                 recorded=rec.astimezone(timezone.utc).isoformat(
                     timespec="seconds" if short and not rec.microsecond else "microseconds"))
              for at, rec, short in triples]  # 12:00:00+00:00 and 12:00:00.000000+00:00 tie
    # order_key compares microseconds; the documented order, computed from datetimes
    assert sorted(events, key=order_key) == sorted(
        events, key=lambda e: (e.at.datetime, e.recorded.datetime, e.id))


# --- origin id --------------------------------------------------------------------------------


def test_load_origin_is_created_once_and_stays(tmp_path: Path) -> None:
    state = tmp_path / "state"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(load_origin(state)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    origin = results[0]
    assert ORIGIN_RE.fullmatch(origin) and len(origin.rsplit("-", 1)[1]) == 8
    assert len(origin.rsplit("-", 1)[0]) <= 20
    assert load_origin(state) == origin == (state / "origin").read_text().strip()
    assert [p.name for p in state.iterdir()] == ["origin"]  # no temp files left
    (state / "origin").write_text("../../etc\n")
    with pytest.raises(StorageError, match="not hold a valid origin id"):
        load_origin(state)


def test_a_temporary_file_is_new_private_and_never_an_existing_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """safefile.temporary (what replace_atomic and publish write to): a new file beside the
    target, named .<name>.<random>.tmp (what the listing skips as local), 0600 on POSIX; a
    name that exists is never opened again but another one is drawn; a link is never followed."""
    target = tmp_path / "fold.pkl"
    draws = iter([b"\x01" * 6, b"\x01" * 6, b"\x02" * 6])
    monkeypatch.setattr(safefile.os, "urandom", lambda n: next(draws))
    fd, first = safefile.temporary(target)
    os.close(fd)
    fd, second = safefile.temporary(target)  # the same draw first: it exists, so another
    os.close(fd)
    assert (Path(first).name, Path(second).name) == (".fold.pkl.010101010101.tmp",
                                                     ".fold.pkl.020202020202.tmp")
    assert Path(first).parent == Path(second).parent == tmp_path
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    if os.name == "posix":  # a planted link at the drawn name: not followed, another drawn
        outside = tmp_path / "outside"
        (tmp_path / ".fold.pkl.040404040404.tmp").symlink_to(outside)
        draws = iter([b"\x04" * 6, b"\x05" * 6])
        fd, third = safefile.temporary(target)
        os.close(fd)
        assert Path(third).name == ".fold.pkl.050505050505.tmp" and not outside.exists()
    monkeypatch.setattr(safefile.os, "urandom", lambda n: b"\x03" * 6)
    with pytest.raises(FileExistsError):  # every draw taken: an error, never a reuse
        for _ in range(2):
            os.close(safefile.temporary(target)[0])
