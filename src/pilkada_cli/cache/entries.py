"""Cache entries on disk: one pickle per entry, written whole, read back by an unpickler that
knows only the project's own plain classes; keys that change with every input and with the
code that gives an entry its meaning. An entry may keep big arrays as raw bytes after its
pickle, read back as views (mapped into memory, copy-on-write, where nothing but a replace
changes the file): a run reads only the parts it uses, and an update copies only the pages it
changes."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import sys
from array import array
from collections.abc import Mapping
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
           "recurrence.py", "cache/dues.py", "views.py", "cache/listing.py", "variants.py")
_ALLOWED = {
    ("array", "array"), ("array", "_array_reconstructor"), ("builtins", "frozenset"),
    ("builtins", "set"), ("datetime", "date"), ("copyreg", "_reconstructor"),
    ("builtins", "object"), ("pilkada_cli.checklist", "Cycle"),
    ("pilkada_cli.checklist", "Stage"), ("pilkada_cli.checklist", "Item"),
    ("pilkada_cli.checklist", "Measure"), ("pilkada_cli.elections", "Election"),
    ("pilkada_cli.elections", "OwnerAlias"), ("pilkada_cli.workspace", "Config"),
    ("pilkada_cli.workspace", "Thresholds"), ("pilkada_cli.offices", "Office"),
    ("pilkada_cli.instant", "_make"),  # an Instant (text, microseconds) of a kept event
    ("pilkada_cli.variants", "Variant"), ("pilkada_cli.checklist", "DateRef"),
}


class _Unpickler(pickle.Unpickler):
    """Only the classes this package writes: a planted file cannot name anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")
        return super().find_class(module, name)


def read(path: Path, mapped: bool = False) -> dict[str, Any] | None:
    """The entry at ``path``; None if it is missing, unreadable, corrupt or of another version.
    An entry written with ``raw`` arrays has them as writable memoryviews under ``"raw"``:
    with ``mapped``, of the file mapped into memory copy-on-write (only the pages read are
    loaded, only those written are copied, the file never changes; for a file system nothing
    else truncates files on, cache/listing.py), else of one read of them."""
    try:
        with os.fdopen(open_nofollow(path), "rb") as f:
            if f.read(len(_RAW_MAGIC)) != _RAW_MAGIC:
                f.seek(0)
                obj = _Unpickler(f).load()
            else:
                obj = _with_raw(f, mapped)
    except Exception:  # noqa: BLE001 (any unreadable or corrupt entry is simply rebuilt)
        return None
    if type(obj) is not dict or obj.get("v") != VERSION:
        return None
    return obj


# An entry with raw arrays: this, the pickle's length (8 bytes, little-endian), the pickle
# (its "raw": name -> (typecode, start, count)), zeros to a multiple of 8, then the arrays'
# bytes in this machine's order, each from a multiple of 8.
_RAW_MAGIC = b"pilkada-raw-1\x00\x00\x00"
_RAW_TYPES = frozenset("bBhHiIlLqQd")


def _with_raw(f: io.BufferedReader, mapped: bool) -> object:
    size = int.from_bytes(f.read(8), "little")
    obj = _Unpickler(io.BytesIO(f.read(size))).load()
    if type(obj) is not dict or obj.get("order") != sys.byteorder:
        return None
    layout = obj.pop("raw")
    base = _aligned(len(_RAW_MAGIC) + 8 + size)
    if mapped:  # private: an update writes its own copy of the pages it changes
        import mmap

        data = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY))[base:]
    else:
        f.seek(0, os.SEEK_END)
        buf = bytearray(max(0, f.tell() - base))
        f.seek(base)
        if f.readinto(buf) != len(buf):
            return None
        data = memoryview(buf)
    raw = {}
    for name, (code, start, count) in layout.items():
        if code not in _RAW_TYPES or type(start) is not int or type(count) is not int:
            return None
        end = start + count * array(code).itemsize
        if start < 0 or start % 8 or end > len(data) or count < 0:
            return None
        raw[name] = data[start:end].cast(code)
    obj["raw"] = raw
    return obj


def _aligned(n: int) -> int:
    return (n + 7) // 8 * 8


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


def write(path: Path, obj: dict[str, Any],
          raw: Mapping[str, array[Any] | memoryview] | None = None) -> None:
    """Write an entry whole; any failure leaves the old entry (or none) and is not an error.
    Not fsynced: an entry lost in a crash is rebuilt. ``raw``: big arrays kept as their bytes
    after the pickle, read back as views (``read``): a warm run reads only what it shows."""

    def dump(f: BinaryIO) -> None:
        if raw is None:
            pickle.dump({**obj, "v": VERSION}, f, protocol=pickle.HIGHEST_PROTOCOL)
            return
        layout, at = {}, 0
        for name, arr in raw.items():
            code = arr.typecode if isinstance(arr, array) else arr.format  # (a view's: one letter)
            layout[name] = (code, at, len(arr))
            at = _aligned(at + len(arr) * arr.itemsize)
        body = pickle.dumps({**obj, "v": VERSION, "order": sys.byteorder, "raw": layout},
                            protocol=pickle.HIGHEST_PROTOCOL)
        head = _RAW_MAGIC + len(body).to_bytes(8, "little")
        f.write(head)
        f.write(body)
        f.write(bytes(_aligned(len(head) + len(body)) - len(head) - len(body)))
        for arr in raw.values():
            f.write(arr)
            f.write(bytes(_aligned(len(arr) * arr.itemsize) - len(arr) * arr.itemsize))

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
