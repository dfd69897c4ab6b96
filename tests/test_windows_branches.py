"""Issue 29 point 3: every Windows-specific branch of the code, run on Linux by injection (the
module flags the code reads, ``os`` functions that fail as Windows' do, fake stat results), so
that a branch nobody's CI runs natively is still proven: the replace retried while Excel holds
a file and the message when it never lets go, no O_NOFOLLOW, junctions and OneDrive files, no
folder fsync or chmod, the browser in Program Files, the console code page, the cache's Linux
only paths (mmap, worker processes) and the lock that is never a soft one.

What needs a real Windows (msvcrt's lock, NTFS itself) is what ``tools/windows_smoke.py``
checks on an office PC."""

from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import RunCli
from pilkada_cli import entry
from pilkada_cli.base import safefile
from pilkada_cli.domain import keys
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id, recorded_now
from pilkada_cli.domain.instant import parse_at
from pilkada_cli.report import pdf
from pilkada_cli.storage import journal, recordlist
from pilkada_cli.storage import reportfiles as output
from pilkada_cli.storage.cache import columns, entries, listing
from pilkada_cli.storage.journal import Journal

REAL_REPLACE = os.replace


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The platform as the code sees it: Windows (no POSIX modes, no folder fsync, no
    O_NOFOLLOW, no relative lookups)."""
    for module, name in ((safefile, "POSIX"), (recordlist, "POSIX"),
                         (output, "POSIX"), (keys, "_POSIX"), (recordlist, "_AT")):
        monkeypatch.setattr(module, name, False)
    monkeypatch.setattr(safefile, "O_NOFOLLOW", 0)
    return monkeypatch


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(safefile.time, "sleep", waited.append)
    return waited


def held_open(monkeypatch: pytest.MonkeyPatch, name: str, times: int) -> list[str]:
    """``os.replace`` onto a file called ``name`` fails ``times`` times as Windows fails it
    while another program (Excel) has the file open; the attempts are returned."""
    attempts: list[str] = []

    def fake(src: Any, dst: Any, **kw: Any) -> None:
        if os.path.basename(dst) == name:
            attempts.append(os.fspath(dst))
            if len(attempts) <= times:
                raise PermissionError(errno.EACCES, "Access is denied", os.fspath(dst))
        REAL_REPLACE(src, dst, **kw)

    monkeypatch.setattr(safefile.os, "replace", fake)
    return attempts


def ev(region: str = "16.71") -> Event:
    return Event(id=new_event_id(), origin="pc-a", seq=SEQ_AUTO, region=region, item="nphd-kpu",
                 status="done", progress=None, note="", evidence=(), by="Rina",
                 at=parse_at("2024-08-21T09:30:00+07:00"), recorded=recorded_now())


# --- replacing a file another program holds ---------------------------------------------------


def test_a_replace_is_retried_while_another_program_holds_the_file(
        windows: pytest.MonkeyPatch, sleeps: list[float], tmp_path: Path) -> None:
    target = tmp_path / "laporan.xlsx"
    target.write_bytes(b"old")
    attempts = held_open(windows, "laporan.xlsx", times=2)
    safefile.replace_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert len(attempts) == 3 and sleeps == [0.1, 0.2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["laporan.xlsx"]


def test_a_replace_gives_up_after_six_attempts_and_changes_nothing(
        windows: pytest.MonkeyPatch, sleeps: list[float], tmp_path: Path) -> None:
    target = tmp_path / "laporan.xlsx"
    target.write_bytes(b"old")
    attempts = held_open(windows, "laporan.xlsx", times=99)
    with pytest.raises(PermissionError):
        safefile.replace_atomic(target, b"new")
    assert len(attempts) == safefile.REPLACE_ATTEMPTS == 6
    assert sleeps == [0.1, 0.2, 0.4, 0.8, 1.6]  # 3.1 s in all, then the user is told
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["laporan.xlsx"]  # no temporary left


def test_on_posix_a_refused_replace_is_not_retried(
        monkeypatch: pytest.MonkeyPatch, sleeps: list[float], tmp_path: Path) -> None:
    monkeypatch.setattr(safefile, "POSIX", True)
    target = tmp_path / "laporan.xlsx"
    attempts = held_open(monkeypatch, "laporan.xlsx", times=1)
    with pytest.raises(PermissionError):
        safefile.replace_atomic(target, b"new")
    assert len(attempts) == 1 and sleeps == []


@pytest.mark.parametrize(("platform", "message"), [
    ("windows", "Error: cannot replace {path}: another program has it open; close the file in "
                "Excel (or the browser) and run again"),
    ("posix", "Error: cannot write {path}: permission denied"),
])
def test_a_report_excel_holds_open_is_exit_3_saying_to_close_it(
        mini_ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, sleeps: list[float],
        platform: str, message: str) -> None:
    assert cli("report", "--format", "csv", "--out", "rakor.csv").exit_code == 0
    before = (mini_ws / "rakor.csv").read_bytes()
    if platform == "windows":
        for module, name in ((safefile, "POSIX"), (output, "POSIX")):
            monkeypatch.setattr(module, name, False)
    held_open(monkeypatch, "rakor.csv", times=99)
    result = cli("report", "--format", "csv", "--out", "rakor.csv")
    assert result.exit_code == 3
    assert result.stderr.splitlines()[-1] == message.format(path=Path("rakor.csv"))
    assert (mini_ws / "rakor.csv").read_bytes() == before
    assert not [p for p in mini_ws.iterdir() if p.name.endswith(".tmp")]


# --- temporary files, modes and folder fsync -----------------------------------------------


def test_a_temporary_name_taken_by_a_folder_is_passed_over(
        windows: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Windows refuses to create a file where a folder has the name with EACCES, not EEXIST
    (as mkstemp allows for): another name is drawn."""
    target = tmp_path / "f.pkl"
    draws = iter([b"\x00" * 6, b"\x01" * 6])
    windows.setattr(safefile.os, "urandom", lambda n: next(draws))
    taken = tmp_path / ".f.pkl.000000000000.tmp"
    taken.mkdir()
    real_open = os.open

    def fake_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if os.fspath(path) == str(taken):
            raise PermissionError(errno.EACCES, "Access is denied", str(taken))
        return real_open(path, flags, mode, **kw)

    windows.setattr(safefile.os, "open", fake_open)
    fd, name = safefile.temporary(target)
    os.close(fd)
    assert name == str(tmp_path / ".f.pkl.010101010101.tmp")


