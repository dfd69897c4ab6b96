"""How the record files are listed: every data file under ``records/`` in path order, each
with its signature (one ``lstat``, nothing read), and what the listing found (a linked folder or
file, an unreadable folder, a stray file). The hot loop of every run: a national workspace has
tens of thousands of files. Pure apart from listing folders: nothing here reads a file, writes,
locks or prints."""

from __future__ import annotations

import errno
import operator
import os
import stat
from collections.abc import Collection, Sequence
from pathlib import Path

from pilkada_cli.base.errors import InputError, StorageError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import POSIX, Refused, is_link
from pilkada_cli.domain.events import REGION_RE
from pilkada_cli.storage.recordfile import FILE_RE, Finding, RecordFile, Sig, finding, read_reason


def region_folders(root: Path, label: str, regions: Collection[str] | None = None
                   ) -> list[str]:
    """The region folder names under ``root`` (or ``regions``, validated), sorted. Raises
    InputError for a malformed code, StorageError if ``root`` cannot be listed."""
    if regions is not None:
        for r in regions:
            if not REGION_RE.fullmatch(r):
                raise InputError(_("invalid region code {code!r}; expected e.g. 16.71").format(
                    code=r))
        return sorted(set(regions))
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    except OSError as e:
        raise StorageError(_("cannot read {path}: {reason}").format(
            path=label, reason=read_reason(e))) from e
    return sorted(n for n in names if REGION_RE.fullmatch(n))


class Folders:
    """The record-file names of region folders as last listed, each with the folder's
    signature, given to ``list_files`` by a caller that keeps them (the derived cache): a folder
    whose signature is unchanged is not listed again. Sound only where creating, removing or
    renaming an entry moves its folder's mtime and ctime (POSIX requires it; git's untracked
    cache relies on the same rule; Windows does not do it on FAT): the caller decides where
    that holds (cache/listing.py), and it is used only where folders are opened for relative
    lookups (POSIX). A folder whose signature is at or after ``trust_before`` (ns) is not
    kept: a change within the file system's clock tick may not move it."""

    __slots__ = ("kept", "now", "trust_before")

    def __init__(self, kept: dict[str, tuple[Sig, tuple[str, ...]]], trust_before: int
                 ) -> None:
        self.kept = kept
        self.trust_before = trust_before
        self.now: dict[str, tuple[Sig, tuple[str, ...]]] = {}  # what this listing found


def list_files(root: Path, label: str, regions: Collection[str] | None = None,
               strays: bool = False, folders: Folders | None = None
               ) -> tuple[list[RecordFile], list[Finding]]:
    """Every data file (of ``regions``, None = all) in path order with its signature (one
    ``lstat`` each, nothing read), and what the listing found: linked or unreadable folders,
    linked files, and with ``strays`` files that are not record files. Raises InputError for a
    malformed region code, StorageError if ``root`` cannot be listed or is a symbolic link;
    with ``strays`` (verify's complete look), a linked ``root`` is a finding instead, and
    nothing under it is listed. ``folders``: the names of folders listed before (Folders)."""
    found: list[Finding] = []
    out: list[RecordFile] = []
    if _root_is_link(root):  # records/ itself: never read through it, as append never writes
        if not strays:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=label, reason=os_reason(OSError(errno.ELOOP, "link"))))
        return out, [finding(label, None, "symlink", _(
            "is a symbolic link; not followed (replace it by the folder itself)"))]
    base = os.fspath(root)
    # The hot loop of every run (tens of thousands of files): no per-file joins or f-strings,
    # and where the OS allows, each file looked up relative to records/ held open (the kernel
    # then walks two path components per file, not the whole path).
    match, lstat, at_fd, islink, sep = FILE_RE.fullmatch, os.lstat, os.stat, stat.S_ISLNK, os.sep
    append, new = out.append, tuple.__new__  # (a NamedTuple's own __new__ is Python code)
    root_fd = open_folder(base)
    known = folders if folders is not None and root_fd is not None and not strays else None
    try:
        for region, linked, folder_ok in _region_entries(root, label, regions):
            folder = base + sep + region
            try:
                if linked:
                    raise Refused(_("is a symbolic link; not followed"))
                if not folder_ok:
                    continue
                if known is not None:
                    names, listed = _known_names(known, region, root_fd, folder)
                else:
                    names, listed = sorted(os.listdir(folder)), True  # (listdir + lstat beat
                    # scandir's stat)
            except FileNotFoundError:
                continue
            except OSError as e:
                found.append(finding(f"{label}/{region}", None, "symlink", str(e))
                             if isinstance(e, Refused) else finding(
                    f"{label}/{region}", None, "unreadable",
                    _("cannot read: {reason}").format(reason=read_reason(e))))
                continue
            at, seen_as, rel = folder + sep, f"{label}/{region}/", region + sep
            for name in names:
                if listed:
                    if match(name) is None:
                        local = (name.endswith((".lock", ".rejected.jsonl", ".tmp"))
                                 or ".torn-" in name)
                        if strays and not local:
                            found.append(finding(seen_as + name, None, "stray", _(
                                "not a record file name (<origin>.jsonl); not read")))
                        continue
                elif sep in name:  # a kept name is one a listing matched: never a path
                    continue
                path = at + name
                try:
                    st = (lstat(path) if root_fd is None
                          else at_fd(rel + name, dir_fd=root_fd, follow_symlinks=False))
                except OSError:
                    append(RecordFile(region, name[:-6], path, seen_as + name))
                    continue
                if islink(st.st_mode) or (not POSIX and is_link(st)):
                    found.append(finding(seen_as + name, None, "symlink",
                                         _("is a symbolic link; not followed")))
                    continue
                append(new(RecordFile, (region, name[:-6], path, seen_as + name, (
                    st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, 0))))  # signature()
    finally:
        if root_fd is not None:
            os.close(root_fd)
    return out, found


