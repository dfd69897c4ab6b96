"""Safe files: the few ways pilkada opens, writes and replaces a file, written once.

Every file pilkada writes goes through here: record files and what ``repair`` sets aside
(journal.py), the derived cache (cache/), report, sheet and map output (report/output.py), and
the origin id (origin.py). The rules (docs/reliability.md §1.1):

- never follow a link someone planted: files are opened with ``O_NOFOLLOW`` (and checked by
  ``lstat`` where Windows has no such flag), and must be regular files;
- write fully: ``os.write`` may write less than asked, so every write is a loop;
- durable means fsynced: the file, and the folder when an entry in it was created or renamed;
- a whole-file output is never half-visible: a temporary file in the same folder, fsync,
  ``os.replace`` (retried on Windows, where Excel or an antivirus may hold the old file);
- a new file or folder gets the mode the umask gives (never more than asked: records never go
  to everyone), and in a folder shared by a group what that group needs (``mode_in``); a
  chmod the drive refuses (FAT through FUSE) is noted, never an error (``take_unset``).

Everything raises ``OSError`` (``Refused`` for an unsafe file or folder, with the reason as its
message); callers say what it meant for the user (``errors.os_reason``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pilkada_cli.base.i18n import _

# The most a record file or folder is given: its owner and the office's group, never everyone.
# Less where the umask says so; in a shared folder the group keeps what the folder gives it
# (``mode_in``). docs/reliability.md, "Shared folders and flash drives".
FILE_MODE = 0o660
DIR_MODE = 0o770
_GROUP = 0o070
POSIX = os.name == "posix"
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_BINARY = getattr(os, "O_BINARY", 0)
REPLACE_ATTEMPTS = 6  # Windows: another program may hold the old file for a moment
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT (Windows' st_file_attributes)
_NAME_SURROGATE = 0x20000000  # the bit of a reparse tag that names another place (winnt.h)
_UNSYNCABLE = frozenset((errno.EINVAL, errno.ENOTSUP, errno.EBADF,
                         getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)))


class Refused(OSError):
    """An unsafe file or folder (symlink, device, hard link); the message says which."""


class TooLarge(OSError):
    """A file larger than the reader's limit, refused unread; ``size`` is how large it is."""

    def __init__(self, size: int) -> None:
        super().__init__(errno.EFBIG, "file too large")
        self.size = size


class FolderNotSynced(OSError):
    """The new file is in place, but its folder could not be flushed to disk."""


# --- looking before touching ---------------------------------------------------------------


def is_link(st: os.stat_result) -> bool:
    """A symbolic link, or on Windows a junction or another reparse point that names another
    place (a "name surrogate"). Other reparse points are the file itself: a OneDrive file kept
    online only, a deduplicated or compressed one (in a Documents folder that OneDrive backs,
    as on many office PCs, each record file is one), and are no link."""
    if stat.S_ISLNK(st.st_mode):
        return True
    if not getattr(st, "st_file_attributes", 0) & _REPARSE_POINT:
        return False
    tag = getattr(st, "st_reparse_tag", 0)
    return not tag or bool(tag & _NAME_SURROGATE)  # an unknown tag: a link, to be safe


def refuse_link(path: Path) -> bool:
    """Refuse a symlink or junction at ``path`` (O_NOFOLLOW does not exist on Windows); True if
    nothing is there yet."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    if is_link(st):
        raise Refused(_("is a symbolic link; refusing to follow it"))
    return False


def check_regular(fd: int) -> None:
    """Refuse an opened file that is not a regular file with a single name."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(_("not a regular file"))
    if st.st_nlink > 1:  # another name can write the same bytes (sqlite.org/howtocorrupt.html)
        raise Refused(_("has several hard links; refusing to write through them"))


# --- modes ----------------------------------------------------------------------------------

_unset: list[str] = []  # where a mode could not be set (a FAT drive through FUSE, some shares)


def umask() -> int:
    """This process's umask. POSIX reads it only by setting it: set back at once, and set
    meanwhile to the most private one, so a file another thread creates in between is never
    more open than asked. Read when a file is created, not kept: it may change."""
    old = os.umask(0o077)
    os.umask(old)
    return old


