"""The folders listed before (cache/listing.py, recordlist.Folders): a region folder whose
signature is unchanged is not listed again, and the listing is always the one made without
them: after a file is added, removed or replaced by a link, a folder is added, removed or
replaced by a link, and when a folder's mtime is set back (its ctime still moves). A folder
changed within the clock's tick is listed again; a damaged entry is no error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pilkada_cli.storage.cache import entries, listing
from pilkada_cli.storage.journal import Journal
from platforms import RELATIVE_LOOKUPS


@pytest.fixture(autouse=True)
def local_file_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the test machine's /tmp is, the records are on a Linux file system."""
    monkeypatch.setattr(listing, "_mountinfo", lambda: "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n")


@pytest.fixture
def records(tmp_path: Path) -> Path:
    root = tmp_path / "records"
    for region, origins in (("16", ["prov-16-aaaa1111"]),
                            ("16.10", ["prov-16-aaaa1111", "kab-16-10-bbbb2222"]),
                            ("16.71", ["kab-16-71-cccc3333"])):
        (root / region).mkdir(parents=True)
        for origin in origins:
            (root / region / f"{origin}.jsonl").write_text("{}\n", encoding="utf-8")
        (root / region / f"{origins[0]}.jsonl.lock").touch()  # a local file: never listed
    return root


def _same(records: Path, where: Path) -> list[str]:
    """The listing with the folders kept in ``where`` equals the one without (with signatures
    by content where times cannot be trusted); its files."""
    journal = Journal(records)
    cached = listing.snapshot(journal, where)
    files, findings = journal.snapshot()
    assert cached == ((files, findings) if listing.is_local(records)
                      else (listing.by_content(files), findings))
    return [f.shown for f in cached[0]]