def _known_names(known: Folders, region: str, root_fd: int | None, folder: str
                 ) -> tuple[Sequence[str], bool]:
    """A region folder's entries: its record-file names as kept when its signature is the
    same (False: already matched), else all of them listed now (True), noted in ``known``."""
    try:
        st = os.stat(region, dir_fd=root_fd, follow_symlinks=False)
    except OSError:
        return sorted(os.listdir(folder)), True  # gone or unreadable: the listing says which
    sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, 0)  # (no device: a remount)
    old = known.kept.get(region)
    if old is not None and old[0] == sig:
        known.now[region] = old
        return old[1], False
    names = sorted(os.listdir(folder))
    if max(st.st_mtime_ns, st.st_ctime_ns) < known.trust_before:
        known.now[region] = (sig, tuple(n for n in names if FILE_RE.fullmatch(n)))
    return names, True


# Folders opened for relative lookups where the OS offers them (POSIX), never through a link.
_AT = (os.stat in os.supports_dir_fd and os.stat in os.supports_follow_symlinks
       and os.name == "posix")
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def open_folder(path: str) -> int | None:
    """``path`` opened as a folder for relative lookups; None where the OS cannot (Windows),
    or it cannot be opened (the listing then says why, by path)."""
    if not _AT:
        return None
    try:
        return os.open(path, _FOLDER_FLAGS)
    except OSError:
        return None


_NAME = operator.attrgetter("name")


def _root_is_link(root: Path) -> bool:
    try:
        return is_link(os.lstat(root))
    except OSError:
        return False  # missing (nothing recorded yet) or unreadable: the listing says which


def _region_entries(root: Path, label: str, regions: Collection[str] | None
                    ) -> list[tuple[str, bool, bool]]:
    """(region, is a link, is a folder) of the region folders to list, by name."""
    if regions is not None:
        out = []
        for region in region_folders(root, label, regions):
            try:
                st = os.lstat(os.path.join(root, region))
            except FileNotFoundError:
                continue
            except OSError:
                out.append((region, False, True))  # listing it will say what is wrong
                continue
            out.append((region, is_link(st), stat.S_ISDIR(st.st_mode)))
        return out
    try:
        with os.scandir(root) as it:  # the entries' types come with the listing: no stat
            # (sorted by name alone: (name, entry) pairs sort ~6 times slower, 7,837 folders)
            entries = sorted((e for e in it if REGION_RE.fullmatch(e.name)), key=_NAME)
    except FileNotFoundError:
        return []
    except OSError as e:
        raise StorageError(_("cannot read {path}: {reason}").format(
            path=label, reason=read_reason(e))) from e
    return [(e.name, e.is_symlink() or (not POSIX and is_link(e.stat(follow_symlinks=False))),
             e.is_dir(follow_symlinks=False)) for e in entries]