def mode_in(folder: Path | str, mode: int = FILE_MODE) -> int:
    """The mode a new file (``mode`` its most, e.g. FILE_MODE) or folder (DIR_MODE) in
    ``folder`` is given: ``mode`` less the umask, as any program's files, except that in a
    shared folder (setgid and writable by its group: set up for a group of accounts) the group
    keeps what ``mode`` gives it whatever this account's umask, so every account of the group
    can read and record; and a new folder in a setgid folder stays setgid (its files keep the
    folder's group). 0 where there are no POSIX modes."""
    if not POSIX:
        return 0
    wanted = mode & ~umask()
    try:
        parent = os.stat(folder).st_mode
    except OSError:
        return wanted  # (creating in it will say what is wrong)
    if parent & stat.S_ISGID and parent & stat.S_IWGRP:
        wanted |= mode & _GROUP
    if parent & stat.S_ISGID and mode & stat.S_IXUSR:
        wanted |= stat.S_ISGID
    return wanted


def set_mode(target: int | Path | str, mode: int, where: Path | str) -> None:
    """Give an open file (fd) or a path ``mode`` where it has another one: best effort. A file
    system that cannot (FAT or exFAT through FUSE, some network shares: EPERM, ENOTSUP) still
    keeps the file; ``where`` is noted for ``take_unset`` (the command says it once)."""
    if not POSIX:
        return
    try:
        now = os.fstat(target) if isinstance(target, int) else os.stat(target)
        if stat.S_IMODE(now.st_mode) == mode:
            return
        if isinstance(target, int):
            os.fchmod(target, mode)
        else:
            os.chmod(target, mode)
    except OSError:
        _unset.append(os.fspath(where))


def take_unset() -> list[str]:
    """Where a mode could not be set since the last call (and forget them)."""
    out = list(_unset)
    _unset.clear()
    return out


def make_dir(path: Path, mode: int = DIR_MODE) -> bool:
    """Create ``path`` (``mode_in`` its folder) unless it is a real folder already; True if
    created. Refuses a link or a file in its place."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        wanted = mode_in(path.parent, mode)
        try:
            os.mkdir(path, wanted or mode)
        except FileExistsError:  # a concurrent writer made it
            return make_dir(path, mode)
        set_mode(path, wanted, path)
        fsync_dir(path.parent)
        return True
    if is_link(st):
        raise Refused(_("{name} is a symbolic link; refusing to follow it").format(
            name=path.name))
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(_("{name} is not a folder").format(name=path.name))
    return False


def make_dirs(path: Path, mode: int = DIR_MODE) -> None:
    """``make_dir`` of ``path`` and of every missing folder above it (so each new one gets the
    modes its folder gives: a region folder a sync brings into a shared workspace too)."""
    missing: list[Path] = []
    while not os.path.lexists(path) and path.parent != path:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        make_dir(folder, mode)


# --- reading --------------------------------------------------------------------------------


def open_nofollow(path: Path | str, flags: int = os.O_RDONLY, mode: int = FILE_MODE) -> int:
    """``os.open`` that never follows a link at ``path`` itself (binary on Windows). Where the
    OS has no ``O_NOFOLLOW`` (Windows) a link or junction there is refused by ``lstat`` first:
    a reader is never led elsewhere by a link someone planted."""
    if not O_NOFOLLOW:
        refuse_link(Path(path))
    return os.open(path, flags | O_NOFOLLOW | O_BINARY, mode)


def read_regular(path: Path | str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes (never through a link) and the ``fstat`` of what was read: a
    signature taken from it describes exactly these bytes. With ``limit``, a file of more
    bytes is refused (TooLarge) before any of it is read, and never more than ``limit + 1``
    bytes are read (a file that grows past it meanwhile)."""
    fd = open_nofollow(path)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(_("not a regular file"))
        if limit is not None and st.st_size > limit:
            raise TooLarge(st.st_size)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read() if limit is None else f.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise TooLarge(max(os.fstat(fd).st_size, len(data)))
        return data, st
    finally:
        os.close(fd)


