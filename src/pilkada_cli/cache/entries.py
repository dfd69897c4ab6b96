"""Cache entries on disk: one pickle per entry, written whole, read back by an unpickler that
knows only the project's own plain classes; keys that change with every input and with the
code that gives an entry its meaning."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from pilkada_cli.recordfile import Sig
from pilkada_cli.safefile import open_nofollow, replace_atomic

VERSION = 4  # 4: events' times are instant.Instant values (kept events pickle them typed)
# A file changed within this long before an entry was written may change again with the same
# signature (coarse file-system clocks: FAT keeps 2 s): such a file is checked by content.
RACY_NS = 2_000_000_000
# The modules whose code decides what a cached value means: any change to one (an upgrade, a
# developer's edit) makes every entry stale.
MEANING = ("cache/entries.py", "cache/columns.py", "cache/parses.py", "cache/folds.py",
           "cache/ids.py", "cache/heads.py", "cache/hot.py", "cache/configs.py", "conflicts.py",
           "workspace.py",
           "offices.py",
           "checklist.py", "fields.py", "yamlload.py", "events.py", "instant.py", "recordfile.py",
           "journal.py", "readiness.py", "regions.py", "loading.py", "elections.py",
           "recurrence.py", "cache/dues.py", "views.py", "cache/listing.py")
_ALLOWED = {
    ("array", "array"), ("array", "_array_reconstructor"), ("builtins", "frozenset"),
    ("builtins", "set"), ("datetime", "date"), ("copyreg", "_reconstructor"),
    ("builtins", "object"), ("pilkada_cli.checklist", "Cycle"),
    ("pilkada_cli.checklist", "Stage"), ("pilkada_cli.checklist", "Item"),
    ("pilkada_cli.checklist", "Measure"), ("pilkada_cli.elections", "Election"),
    ("pilkada_cli.elections", "OwnerAlias"), ("pilkada_cli.workspace", "Config"),
    ("pilkada_cli.workspace", "Thresholds"), ("pilkada_cli.offices", "Office"),
    ("pilkada_cli.instant", "_make"),  # an Instant (text, microseconds) of a kept event
}


class _Unpickler(pickle.Unpickler):
    """Only the classes this package writes: a planted file cannot name anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")
        return super().find_class(module, name)


def read(path: Path) -> dict[str, Any] | None:
    """The entry at ``path``; None if it is missing, unreadable, corrupt or of another version."""
    try:
        with os.fdopen(open_nofollow(path), "rb") as f:
            obj = _Unpickler(f).load()
    except Exception:  # noqa: BLE001 (any unreadable or corrupt entry is simply rebuilt)
        return None
    if type(obj) is not dict or obj.get("v") != VERSION:
        return None
    return obj


def packed(obj: object) -> bytes:
    """A part of an entry kept as bytes inside it, unpickled only when needed (``unpacked``)."""
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def unpacked(data: object) -> dict[str, Any]:
    """A dict part kept by ``packed``, read back by the same restricted unpickler as entries.
    ValueError if it is not one."""
    if type(data) is not bytes:
        raise ValueError("not a packed part")
    try:
        obj = _Unpickler(io.BytesIO(data)).load()
    except Exception as e:  # noqa: BLE001 (corrupt: the caller rebuilds the entry)
        raise ValueError("a damaged packed part") from e
    if type(obj) is not dict:
        raise ValueError("not a packed part")
    return obj


def write(path: Path, obj: dict[str, Any]) -> None:
    """Write an entry whole; any failure leaves the old entry (or none) and is not an error.
    Not fsynced: an entry lost in a crash is rebuilt."""

    def dump(f: BinaryIO) -> None:
        pickle.dump({**obj, "v": VERSION}, f, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(path, dump, mode=None, durable=False)
    except (OSError, pickle.PicklingError, RecursionError):
        pass


def prune(where: Path, pattern: str, keep: int) -> None:
    """Keep only the ``keep`` newest entries matching ``pattern``."""
    with contextlib.suppress(OSError):
        entries = sorted(where.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            old.unlink()


def blake2b(data: bytes) -> bytes:
    """A 16-byte content digest."""
    try:  # the C module itself: hashlib would also load OpenSSL (2 ms a run)
        from _blake2 import blake2b as hasher
    except ImportError:
        from hashlib import blake2b as hasher
    return hasher(data, digest_size=16).digest()


def key(*parts: object) -> str:
    """An entry's key: a digest of everything its value depends on."""
    return blake2b(repr(parts).encode("utf-8", "surrogatepass")).hex()


@cache
def code_key() -> tuple[object, ...]:
    """The signature of the modules whose code gives entries their meaning."""
    return files_key(MEANING)


@cache
def files_key(names: tuple[str, ...]) -> tuple[object, ...]:
    """The signature (size, mtime) of these files of the package."""
    here = Path(__file__).parents[1]
    out: list[object] = []
    for name in names:
        try:
            st = (here / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None))
    return tuple(out)


def racy(sig: Sig | None, written: int) -> bool:
    """Whether a file with this signature may have changed since ``written`` unseen."""
    return sig is None or max(sig[1], sig[2]) >= written - RACY_NS


def folder_key(path: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    """Every file in ``path``: name, size, mtime, ctime, inode. OSError if it cannot be listed."""
    entries = []
    with os.scandir(path) as it:
        for e in it:
            st = e.stat()
            entries.append((e.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(sorted(entries))