def test_on_posix_a_refused_temporary_file_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setattr(safefile, "POSIX", True)

    def refuse(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    monkeypatch.setattr(safefile.os, "open", refuse)
    with pytest.raises(PermissionError):
        safefile.temporary(tmp_path / "f.pkl")


def test_recording_on_windows_sets_no_mode_and_opens_no_folder(
        windows: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """NTFS has no POSIX modes (chmod would only set the read-only flag) and a folder cannot be
    opened for fsync there (NTFS journals the rename): neither is attempted."""
    called: list[str] = []

    def forbidden(name: str) -> Any:
        real = getattr(os, name)

        def call(*args: Any, **kw: Any) -> Any:
            if sys._getframe(1).f_globals.get("__name__", "").startswith("pilkada_cli"):
                called.append(name)  # (filelock's own lock file on this Linux is no concern)
                raise AssertionError(f"{name} on Windows")
            return real(*args, **kw)
        return call

    for name in ("chmod", "fchmod"):
        windows.setattr(safefile.os, name, forbidden(name))
    real_open = os.open

    def no_folder(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if os.path.isdir(path):
            called.append(f"open folder {path}")
        return real_open(path, flags, mode, **kw)

    windows.setattr(safefile.os, "open", no_folder)
    records = tmp_path / "records"
    Journal(records).append([ev("16.71"), ev("16.72")])
    safefile.replace_atomic(tmp_path / "key", b"secret", mode=0o600)
    safefile.publish(tmp_path / "origin", b"pc-a\n")
    safefile.append_durably(tmp_path / "notes.jsonl", b"{}\n")
    safefile.create_new(tmp_path / "new", b"x")
    assert called == []
    assert len(Journal(records).read().events) == 2
    assert (tmp_path / "origin").read_bytes() == b"pc-a\n"


def test_the_office_key_folder_is_not_chmodded_on_windows(
        windows: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The key lives in the user's own AppData, which Windows' ACLs keep private."""
    def refuse(self: Path, mode: int, **kw: Any) -> None:
        raise AssertionError("chmod on Windows")

    windows.setattr(Path, "chmod", refuse)
    windows.setattr(safefile.os, "fchmod", lambda fd, mode: refuse(Path(), mode))
    key = keys.create(tmp_path / "home", "Kabupaten Lahat", None)
    assert keys.load(tmp_path / "home") == key


# --- links: no O_NOFOLLOW, junctions, OneDrive files -------------------------------------------


def test_without_o_nofollow_a_link_is_refused_before_it_is_opened(
        windows: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for you")
    link = tmp_path / "link.jsonl"
    link.symlink_to(secret)
    with pytest.raises(safefile.Refused, match="^is a symbolic link; refusing to follow it$"):
        safefile.read_regular(link)
    with pytest.raises(safefile.Refused, match="^is a symbolic link; refusing to follow it$"):
        safefile.append_durably(link, b"x")
    assert secret.read_bytes() == b"not for you"
    fd = safefile.open_nofollow(secret)  # a real file still opens
    os.close(fd)


def test_a_conflict_note_is_never_appended_through_a_link(windows: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from pilkada_cli.storage import conflicts

    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"")
    link = tmp_path / "pc-a.jsonl"
    link.symlink_to(secret)
    with pytest.raises(safefile.Refused, match="^is a symbolic link; refusing to follow it$"):
        conflicts.append_lines(link, [b"{}\n"])
    assert secret.read_bytes() == b""


def _stat(like: os.stat_result, attributes: int, tag: int) -> Any:
    """A stat result as Windows gives it, with its file attributes and reparse tag."""
    return SimpleNamespace(**{f: getattr(like, f) for f in dir(like) if f.startswith("st_")},
                           st_file_attributes=attributes, st_reparse_tag=tag)


SYMLINK, JUNCTION = 0xA000000C, 0xA0000003  # IO_REPARSE_TAG_SYMLINK, _MOUNT_POINT
ONEDRIVE, DEDUP = 0x9000601A, 0x80000013  # IO_REPARSE_TAG_CLOUD_6, _DEDUP


@pytest.mark.parametrize(("attributes", "tag", "linked"), [
    (0x400, JUNCTION, True), (0x400, SYMLINK, True), (0x400, 0, True),  # unknown: a link
    (0x400, ONEDRIVE, False), (0x400, DEDUP, False),  # the file itself
    (0x20, 0, False),  # FILE_ATTRIBUTE_ARCHIVE: an ordinary file
])
def test_which_reparse_points_are_links(tmp_path: Path, attributes: int, tag: int,
                                        linked: bool) -> None:
    (tmp_path / "f").write_bytes(b"")
    assert safefile.is_link(_stat(os.lstat(tmp_path / "f"), attributes, tag)) is linked


@pytest.mark.parametrize(("tag", "kind"), [(JUNCTION, "symlink"), (ONEDRIVE, None)])
def test_a_junction_in_records_is_not_followed_but_a_onedrive_file_is_read(
        windows: pytest.MonkeyPatch, tmp_path: Path, tag: int, kind: str | None) -> None:
    """A workspace in a Documents folder that OneDrive backs: each record file is a reparse
    point, and is read; a junction planted as a record file is a finding and never read."""
    records = tmp_path / "records"
    Journal(records).append([ev("16.71")])
    Journal(records).append([ev("16.72")])
    odd = str(records / "16.72" / "pc-a.jsonl")
    real_lstat = os.lstat

    def lstat(path: Any, **kw: Any) -> Any:
        st = real_lstat(path, **kw)
        return _stat(st, 0x400, tag) if os.fspath(path) == odd else st

    windows.setattr(os, "lstat", lstat)
    read = Journal(records).read()
    assert sorted(e.region for e in read.events) == (["16.71"] if kind else ["16.71", "16.72"])
    assert [(f.kind, f.path) for f in read.problems] == (
        [(kind, "records/16.72/pc-a.jsonl")] if kind else [])


# --- the browser that prints PDF ---------------------------------------------------------------


def test_the_browser_is_found_in_program_files_on_windows(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.delenv(pdf.ENV, raising=False)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)  # not on the PATH
    edge = tmp_path / "pf86" / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    chrome = tmp_path / "local" / "Google" / "Chrome" / "Application" / "chrome.exe"
    for exe in (edge, chrome):
        exe.parent.mkdir(parents=True)
        exe.write_bytes(b"MZ")
    monkeypatch.setenv("PROGRAMFILES(X86)", str(tmp_path / "pf86"))
    monkeypatch.setenv("PROGRAMFILES", str(tmp_path / "pf"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    monkeypatch.setattr(pdf, "WINDOWS", False)
    assert pdf.find_browser() is None  # elsewhere those folders mean nothing
    monkeypatch.setattr(pdf, "WINDOWS", True)
    assert pdf.find_browser() == str(edge)
    edge.unlink()
    assert pdf.find_browser() == str(chrome)  # Chrome in the user's own AppData\Local


# --- the console's code page -------------------------------------------------------------------


class _Stream(io.TextIOWrapper):
    def __init__(self, encoding: str, tty: bool) -> None:
        super().__init__(io.BytesIO(), encoding=encoding, errors="strict")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_a_windows_console_keeps_its_code_page_and_a_redirection_gets_utf8(
        monkeypatch: pytest.MonkeyPatch) -> None:
    console, redirected = _Stream("cp1252", tty=True), _Stream("cp1252", tty=False)
    monkeypatch.setattr(sys, "stdout", console)
    monkeypatch.setattr(sys, "stderr", redirected)
    entry.utf8_streams()
    assert (console.encoding, console.errors) == ("cp1252", "replace")  # ✓ shows as ?
    assert (redirected.encoding, redirected.errors) == ("utf-8", "replace")
    console.write("✓ Palembang")
    console.flush()
    assert console.buffer.getvalue() == b"? Palembang"  # type: ignore[attr-defined]


# --- the cache's Linux-only paths ----------------------------------------------------------------


def test_only_linux_maps_the_cache_or_reads_in_worker_processes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Elsewhere no mount table says the file system is local (no mmap of cache entries), and
    record files are read in this process (a spawned worker would import __main__ again)."""
    records = tmp_path / "records"
    Journal(records).append([ev(f"16.{n:02d}") for n in range(1, 6)])
    infos, _found = recordlist.list_files(records, "records")
    monkeypatch.setattr(columns, "PARALLEL_FILES", 2)

    def no_pool(*args: Any) -> Any:
        raise AssertionError("worker processes off Linux")

    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    with monkeypatch.context() as m:
        m.setattr(sys, "platform", "win32")
        mounts = listing._mountinfo.__wrapped__()
        read = columns.read_all(Journal(records), infos)
    assert mounts == ""
    assert listing.fs_type(str(records), mounts) is None  # hence never is_local: not mapped
    assert len(read) == 5


def test_a_mapped_entry_is_verified_where_pages_cannot_be_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No MADV_DONTNEED (not every OS has it): the whole entry is still hashed, nothing let go."""
    import mmap
    import zlib

    monkeypatch.delattr(mmap, "MADV_DONTNEED", raising=False)
    total = 3 * entries._STEP + 123
    data = bytes(range(256)) * (total // 256) + bytes(total % 256)

    class Mapping:
        def madvise(self, *args: Any) -> None:
            raise AssertionError("madvise without MADV_DONTNEED")

    class Crc:
        value = 0

        def update(self, chunk: Any) -> None:
            self.value = zlib.crc32(chunk, self.value)

    summed = Crc()
    entries._mapped_sum(summed, Mapping(), memoryview(data), total)
    assert summed.value == zlib.crc32(data[entries.HEADER.size:])


# --- the lock -------------------------------------------------------------------------------------


def test_the_record_lock_is_an_os_lock_never_a_soft_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """filelock picks the OS's own (LockFileEx through msvcrt on Windows, flock elsewhere);
    the journal forbids its fallback to a lock file that only looks at whether it exists, and
    with a filelock too old to know that word asks without it."""
    import filelock

    asked: list[dict[str, Any]] = []

    class Lock:
        def __init__(self, path: str, **kw: Any) -> None:
            asked.append(kw)
            if "fallback_to_soft" in kw and len(asked) == 2:
                raise TypeError("unexpected keyword argument 'fallback_to_soft'")

    monkeypatch.setattr(filelock, "FileLock", Lock)
    journal.file_lock("a.lock")
    journal.file_lock("b.lock")
    mode = safefile.mode_in(".") or safefile.FILE_MODE  # (a record file's mode in its folder)
    assert asked == [
        {"timeout": journal.LOCK_TIMEOUT, "mode": mode, "fallback_to_soft": False},
        {"timeout": journal.LOCK_TIMEOUT, "mode": mode, "fallback_to_soft": False},
        {"timeout": journal.LOCK_TIMEOUT, "mode": mode}]
