"""A remount keeps the cache (issue 27): a workspace moved to another path, on a drive plugged
into another slot (another device number), or on a flash drive whose file system hands out new
inode numbers on every mount (vfat, exfat on Linux), does not start cold: the next ``status``,
``due`` and ``log`` parse no record file and load no checklist, and still show exactly what
they show with the cache off. And it stays never stale: on FAT/exFAT a same-size copy that
keeps the times is still seen (by content), on Linux's own file systems a file replaced by
another of the same size and times is still seen (by its inode), and a region folder listing
kept for another workspace is not trusted for a folder that only has the same path in it.

Platform branches by injection: the file system's type (``/proc/self/mountinfo``) and what
``stat`` reports (device, inode, a change time equal to the modification time as FAT and
exFAT report it). Which bytes are parsed is counted at the one record reader
(``recordfile.parse_bytes``, as every cache module calls it). Signatures alone decide, as for
files last changed seconds ago (in a test every file changed a moment ago)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pilkada_cli.domain import checklist
from pilkada_cli.domain.workspace import find_workspace
from pilkada_cli.storage import recordfile
from pilkada_cli.storage.cache import cycles, entries, listing
from pilkada_cli.storage.journal import Journal
from sharing import Office, event, new_office, write_cycle
from sharing import view as _run

VIEWS = (("status",), ("status", "--format", "json"), ("status", "16.10", "--format", "json"),
         ("due", "--format", "plain"), ("log", "--format", "json"))
EXT4 = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
EXFAT = "1 0 8:17 / / rw - exfat /dev/sdb1 rw\n"


@pytest.fixture(autouse=True)
def signatures_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """The folder a flash drive is mounted on, holding a cycle and a workspace."""
    return tmp_path / "drive-1"


@pytest.fixture
def office(drive: Path) -> Office:
    """A province office on the drive (its cycle beside it: ``../mini``) that recorded in
    several regions, and imported one status for a few more in one go."""
    o = new_office(drive, "prov", "16", "kecamatan", write_cycle(drive))
    o.run("record", "16.10", "gudang", "--status", "in_progress", "--progress", "40",
          "--at", "2024-02-21T10:00")
    o.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20T09:00")
    o.run("blocked", "16.10.01", "logistik-tps", "--reason", "jalan putus", "--at",
          "2024-02-22T10:00")
    bulk = drive.parent / "bulk.csv"
    bulk.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},gudang,done,,,,2024-02-23\n" for code in ("16.71", "16.72", "16.03")),
        encoding="utf-8")
    o.run("record", "--from", str(bulk))
    return o


def _views(o: Office) -> list[tuple[int, str, str]]:
    """Every view from the cache, each checked against the cache off (byte for byte, exit code
    and messages too)."""
    out = []
    for args in VIEWS:
        cached = _run(o, args, cached=True)
        assert cached[0] == 0, cached
        assert cached == _run(o, args, cached=False), args
        out.append(cached)
    return out


def _cached_views(o: Office) -> list[tuple[int, str, str]]:
    return [_run(o, args, cached=True) for args in VIEWS]


@pytest.fixture
def cycle_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The checklist folders loaded from their YAML files."""
    loaded: list[Path] = []
    real = checklist.load_cycle

    def spy(folder: Path) -> checklist.Cycle:
        loaded.append(folder)
        return real(folder)

    monkeypatch.setattr(checklist, "load_cycle", spy)
    return loaded


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the cache entries written (entries.write)."""
    names: list[str] = []
    real = entries.write

    def spy(path: Path, *args: Any, **kwargs: Any) -> None:
        names.append(path.name)
        real(path, *args, **kwargs)

    monkeypatch.setattr(entries, "write", spy)
    return names


class Mount:
    """What ``stat`` reports on the drive as mounted now: ``device`` and ``inode`` are added to
    the real numbers (0: as they are); with ``no_change_time``, the change time is the
    modification time (FAT and exFAT keep none: Linux reports the mtime)."""

    def __init__(self) -> None:
        self.device, self.inode, self.no_change_time = 0, 0, False

    def report(self, real: Callable[..., os.stat_result], *args: Any, **kwargs: Any
               ) -> os.stat_result:
        st = real(*args, **kwargs)
        cls, (shown, extra) = st.__reduce__()
        values = list(shown)
        values[1] += self.inode  # st_ino
        values[2] += self.device  # st_dev
        if self.no_change_time:
            values[9] = values[8]
            extra = {**extra, "st_ctime": extra["st_mtime"], "st_ctime_ns": extra["st_mtime_ns"]}
        return os.stat_result(values, extra)


class _Entry:
    """A folder entry (os.scandir) whose ``stat`` goes through the mount."""

    def __init__(self, entry: os.DirEntry[str], mount: Mount) -> None:
        self._entry, self._mount = entry, mount
        self.name, self.path = entry.name, entry.path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entry, name)

    def __fspath__(self) -> str:
        return self._entry.path

    def inode(self) -> int:
        return self._entry.inode() + self._mount.inode

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return self._mount.report(self._entry.stat, follow_symlinks=follow_symlinks)


class _Scan:
    def __init__(self, it: Any, mount: Mount) -> None:
        self._it, self._mount = it, mount

    def __enter__(self) -> _Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self._it.close()

    def __iter__(self) -> Iterator[_Entry]:
        return (_Entry(e, self._mount) for e in self._it)


@pytest.fixture
def mount(monkeypatch: pytest.MonkeyPatch) -> Mount:
    """Every ``stat`` (os.stat, lstat, fstat, a folder entry's) through a Mount, on ext4 until
    a test says otherwise (``listing._mountinfo``)."""
    m = Mount()
    monkeypatch.setattr(listing, "_mountinfo", lambda: EXT4)
    for name in ("stat", "lstat", "fstat"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, _real=real, **k: m.report(_real, *a, **k))
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *args: _Scan(real_scandir(*args), m))
    return m


def _moved(o: Office, drive: Path, to: Path) -> Office:
    """The drive's folder (workspace and cycle) under another path, as another mount point or
    drive letter gives it; the office's user data folder stays."""
    os.rename(drive, to)
    return Office(o.name, to / o.ws.name, o.home)


def _record_file(o: Office, region: str) -> Path:
    path, = (o.ws / "records" / region).glob("*.jsonl")
    return path


# --- (a) another path ---------------------------------------------------------------------------

def test_a_workspace_moved_to_another_path_reads_no_record_file(
        office: Office, drive: Path, mount: Mount, parsed: dict[str, int],
        cycle_loads: list[Path], listed: list[str], written: list[str]) -> None:
    before = _views(office)
    assert '"gudang"' in before[4][1] and "16.71" in before[0][1]  # the views show the records
    listed.clear()
    written.clear()
    assert _cached_views(office) == before
    warm = list(listed)  # (records/origins/, the seen files, is listed on every run)
    assert "16.10" not in warm and written == []
    moved = _moved(office, drive, drive.parent / "drive-2")
    parsed.clear()
    cycle_loads.clear()
    listed.clear()
    after = _cached_views(moved)
    assert parsed == {}  # no record file parsed: every view from the kept entries
    assert cycle_loads == []  # the checklist as kept
    assert listed == warm  # no region folder listed again: the kept listing holds
    assert written == []  # nothing derived again: the fold, due's and log's entries as kept
    assert after == before
    assert _views(moved) == before  # and exactly what the cache off shows


def test_a_cycle_kept_for_another_path_has_the_paths_of_the_folder_it_is_loaded_for(
        office: Office, drive: Path, tmp_path: Path, cycle_loads: list[Path]) -> None:
    """A kept cycle says where each stage and date is written in the folder it is loaded from
    now, as a fresh load does (its messages name those files)."""
    first = cycles.load_cycle(find_workspace(office.ws), drive / "mini", checklist.load_cycle)
    moved = _moved(office, drive, tmp_path / "drive-2")
    cycle_loads.clear()
    again = cycles.load_cycle(find_workspace(moved.ws), tmp_path / "drive-2" / "mini",
                              checklist.load_cycle)
    assert cycle_loads == []
    fresh = checklist.load_cycle(tmp_path / "drive-2" / "mini")
    assert again == fresh and again != first
    assert {s.path for s in again.stages} == {s.path for s in fresh.stages}
    assert all(s.path.startswith(str(tmp_path / "drive-2" / "mini")) for s in again.stages)


# --- (b) another device number ------------------------------------------------------------------

def test_another_device_number_keeps_the_cache(office: Office, mount: Mount,
                                               parsed: dict[str, int],
                                               cycle_loads: list[Path],
                                               listed: list[str], written: list[str]) -> None:
    """The drive in another USB slot (sdc1, not sdb1), or another volume serial on Windows:
    every stat reports another device number."""
    before = _views(office)
    mount.device = 7919
    parsed.clear()
    cycle_loads.clear()
    listed.clear()
    written.clear()
    assert _cached_views(office) == before
    assert parsed == {} and cycle_loads == [] and "16.10" not in listed and written == []
    assert _views(office) == before


# --- (c) FAT/exFAT: new inode numbers on every mount ----------------------------------------------

@pytest.fixture
def exfat(mount: Mount, monkeypatch: pytest.MonkeyPatch) -> Mount:
    """The drive is exFAT (injected): no change time, times not trusted (signatures by
    content)."""
    monkeypatch.setattr(listing, "_mountinfo", lambda: EXFAT)
    mount.no_change_time = True
    return mount


def test_new_inode_numbers_on_exfat_keep_the_cache_and_a_same_size_copy_is_seen(
        office: Office, drive: Path, exfat: Mount, parsed: dict[str, int],
        cycle_loads: list[Path], written: list[str]) -> None:
    before = _views(office)
    # unplugged, plugged into another slot and mounted elsewhere: every inode and the device new
    moved = _moved(office, drive, drive.parent / "drive-2")
    exfat.inode, exfat.device = 100_003, 7919
    parsed.clear()
    cycle_loads.clear()
    written.clear()
    assert _cached_views(moved) == before
    assert parsed == {} and cycle_loads == [] and written == []
    # a same-size copy over a record file that keeps its times and its inode (``cp -p``)
    path = _record_file(moved, "16.10")
    st = os.stat(path)
    data = path.read_bytes()
    copied = data.replace(b'"progress":40', b'"progress":90')
    assert len(copied) == len(data) and copied != data
    with path.open("r+b") as f:
        f.write(copied)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns, now.st_ctime_ns, now.st_ino) == (
        st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    exfat.inode = 200_017  # and mounted once more
    parsed.clear()
    after = _cached_views(moved)
    assert set(parsed) == {"records/16.10/" + path.name}  # read again: by its content
    assert _views(moved) == after
    assert after != before
    assert '"progress": 90' in after[2][1] and '"progress": 90' not in before[2][1]


def test_a_checklist_or_config_copied_over_on_exfat_is_seen_after_a_remount(
        office: Office, drive: Path, exfat: Mount, cycle_loads: list[Path]) -> None:
    before = _views(office)
    exfat.inode = 100_003
    for path, old, new in ((drive / "mini" / "01-persiapan.yaml", b"weight: 2", b"weight: 5"),
                           (office.ws / "pilkada.yaml", b"warn_days: 7", b"warn_days: 9")):
        st = os.stat(path)
        data = path.read_bytes()
        assert data.count(old) >= 1, path
        path.write_bytes(data.replace(old, new))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert os.stat(path).st_size == st.st_size
        after = _views(office)
        assert after != before
        before = after


# --- (d) Linux's own file systems: the inode still proves a file was not replaced ---------------

def test_a_file_replaced_by_one_of_the_same_size_and_times_is_read_again(
        office: Office, mount: Mount, parsed: dict[str, int]) -> None:
    """Where the change time does not tell them apart (injected: a change time equal to the
    modification time), a file replaced by another of the same size and times is told apart by
    its inode."""
    mount.no_change_time = True
    before = _views(office)
    path = _record_file(office, "16.10")
    st = os.stat(path)
    twin = path.with_name("twin.tmp")
    twin.write_bytes(path.read_bytes().replace(b'"progress":40', b'"progress":70'))
    os.utime(twin, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(twin, path)
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns, now.st_ctime_ns) == (
        st.st_size, st.st_mtime_ns, st.st_ctime_ns) and now.st_ino != st.st_ino
    mount.device = 7919  # (and on another device number: the inode still decides)
    parsed.clear()
    after = _cached_views(office)
    assert set(parsed) == {"records/16.10/" + path.name}
    assert _views(office) == after
    assert '"progress": 70' in after[2][1] and after != before


# --- a listing kept for another workspace -------------------------------------------------------

def test_a_listing_kept_elsewhere_is_not_trusted_for_a_folder_at_the_same_path(
        office: Office, drive: Path, mount: Mount) -> None:
    """Another workspace with the same region folders (a copy), whose folder holds one more
    record file and has the same size and modification time, given the first one's cache: its
    folder is listed again (another inode and change time), the file counted."""
    before = _views(office)
    other = office.copy(drive, "copy")
    folder = other.ws / "records" / "16.72"
    st = os.stat(folder)
    Journal(other.ws / "records").append([event("kab-16-72-dddd4444", region="16.72",
                                                 item="nphd-kpu")])
    assert len(list(folder.glob("*.jsonl"))) == 2
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(folder).st_size == st.st_size
    shutil.copytree(office.ws / ".pilkada", other.ws / ".pilkada")
    assert _views(other) != before


def test_a_signature_holds_no_device_number_and_by_content_no_inode_or_times(
        tmp_path: Path, mount: Mount) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\n")
    plain = recordfile.signature(os.stat(path))
    signed = listing.with_content(b"{}\n")
    mount.device, mount.inode = 3, 5
    assert recordfile.signature(os.stat(path)) == (*plain[:3], plain[3] + 5, 0)
    assert signed == listing.with_content(path.read_bytes()) and signed[:4] == (3, 0, 0, 0)
    assert listing.content_signed(signed) and not listing.content_signed(plain)
    assert listing.with_content(b"{}\r") != signed


# --- keys by content hold no times: a file changed while being loaded is not kept -------------

def _swap(path: Path, old: bytes, new: bytes) -> None:
    """``path`` rewritten in place with ``old`` replaced by ``new`` (the same size), its times
    put back."""
    st = os.stat(path)
    data = path.read_bytes()
    assert data.count(old) >= 1 and len(old) == len(new), path
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_checklist_changed_while_being_loaded_is_not_kept_under_its_old_content(
        office: Office, drive: Path, exfat: Mount) -> None:
    """On exFAT the cycle's key is its files' contents: one edited while the loader reads the
    folder (and put back after) must not leave its edited form kept under the first content."""
    ws = find_workspace(office.ws)
    folder, stage = drive / "mini", drive / "mini" / "01-persiapan.yaml"

    def edited_meanwhile(path: Path) -> checklist.Cycle:
        _swap(stage, b"weight: 2", b"weight: 5")
        return checklist.load_cycle(path)

    meanwhile = cycles.load_cycle(ws, folder, edited_meanwhile)
    _swap(stage, b"weight: 5", b"weight: 2")
    again = cycles.load_cycle(ws, folder, checklist.load_cycle)
    assert again == checklist.load_cycle(folder) != meanwhile


def test_a_config_changed_while_being_loaded_is_not_kept_under_its_old_content(
        office: Office, exfat: Mount) -> None:
    from pilkada_cli.domain.workspace import load_config
    from pilkada_cli.storage.cache import configs

    path = office.ws / "pilkada.yaml"

    def edited_meanwhile(p: Path, regions: Any) -> Any:
        _swap(path, b"warn_days: 7", b"warn_days: 9")
        return load_config(p, regions)

    meanwhile = configs.load_config(path, None, edited_meanwhile)
    _swap(path, b"warn_days: 9", b"warn_days: 7")
    again = configs.load_config(path, None, load_config)
    assert meanwhile.thresholds.warn_days == 9
    assert again.thresholds.warn_days == 7