@RELATIVE_LOOKUPS
def test_unchanged_folders_are_not_listed_again(records: Path, tmp_path: Path,
                                                listed: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # signatures alone decide
    where = tmp_path / "cache"
    files = ["records/16/prov-16-aaaa1111.jsonl", "records/16.10/kab-16-10-bbbb2222.jsonl",
             "records/16.10/prov-16-aaaa1111.jsonl", "records/16.71/kab-16-71-cccc3333.jsonl"]
    assert _same(records, where) == files
    assert listed.count("16.10") == 2  # the first time, with and without the kept folders
    listed.clear()
    assert listing.snapshot(Journal(records), where)[0] == Journal(records).snapshot()[0]
    assert listed == ["16", "16.10", "16.71"]  # only the listing without them
    # a file added to a folder, then the folder's mtime set back: its ctime moved
    before = os.stat(records / "16.71")
    (records / "16.71" / "prov-16-aaaa1111.jsonl").write_text("{}\n", encoding="utf-8")
    os.utime(records / "16.71", ns=(before.st_atime_ns, before.st_mtime_ns))
    listed.clear()
    assert _same(records, where) == [*files, "records/16.71/prov-16-aaaa1111.jsonl"]
    assert listed == ["16.71", "16", "16.10", "16.71"]


@RELATIVE_LOOKUPS
@pytest.mark.parametrize("change", ["remove-file", "link-file", "add-folder", "remove-folder",
                                    "link-folder", "replace-folder"])
def test_every_change_of_entries_is_seen(records: Path, tmp_path: Path, change: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    where = tmp_path / "cache"
    _same(records, where)
    target = records / "16.10"
    if change == "remove-file":
        (target / "kab-16-10-bbbb2222.jsonl").unlink()
    elif change == "link-file":
        (target / "kab-16-10-bbbb2222.jsonl").unlink()
        (target / "kab-16-10-bbbb2222.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    elif change == "add-folder":
        (records / "16.72").mkdir()
        (records / "16.72" / "kab-16-72-dddd4444.jsonl").write_text("{}\n", encoding="utf-8")
    elif change == "remove-folder":
        for path in target.iterdir():
            path.unlink()
        target.rmdir()
    elif change == "link-folder":
        target.rename(tmp_path / "moved")
        target.symlink_to(tmp_path / "moved", target_is_directory=True)
    else:  # a folder replaced by another of the same name (a checkout, a copy)
        target.rename(tmp_path / "moved")
        target.mkdir()
        (target / "kab-16-10-eeee5555.jsonl").write_text("{}\n", encoding="utf-8")
    shown = _same(records, where)
    expected = {
        "remove-file": 3, "link-file": 3, "add-folder": 5, "remove-folder": 2,
        "link-folder": 2, "replace-folder": 3}
    assert len(shown) == expected[change]
    if change == "link-file":
        assert [f.kind for f in Journal(records).snapshot()[1]] == ["symlink"]
    if change == "replace-folder":
        assert "records/16.10/kab-16-10-eeee5555.jsonl" in shown


@RELATIVE_LOOKUPS
def test_a_folder_changed_within_the_clock_tick_is_listed_again(
        records: Path, tmp_path: Path, listed: list[str]) -> None:
    """Every folder here changed a moment ago (the real rule for coarse clocks): none is kept,
    so each is listed on every run."""
    where = tmp_path / "cache"
    _same(records, where)
    listed.clear()
    listing.snapshot(Journal(records), where)
    assert listed == ["16", "16.10", "16.71"]
    assert not (where / listing.NAME).exists()  # nothing worth keeping


@RELATIVE_LOOKUPS
def test_a_damaged_entry_is_no_error(records: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    where = tmp_path / "cache"
    _same(records, where)
    entry = entries.read(where / listing.NAME)
    assert entry is not None and set(entry["folders"]) == {"16", "16.10", "16.71"}
    entries.write(where / listing.NAME, {**entry, "folders": {
        region: (sig,) for region, (sig, _names) in entry["folders"].items()}})
    _same(records, where)
    assert entries.read(where / listing.NAME) == entry  # replaced: not damaged again next run
    (where / listing.NAME).write_bytes(b"\x80\x05 not a pickle")
    _same(records, where)
    entries.write(where / listing.NAME, {**entry, "key": "another workspace"})
    (records / "16.71" / "prov-16-aaaa1111.jsonl").write_text("{}\n", encoding="utf-8")
    # a key of another records folder: its folders are not used, even with equal signatures
    assert len(_same(records, where)) == 5


MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
61 27 8:17 / /media/rina/FLASH\\040DISK rw,nosuid,nodev - vfat /dev/sdb1 rw,uid=1000
62 27 0:51 / /mnt/kantor rw,relatime shared:40 - cifs //srv/pilkada rw,vers=3.1.1
63 27 0:52 / /mnt/kantor rw,relatime - nfs4 srv:/pilkada rw
64 27 0:60 / /home/rina/ws rw - ext4 /dev/sda2 rw
"""


@pytest.mark.parametrize(("path", "kind"), [
    ("/home/rina/ws/records", "ext4"), ("/home/rina/wsx/records", "ext4"),
    ("/media/rina/FLASH DISK/ws/records", "vfat"), ("/media/rina/FLASH", "ext4"),
    ("/mnt/kantor/ws/records", "nfs4"),  # mounted over the share: the last mount wins
    ("/", "ext4"), ("/proc/1", "proc")])
def test_the_file_system_of_a_path(path: str, kind: str) -> None:
    assert listing.fs_type(path, MOUNTS) == kind
    assert listing.fs_type(path, "") is None


def test_folders_are_listed_every_time_on_other_file_systems(
        records: Path, tmp_path: Path, listed: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A flash drive (FAT: Windows does not move its folders' times), a share, or a system
    that cannot tell: nothing kept, every folder listed."""
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    where = tmp_path / "cache"
    monkeypatch.setattr(listing, "_mountinfo", lambda: "1 0 8:17 / / rw - vfat /dev/sdb1 rw\n")
    for _ in range(2):
        _same(records, where)
    assert listed == ["16", "16.10", "16.71"] * 4
    assert not (where / listing.NAME).exists()
    monkeypatch.setattr(listing, "_mountinfo", lambda: "")
    _same(records, where)
    assert not (where / listing.NAME).exists()


@RELATIVE_LOOKUPS
def test_a_planted_name_never_leads_out_of_its_folder(records: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache entry naming a path (``../``) for a folder whose signature it has right listed
    nothing outside the folder."""
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    where = tmp_path / "cache"
    _same(records, where)
    (records / "outside.jsonl").write_text("{}\n", encoding="utf-8")
    entry = entries.read(where / listing.NAME)
    assert entry is not None
    sig, names = entry["folders"]["16.71"]
    entry["folders"]["16.71"] = (sig, ("../outside.jsonl", *names))
    entries.write(where / listing.NAME, entry)
    listed = listing.snapshot(Journal(records), where)
    assert listed == Journal(records).snapshot()
    assert "records/16.71/kab-16-71-cccc3333.jsonl" in [f.shown for f in listed[0]]
