"""Cache entries on disk: every file the derived cache keeps is written and read here, and
nowhere else, so what makes an entry trustworthy is in one place (and carries over to any other
shape of the store):

- Each kind of file is declared (``kind``: the glob pattern of its names, by the module that
  keeps it); ``write`` refuses any other name, so every file in the cache folder is of a
  declared kind (tests/test_cache_damage.py damages each kind, enumerated from ``KINDS``).
- Written whole and durably: a temporary file in the same folder, fsynced, moved into place,
  the folder fsynced (safefile.replace_atomic): a reader sees the old entry or the new one, a
  crash leaves one of them.
- A header (``HEADER``) names the format, its version and the lengths, and holds two
  checksums: of everything after the header (XXH3-64, or CRC-32 where the xxhash module is
  missing: the header says which), and of the header itself (CRC-32). An entry that does not
  verify (a checksum that does not match, cut short or grown, a header damaged, a pickle that
  cannot be read or names a class not allowed, raw arrays that do not fit their layout) is
  dropped (deleted) and noted (``take_damaged``: the command says once on stderr that the cache
  was damaged and rebuilt); its caller rebuilds it from the record files. An entry of another
  format version (its header verified: another pilkada wrote it), of a checksum this run
  cannot compute, or of the format before checksums is stale, not damaged: rebuilt without a
  word.
- Then a pickle of the project's own plain data, read back by an unpickler that knows only the
  project's own plain classes (a planted file cannot run code); keys that change with every
  input and with the code that gives an entry its meaning.
- An entry may keep big arrays as raw bytes after its pickle, read back as views (mapped into
  memory copy-on-write where nothing but a replace changes the file): an update copies only
  the pages it changes. The checksum covers them: a read verifies the whole file, which costs
  ~3 ms for the 30 MB fold entry of the nation to district with XXH3 (CRC-32: ~9 ms;
  docs/performance.md), each megabyte let go of once verified: the run then holds only the
  pages it uses."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from pilkada_cli.base.safefile import open_nofollow, replace_atomic
from pilkada_cli.storage.recordfile import Sig

VERSION = 5  # 5: a header with checksums; the ids index's base is an entry (issue 28)
# A file changed within this long before an entry was written may change again with the same
# signature (coarse file-system clocks: FAT keeps 2 s): such a file is checked by content.
RACY_NS = 2_000_000_000
# What pickle itself names for the plain data entries hold (arrays, sets, dates, and the
# reconstructor of a dataclass with slots). The project's own classes are not listed: every
# frozen dataclass of the package may be held (``_Unpickler``), so a new one needs no entry
# here, and nothing else of the package can be named.
_PICKLE = {
    ("array", "array"), ("array", "_array_reconstructor"), ("builtins", "frozenset"),
    ("builtins", "set"), ("datetime", "date"), ("copyreg", "_reconstructor"),
    ("builtins", "object"),
}
# The package's reconstructors named by a ``__reduce__`` (an Instant: text and microseconds).
_REDUCERS = {("pilkada_cli.domain.instant", "_make")}

# --- the kinds of file ----------------------------------------------------------------------

KINDS: dict[str, str] = {}  # the glob pattern of a kind's file names -> the module keeping it


def kind(pattern: str, module: str) -> str:
    """Declare a kind of file the cache keeps: ``pattern`` is its names (one ``*`` at most).
    Returns the pattern."""
    KINDS[pattern] = module
    return pattern


def kind_of(name: str) -> str | None:
    """The declared kind (its pattern) a file name is of; None if none, or several."""
    found = [p for p in KINDS if _matches(name, p)]
    return found[0] if len(found) == 1 else None


def _matches(name: str, pattern: str) -> bool:
    head, star, tail = pattern.partition("*")
    if not star:
        return name == pattern
    return len(name) > len(head) + len(tail) and name.startswith(head) and name.endswith(tail)


# --- damaged entries ------------------------------------------------------------------------

_DAMAGED: list[str] = []  # names of the entries dropped as damaged since last taken


def take_damaged() -> list[str]:
    """The names of the entries found damaged (and dropped) since the last call."""
    found = list(_DAMAGED)
    _DAMAGED.clear()
    return found


def drop(path: Path) -> None:
    """A damaged derived file of a kind kept outside this module's format (its caller found it
    wrong): noted (``take_damaged``) and removed."""
    _drop(path)


def _drop(path: Path) -> None:
    """A damaged entry: noted, and removed so that no later run reads it again (its caller
    writes a new one when it can)."""
    _DAMAGED.append(path.name)
    with contextlib.suppress(OSError):
        path.unlink()


class _Stale(Exception):  # (an entry of another version: not an error)
    pass


# --- the format ------------------------------------------------------------------------------

# magic, format version, the pickle's length, the file's length, the checksum of everything
# after the header (its algorithm: one byte, then three zero bytes; the checksum: 8 bytes),
# four zero bytes, CRC-32 of the header's first 52 bytes. Then the pickle; with raw arrays
# (its "raw": name -> (typecode, start, count), "order": the byte order) zeros to a multiple
# of 8, then the arrays' bytes in this machine's order, each from a multiple of 8.
HEADER = struct.Struct("<16sIQQB3xQ4xI")
MAGIC = b"pilkada-cache\n\x00\x00"
CHECKSUMS = ((40, 48), (52, 56))  # where the two checksums are (the tests damage them)
CRC32, XXH3 = 1, 2  # the content's checksum
# the format before checksums: a plain pickle (protocol 5, framed), an entry with raw arrays,
# the ids index's base of keys
_OLD = (b"\x80\x05\x95", b"pilkada-raw-1\x00", b"pilkada-ids-keys\n")
_RAW_TYPES = frozenset("bBhHiIlLqQd")


class _Crc32:
    """zlib's CRC-32 as a hasher (``update``, ``intdigest``): the fallback."""

    def __init__(self) -> None:
        self.crc = 0

    def update(self, data: bytes | memoryview) -> None:
        self.crc = zlib.crc32(data, self.crc)

    def intdigest(self) -> int:
        return self.crc


