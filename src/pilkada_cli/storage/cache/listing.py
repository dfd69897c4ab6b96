"""The record-file names of every region folder as last listed (``listing.pkl``), each with
the folder's signature (size, mtime, ctime, inode): a folder whose signature is
unchanged is not listed again (recordlist.Folders). Every file is still ``lstat``-ed on every
run: an append moves only its own file's signature. On a national workspace (7,800 folders)
this spares a listing per folder, ~55 ms of a warm ``status``.

Only where a folder's times move whenever an entry is created, removed or renamed, whoever
does it: Linux's own file systems (``LOCAL``; git's untracked cache relies on the same rule).
Not on FAT, exFAT or NTFS (Windows does not move a FAT folder's times when files are added, and
flash drives go between offices), network shares or FUSE (another machine writes; attributes
are cached), nor where the file system cannot be told (not Linux): there every folder is listed
on every run, as without the cache.

There, too, a record file's times cannot be trusted (``by_content``): a same-size copy over a
file (``cp -p``, a sync tool, Windows Explorer) may keep its size, times and even its inode, so
its signature also holds its content's digest, and every file is read on every run.

A remount keeps the cache: no signature holds the device number (another USB slot, another
drive letter: Windows gives the volume's serial), no key a path outside the workspace. The
listing is kept by region folder (its path inside ``records/``), not by where the workspace
is: a folder's inode and ctime (to the nanosecond; set by the kernel, never set back) prove it
is the folder listed, wherever the workspace was moved or mounted. Another folder at the same
path inside another workspace has another inode or ctime, unless it is a block copy of it
(a disk image, a snapshot): then it held the same names, and any change since moved its ctime.
A workspace copied file by file (``cp -a``, a sync tool) has new ctimes: listed again."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.safefile import read_regular
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.recordfile import Finding, RecordFile, Sig, signature
from pilkada_cli.storage.recordlist import Folders

if TYPE_CHECKING:
    from pilkada_cli.storage.journal import Journal

NAME = entries.kind("listing.pkl", __name__)
LOCAL = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs", "jfs",
                   "reiserfs", "bcachefs", "nilfs2", "overlay"})
MOUNTINFO = "/proc/self/mountinfo"


def snapshot(journal: Journal, where: Path) -> tuple[list[RecordFile], list[Finding]]:
    """``journal.snapshot()`` of every region, with the folders listed before taken from
    ``listing.pkl`` of the cache folder ``where`` (and kept there when they changed) where the
    records' file system moves folders' times (``LOCAL``); elsewhere every folder listed and
    every file signed by its content too (``by_content``)."""
    if not _local(os.path.realpath(journal.root)):
        files, findings = journal.snapshot()
        return by_content(files), findings
    key = entries.key(entries.code_key())  # not the root: a moved workspace keeps its listing
    found = entries.read(where / NAME)
    kept = found["folders"] if (found is not None and found.get("key") == key
                                and type(found.get("folders")) is dict) else {}
    folders = Folders(kept, time.time_ns() - entries.RACY_NS)
    damaged = False
    try:
        listed = journal.snapshot(folders=folders)
    except (TypeError, IndexError, ValueError):  # a damaged entry: listed afresh and replaced
        folders, damaged = Folders({}, folders.trust_before), True
        listed = journal.snapshot(folders=folders)
    if damaged or folders.now != kept:
        entries.write(where / NAME, {"key": key, "folders": folders.now})
    return listed


# On Linux's own file systems a record file's signature is (size, mtime, ctime, inode, 0),
# read by one lstat: any write moves the file's ctime, which the kernel sets and no
# tool can set back (utime sets mtime and atime only), and a replace gives a new inode, so the
# signature moves whenever the content may have changed; reading every file instead would read
# the whole of the records (1 GB at the nation-to-district scale) on every run. Elsewhere (FAT,
# exFAT, NTFS, shares, FUSE, other systems) times are the file system's or another machine's
# and may be kept or set back by a copy: the signature also holds the content's digest, and
# only its size besides: the digest proves the content, while a remount gives new inodes (vfat,
# exfat on Linux), FAT's times are local times (another office's zone, or daylight saving on
# Windows, moves them all) and FAT has no change time.


def by_content(files: list[RecordFile]) -> list[RecordFile]:
    """The files with signatures that hold their content's digest (``with_content``), each
    read now; a file that cannot be read keeps no signature (it is read again, and the reader
    says what is wrong)."""
    out = []
    for f in files:
        try:
            data, _st = read_regular(f.path)
        except OSError:
            out.append(f._replace(sig=None))
            continue
        out.append(f._replace(sig=with_content(data)))
    return out


def with_content(data: bytes) -> Sig:
    """The signature of a file holding ``data`` by its content: its size and its content's
    digest (63 bits of blake2b, as a number below zero: ``content_signed`` tells it apart),
    without times or inode (a remount moves them, the content stays; never ``entries.racy``)."""
    digest = int.from_bytes(entries.blake2b(data)[:8], "little") >> 1
    return (len(data), 0, 0, 0, -1 - digest)


def content_signed(sig: Sig | None) -> bool:
    """Whether a signature holds its file's content's digest (``with_content``)."""
    return sig is not None and sig[4] < 0


def signed_like(like: Sig | None, st: os.stat_result, data: bytes) -> Sig:
    """The signature of ``data`` read with ``st``, in the form of ``like`` (the file's
    signature as listed): with its content's digest if ``like`` has one."""
    return with_content(data) if content_signed(like) else signature(st)


def is_local(path: Path) -> bool:
    """Whether ``path`` is on one of Linux's own file systems (``LOCAL``): there a cache file
    is changed only by being replaced, so it may be mapped into memory."""
    return _local(os.path.realpath(path))


def _local(resolved: str) -> bool:
    return fs_type(resolved, _mountinfo()) in LOCAL


@functools.cache
def _mountinfo() -> str:
    if not sys.platform.startswith("linux"):
        return ""
    try:
        return Path(MOUNTINFO).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return ""


def fs_type(path: str, mountinfo: str) -> str | None:
    """The type of the file system ``path`` (absolute, resolved) is on, from the text of
    ``/proc/self/mountinfo`` (proc(5): the mount point is field 5, octal-escaped; the type
    follows the `` - `` separator); the last mount of the longest matching point wins. None
    if no line matches."""
    best, kind = -1, None
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields, after = left.split(" "), right.split(" ")
        if not sep or len(fields) < 5 or not after[0]:
            continue
        point = _unescape(fields[4])
        inside = path == point or path.startswith(point if point.endswith("/") else point + "/")
        if inside and len(point) >= best:
            best, kind = len(point), after[0]
    return kind


def _unescape(text: str) -> str:
    """A mountinfo field: space, tab, newline and backslash are written as octal escapes."""
    if "\\" not in text:
        return text
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        text = text.replace(code, char)
    return text