def read_at(fd: int, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes at ``offset`` (fewer only at the end of the file)."""
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# --- writing --------------------------------------------------------------------------------


def write_fully(fd: int, data: bytes) -> None:
    """One write loop of all of ``data`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "write made no progress")
        view = view[n:]


def fsync_dir(path: Path) -> None:
    """Make a created or renamed entry in ``path`` durable (POSIX; NTFS journals metadata, and
    a folder cannot be opened for fsync there). File systems that cannot, by design, are no
    error."""
    if not POSIX:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in _UNSYNCABLE:
            raise
    finally:
        os.close(fd)


def replace(src: Path | str, dst: Path | str) -> None:
    """``os.replace``, retried on Windows where another program (Excel, an antivirus, an
    indexer) may hold ``dst`` for a moment. It replaces a link at ``dst``, never follows it."""
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if POSIX or attempt == REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * 2**attempt)


_TEMP_FLAGS = (os.O_RDWR | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY
               | getattr(os, "O_CLOEXEC", 0))


def temporary(path: Path) -> tuple[int, str]:
    """A new empty file beside ``path`` (``.<name>.<random>.tmp``, mode 0600, never through a
    link), open for writing: what ``tempfile.mkstemp`` makes, without importing tempfile
    (random, shutil: ~2.5 ms of every run that writes a cache entry)."""
    for _attempt in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
        except PermissionError:  # Windows: a folder of that name, as mkstemp allows for
            if POSIX or not os.path.isdir(tmp):
                raise
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(path.parent))


def replace_atomic(path: Path, data: bytes | Callable[[BinaryIO], None], *,
                   mode: int | None = FILE_MODE, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` whole: a temporary file in the same folder, written fully,
    fsynced, given ``mode`` (None: the temporary file's private 0600), moved into place, the
    folder fsynced. Readers see the old file or the new one, never a mix. ``data`` may be a
    function that writes to the open file (a big pickle need not be held in memory twice).
    ``durable=False`` skips the fsyncs (derived files that can always be rebuilt).

    On failure nothing changed at ``path`` and the temporary file is gone; raises OSError, or
    FolderNotSynced when the file is in place but its folder could not be flushed."""
    fd, tmp = temporary(path)
    try:
        try:
            if callable(data):
                with os.fdopen(os.dup(fd), "wb") as fh:
                    data(fh)
            else:
                write_fully(fd, data)
            if durable:
                os.fsync(fd)
            if mode is not None:
                set_mode(fd, mode_in(path.parent, mode), path)  # temporary() makes 0600
        finally:
            os.close(fd)
        replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        try:
            fsync_dir(path.parent)
        except OSError as e:
            raise FolderNotSynced(e.errno, e.strerror, e.filename) from e


def append_durably(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Append ``data`` to ``path`` (created with ``mode`` if missing; never through a link, never
    to a file with several names) and fsync it, and its folder when it was created."""
    created = refuse_link(path)
    wanted = mode_in(path.parent, mode)
    fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, wanted or mode)
    try:
        if created:
            set_mode(fd, wanted, path)
        check_regular(fd)
        write_fully(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def create_new(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Create ``path`` with ``data``, durably; FileExistsError if anything is there already."""
    wanted = mode_in(path.parent, mode)
    fd = open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, wanted or mode)
    try:
        set_mode(fd, wanted, path)
        write_fully(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def publish(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Create ``path`` with ``data`` unless it exists (then leave it: the first one wins);
    readers never see it half-written, also when several runs do this at once."""
    fd, tmp = temporary(path)
    try:
        try:
            write_fully(fd, data)
            os.fsync(fd)
            set_mode(fd, mode_in(path.parent, mode), path)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if another run created it first
        except FileExistsError:
            return
        except OSError:
            # file systems without hard links (FAT, some shares): an exclusive create, which a
            # concurrent reader may see empty for a moment (origin.py waits for it)
            with contextlib.suppress(FileExistsError):
                create_new(path, data, mode)
            return
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