def _hasher(algorithm: int) -> Any:
    """A new hasher of ``algorithm``; LookupError if this run cannot compute it."""
    if algorithm == XXH3:
        try:  # ~10 GB/s against zlib's CRC-32's ~3: a warm national run verifies 30 MB
            from xxhash import xxh3_64
        except ImportError:
            raise LookupError("no xxhash module") from None
        return xxh3_64()
    if algorithm == CRC32:
        return _Crc32()
    raise LookupError(f"checksum {algorithm}")


@cache
def _algorithm() -> int:
    """The checksum entries are written with: XXH3 where the module is installed."""
    try:
        _hasher(XXH3)
    except LookupError:
        return CRC32
    return XXH3


class _Unpickler(pickle.Unpickler):
    """Only plain data and the package's frozen dataclasses: a planted file cannot name
    anything else (no function to call, no class whose construction does something)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PICKLE or (module, name) in _REDUCERS:
            return super().find_class(module, name)
        if module.startswith("pilkada_cli.") and name.isidentifier():
            found = getattr(sys.modules.get(module), name, None)
            if found is None:  # (a module this run has not imported yet: the package's own)
                import importlib

                with contextlib.suppress(ImportError):
                    found = getattr(importlib.import_module(module), name, None)
            if storable(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")


def storable(cls: object) -> bool:
    """Whether an entry may hold instances of ``cls``: a frozen dataclass of the package."""
    import dataclasses

    return (isinstance(cls, type) and dataclasses.is_dataclass(cls)
            and cls.__module__.startswith("pilkada_cli.")
            and bool(cls.__dataclass_params__.frozen))  # type: ignore[attr-defined]


def read(path: Path, mapped: bool = False) -> dict[str, Any] | None:
    """The entry at ``path``; None if it is missing, unreadable, stale (another format
    version) or damaged (then it is dropped and noted: ``take_damaged``). An entry written with
    ``raw`` arrays has them as writable memoryviews under ``"raw"``: with ``mapped``, of the
    file mapped into memory copy-on-write (only the pages written are copied, the file never
    changes; for a file system nothing else truncates files on, cache/listing.py), else of one
    read of them."""
    try:
        fd = open_nofollow(path)
    except OSError:
        return None  # missing or unreadable: nothing was seen to be wrong
    try:
        with os.fdopen(fd, "rb") as f:
            return _load(f, mapped)
    except _Stale:
        return None
    except OSError:
        return None
    except Exception:  # (any entry that does not verify is dropped and rebuilt)
        _drop(path)
        return None


def _load(f: io.BufferedReader, mapped: bool) -> dict[str, Any]:
    """The entry in ``f``, verified; ValueError (or any error of unpickling) if it does not
    verify, _Stale if it is of another version."""
    head = f.read(HEADER.size)
    if len(head) < HEADER.size or not head.startswith(MAGIC):
        if head.startswith(_OLD):
            raise _Stale
        raise ValueError("not a cache entry")
    _magic, version, size, total, algorithm, content, check = HEADER.unpack(head)
    if zlib.crc32(head[:52]) != check:
        raise ValueError("a damaged header")
    if version != VERSION:
        raise _Stale
    try:
        summed = _hasher(algorithm)
    except LookupError:
        raise _Stale from None  # (written where xxhash was installed, read where it is not)
    if os.fstat(f.fileno()).st_size != total or total < HEADER.size + size:
        raise ValueError("cut short, or grown")
    base = _aligned(HEADER.size + size)  # where the raw arrays start
    if mapped and total > base:  # private: an update writes its own copy of the pages it changes
        import mmap

        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        whole = memoryview(mapping)
        _mapped_sum(summed, mapping, whole, total)
        if summed.intdigest() != content:
            raise ValueError("a bad checksum")
        body: bytes | memoryview = whole[HEADER.size:HEADER.size + size]
        data = whole[base:]
    else:
        body = f.read(size)
        rest = bytearray(total - HEADER.size - size)
        if len(body) != size or f.readinto(rest) != len(rest):
            raise ValueError("cut short")
        summed.update(body)
        summed.update(rest)
        if summed.intdigest() != content:
            raise ValueError("a bad checksum")
        data = memoryview(rest)[base - HEADER.size - size:]
    obj = _Unpickler(io.BytesIO(body)).load()
    if type(obj) is not dict:
        raise ValueError("not an entry")
    if "raw" in obj:
        if obj.pop("order", None) != sys.byteorder:
            raise _Stale  # another machine's (the folder was copied)
        obj["raw"] = _views(obj["raw"], data)
    return obj


_STEP = 1 << 20  # verified a megabyte at a time (a multiple of every page size)


def _mapped_sum(summed: Any, mapping: Any, whole: memoryview, total: int) -> None:
    """Hash a mapped entry's content into ``summed``, each megabyte let go of once read
    (nothing was written to the mapping yet, so the kernel maps it again from the file when a
    view reads it): verifying reads every page, and the run then holds only the pages it
    uses."""
    import mmap

    drop = getattr(mmap, "MADV_DONTNEED", None)
    for at in range(0, total, _STEP):
        n = min(_STEP, total - at)
        summed.update(whole[max(at, HEADER.size):at + n])
        if drop is not None:
            mapping.madvise(drop, at, n)


def _views(layout: object, data: memoryview) -> dict[str, memoryview]:
    """The raw arrays as views of ``data``, by their layout; ValueError if they do not fit."""
    if type(layout) is not dict:
        raise ValueError("not a layout")
    raw = {}
    for name, (code, start, count) in layout.items():
        if code not in _RAW_TYPES or type(start) is not int or type(count) is not int:
            raise ValueError("not a layout")
        end = start + count * array(code).itemsize
        if start < 0 or start % 8 or end > len(data) or count < 0:
            raise ValueError("arrays that do not fit")
        raw[name] = data[start:end].cast(code)
    return raw


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
    except Exception as e:  # (corrupt: the caller rebuilds the entry)
        raise ValueError("a damaged packed part") from e
    if type(obj) is not dict:
        raise ValueError("not a packed part")
    return obj


class _Summed:
    """A file being written, and the checksum (``summed``) and length of what was written."""

    def __init__(self, f: BinaryIO, algorithm: int) -> None:
        self.f, self.summed, self.n = f, _hasher(algorithm), 0

    def write(self, data: bytes | memoryview) -> int:
        self.summed.update(data)
        self.n += memoryview(data).nbytes
        return self.f.write(data)


def write(path: Path, obj: dict[str, Any],
          raw: Mapping[str, array[Any] | memoryview] | None = None) -> bool:
    """Write an entry whole and durably (True); any failure leaves the old entry (or none) and
    is not an error (False). ``raw``: big arrays kept as their bytes after the pickle, read
    back as views (``read``): an update changes only the pages it must. ValueError for a name
    of no declared kind (``kind``)."""
    if kind_of(path.name) is None:
        raise ValueError(f"{path.name} is of no declared kind of cache file")

    def dump(f: BinaryIO) -> None:
        f.write(bytes(HEADER.size))
        algorithm = _algorithm()
        out = _Summed(f, algorithm)
        if raw is None:
            pickle.dump(obj, out, protocol=pickle.HIGHEST_PROTOCOL)
            size = out.n
        else:
            layout, at = {}, 0
            for name, arr in raw.items():
                code = arr.typecode if isinstance(arr, array) else arr.format  # (one letter)
                layout[name] = (code, at, len(arr))
                at = _aligned(at + len(arr) * arr.itemsize)
            # (streamed, as above: the fold entry's pickle, ~10-20 MB at the nation-to-district
            # scale, is never held whole beside what it pickles: the first build's peak)
            pickle.dump({**obj, "order": sys.byteorder, "raw": layout}, out,
                        protocol=pickle.HIGHEST_PROTOCOL)
            size = out.n
            out.write(bytes(_aligned(HEADER.size + size) - HEADER.size - size))
            for arr in raw.values():
                n = len(arr) * arr.itemsize
                out.write(memoryview(arr).cast("B"))
                out.write(bytes(_aligned(n) - n))
        head = HEADER.pack(MAGIC, VERSION, size, HEADER.size + out.n, algorithm,
                           out.summed.intdigest(), 0)
        f.seek(0)
        f.write(head[:52] + zlib.crc32(head[:52]).to_bytes(4, "little"))

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(path, dump, mode=None, durable=True)
    except (OSError, pickle.PicklingError, RecursionError):
        return False
    return True


def differing(kept: array[int], now: array[int], n: int) -> list[int]:
    """The positions (of ``n`` files) whose five integers (signatures) differ, 256 files
    compared at once."""
    out: list[int] = []
    for b in range(0, 5 * n, 1280):
        if kept[b:b + 1280] != now[b:b + 1280]:
            out += [i // 5 for i in range(b, min(b + 1280, 5 * n), 5)
                    if kept[i:i + 5] != now[i:i + 5]]
    return out


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
def code_key() -> str:
    """The signature of the package as installed: every file of it (its code, its words, its
    region data), by name, size and mtime. Every entry is keyed by it, so any change to any of
    them (an upgrade, a developer's edit) makes every entry stale: what gives an entry its
    meaning is never a list someone must keep. ~0.3 ms a run (130 files)."""
    here = Path(__file__).parents[2]
    out: list[tuple[str, int, int]] = []

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        walk(e.path, f"{prefix}{e.name}/")
                elif not e.name.endswith((".pyc", ".pyo")):
                    st = e.stat()
                    out.append((prefix + e.name, st.st_size, st.st_mtime_ns))

    with contextlib.suppress(OSError):
        walk(str(here), "")
    return key(sorted(out))


def racy(sig: Sig | None, written: int) -> bool:
    """Whether a file with this signature may have changed since ``written`` unseen."""
    return sig is None or max(sig[1], sig[2]) >= written - RACY_NS


def folder_key(path: Path, content: bool = False) -> tuple[tuple[str, int, int, int, int], ...]:
    """Every file in ``path``: name, size, mtime, ctime, inode (not the folder's path nor the
    device: a moved or remounted folder keeps its key); with ``content`` (times that cannot be
    trusted: cache/listing.py), name, size and the content's digest in the inode's place
    (below zero, as no inode is), times zero (as listing.with_content), any other entry by its
    name alone. OSError if it cannot be listed or a file read."""
    entries = []
    with os.scandir(path) as it:
        for e in it:
            if not content:
                st = e.stat()
                entries.append((e.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
            elif e.is_file():  # (checklists: a few small YAML files)
                data = Path(e.path).read_bytes()
                digest = -1 - (int.from_bytes(blake2b(data)[:8], "little") >> 1)
                entries.append((e.name, len(data), 0, 0, digest))
            else:
                entries.append((e.name, 0, 0, 0, 0))
    return tuple(sorted(entries))
