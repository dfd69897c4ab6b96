"""Journal: the record files of a workspace, read and appended to. The source of truth.

Layout inside a workspace's ``records/`` folder::

    records/<region>/<origin>.jsonl        events (events.py line format); ONE writing origin each
    records/<region>/<origin>.jsonl.rejected.jsonl   lines `repair` moved aside (keep: evidence)
    records/<region>/<origin>.jsonl.lock   local-only: lock file
    records/<region>/<origin>.jsonl.torn-<utc>       local-only: torn last line fenced off by append
    records/<region>/.<origin>.jsonl.*.tmp local-only: repair's temp file, only while it runs
    records/.local/                        local-only: per-origin seq counters and their locks

Local-only patterns (``.gitignore``): ``*.lock``, ``*.torn-*``, ``*.tmp``, ``.local/``.

Because every file has exactly one writing origin (origin.py), a git merge of two offices only
adds files or appends to a file that one side wrote: no conflicts. Writers hold ``<file>.lock``
(filelock, OS lock) for every append and fsync before returning; readers never lock and never
wait, and tolerate exactly one torn last line. Several events written by one ``append`` call
share a batch id; a batch that is not complete across all files is left out of ``read`` (all or
nothing even across files, without a cross-file commit protocol). The recipe and its failure
modes: docs/reliability.md section 1.1.

Reading goes through the one record reader (recordfile.py): ``snapshot`` lists the files,
``scan`` parses and merges them, ``read`` returns the events that count. A caller that keeps
parses (the derived cache, cache/) passes them in through ``scan``'s ``parse``; the journal
itself knows nothing of any cache. ``verify`` and ``repair`` are in verify.py.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pilkada_cli.base.errors import InputError, StorageError, os_reason
from pilkada_cli.base.gcpause import gc_paused
from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, quiet, steps
from pilkada_cli.base.safefile import (
    FILE_MODE,
    Refused,
    check_regular,
    create_new,
    fsync_dir,
    make_dir,
    mode_in,
    open_nofollow,
    read_at,
    refuse_link,
    set_mode,
    write_fully,
)
from pilkada_cli.domain.events import (
    LINE_MAX_BYTES,
    ORIGIN_RE,
    REGION_RE,
    SEQ_AUTO,
    Event,
    new_event_id,
    numbered,
    order_key,
    parse_line,
    to_line,
)
from pilkada_cli.storage.recordfile import (
    FileParse,
    Finding,
    RecordFile,
    Scan,
    complete_object,
    merge,
    parse_file,
    refuse_unreadable,
)
from pilkada_cli.storage.recordlist import Folders, list_files, region_folders

if TYPE_CHECKING:
    from filelock import FileLock

LOCK_TIMEOUT = 10.0  # seconds; cron simply retries on its next run
_CHUNK = 1 << 16
_LOCAL = ".local"

ParseFn = Callable[[RecordFile], FileParse]


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Events in ``order_key`` order, plus what the caller should show in a banner."""

    events: list[Event]
    warnings: list[Finding]  # torn last lines, incomplete batches: expected after a crash
    problems: list[Finding]  # corruption: run `pilkada verify`


def reason(exc: OSError) -> str:
    """Why a file operation failed, in words a user can act on."""
    return str(exc) if isinstance(exc, Refused) else os_reason(exc)


def file_lock(path: str) -> FileLock:
    """An OS lock (flock / LockFileEx) on ``path``. Never a soft lock: one that only looks at
    whether a file exists can be broken while its holder still writes (reliability.md §1).
    filelock is imported here: reading records never locks, so it need not pay for it."""
    from filelock import FileLock

    # The lock file's mode as a record file's in its folder: every account of a shared folder's
    # group must be able to open it (filelock sets it where it can). The soft fallback is
    # switched off through a mapping: filelock < 4 (also allowed) has neither the fallback nor
    # the keyword, and its type hints say so.
    mode = mode_in(os.path.dirname(path) or ".") or FILE_MODE
    no_soft: dict[str, Any] = {"fallback_to_soft": False}
    try:
        return FileLock(path, timeout=LOCK_TIMEOUT, mode=mode, **no_soft)
    except TypeError:  # filelock < 4: no soft fallback to switch off
        return FileLock(path, timeout=LOCK_TIMEOUT, mode=mode)


def _utc_stamp() -> str:
    # no colons: the stamp is part of a file name, also on Windows
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _reverse_lines(f: BinaryIO, size: int) -> Iterator[bytes]:
    """Lines of ``f`` from the end. The first one yielded is the part after the last newline.

    A line above LINE_MAX_BYTES comes out empty (it cannot be an event): gathering a huge line
    chunk by chunk would copy it over and over."""
    end, rest, long = size, b"", False
    while end > 0:
        start = max(0, end - _CHUNK)
        f.seek(start)
        parts = f.read(end - start).split(b"\n")
        tail = b"" if long else parts[-1] + rest  # the line the previous chunk began
        long = long or len(tail) > LINE_MAX_BYTES
        if len(parts) > 1:
            yield b"" if long else tail
            yield from reversed(parts[1:-1])
            rest, long = parts[0], False
        else:
            rest = b"" if long else tail
        end = start
    yield b"" if long else rest


class Journal:
    """Append-only event files under ``records_dir``; see the module docstring."""

    def __init__(self, records_dir: Path) -> None:
        self.root = Path(records_dir)
        self.label = self.root.name or "records"

    # paths and listing

    def record_file(self, region: str, origin: str) -> RecordFile:
        """The data file of ``region`` written by ``origin`` (whether it exists or not)."""
        # Validated by regex before any path join: no "..", no absolute paths, no drive letters.
        if not REGION_RE.fullmatch(region):
            raise InputError(_("invalid region code {code!r}; expected e.g. 16.71").format(
                code=region))
        if not ORIGIN_RE.fullmatch(origin):
            raise InputError(_("invalid origin id {origin!r}").format(origin=origin))
        return RecordFile(region, origin, os.path.join(self.root, region, f"{origin}.jsonl"),
                          f"{self.label}/{region}/{origin}.jsonl")

    def snapshot(self, regions: Collection[str] | None = None, strays: bool = False,
                 folders: Folders | None = None) -> tuple[list[RecordFile], list[Finding]]:
        """Every data file (of ``regions``, None = all) in path order with its signature, and
        what the listing found (recordlist.list_files; ``folders``: the names of folders
        listed before). Raises InputError for a malformed region code, StorageError if
        records/ is unreadable."""
        return list_files(self.root, self.label, regions, strays, folders)

    def _origin_files(self, origin: str) -> list[RecordFile]:
        """This origin's files, one per region folder (O(regions) stats, no reading)."""
        if not ORIGIN_RE.fullmatch(origin):
            raise InputError(_("invalid origin id {origin!r}").format(origin=origin))
        files = []
        for region in region_folders(self.root, self.label):
            df = self.record_file(region, origin)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(df.path).st_mode):  # not a symlink, not missing
                    files.append(df)
        return files

    # reading

    def scan(self, regions: Collection[str] | None = None, *, strays: bool = False,
             listing: tuple[list[RecordFile], list[Finding]] | None = None,
             parse: ParseFn | None = None, unreadable_ok: bool = False) -> Scan:
        """Parse and merge the data files (of ``regions``, None = all): every event with its
        place, and every finding. ``listing`` is a ``snapshot`` already taken; ``parse`` gives
        a file's parse (default: read it now), e.g. one a cache kept for its signature. A file
        or folder that cannot be read raises StorageError naming each (what is read would be
        incomplete), unless ``unreadable_ok`` (``verify``: then it is a finding)."""
        files, found = listing if listing is not None else self.snapshot(regions, strays)
        if parse is None:
            memo: dict[str, str] = {}

            def parse(f: RecordFile) -> FileParse:
                return parse_file(f, memo)

        with gc_paused():
            parses = [parse(f) for f in files]
            scan = merge(parses, found, full=regions is None)
        if not unreadable_ok:
            refuse_unreadable(scan.problems)
        return scan

    def read(self, regions: Collection[str] | None = None, *,
             listing: tuple[list[RecordFile], list[Finding]] | None = None,
             parse: ParseFn | None = None) -> ReadResult:
        """All good events of ``regions`` (None = all), sorted by order_key; never locks.

        Raises InputError for a malformed region code, StorageError if records/ or any record
        file or region folder cannot be read (naming each). Bad lines do not raise: they are
        skipped and listed in ``problems``/``warnings``.
        ``listing`` and ``parse``: as for ``scan``.
        """
        scan = self.scan(regions, listing=listing, parse=parse)
        with gc_paused():
            events = [ev for ev in scan.events if ev.batch not in scan.incomplete]
            events.sort(key=order_key)
        return ReadResult(events, scan.warnings, scan.problems)

    def event_at(self, region: str, origin: str, offset: int) -> Event:
        """The event whose line starts at ``offset`` in a data file (as a cache located it).
        ValueError if that is not a good event of this file (the file changed since)."""
        return self.events_at(region, origin, [offset])[0]

    def events_at(self, region: str, origin: str, offsets: Sequence[int]) -> list[Event]:
        """``event_at`` of several offsets of one file, with the file opened once (read whole
        when most of it is wanted)."""
        df = self.record_file(region, origin)
        fd = open_nofollow(df.path)
        try:
            size = os.fstat(fd).st_size
            whole = read_at(fd, 0, size) if 400 * len(offsets) > size else None
            lines = [self._line_at(fd, offset, whole) for offset in offsets]
        finally:
            os.close(fd)
        out = []
        for offset, raw in zip(offsets, lines, strict=True):
            ev = parse_line(raw.rstrip(b"\r").decode("utf-8"))
            if ev.region != region or ev.origin != origin:
                raise ValueError(_("{path} has no event of its own at byte {offset}").format(
                    path=df.shown, offset=offset))
            out.append(ev)
        return out

    @staticmethod
    def _line_at(fd: int, offset: int, whole: bytes | None) -> bytes:
        """The line starting at ``offset`` (at most LINE_MAX_BYTES + 1 of it: a longer line is
        no event, and parse_line says so)."""
        if whole is not None:
            end = whole.find(b"\n", offset, offset + LINE_MAX_BYTES + 1)
            return whole[offset:end if end >= 0 else offset + LINE_MAX_BYTES + 1]
        chunk = bytearray()
        while len(chunk) <= LINE_MAX_BYTES:
            more = read_at(fd, offset + len(chunk), 4096)
            end = more.find(b"\n")
            chunk += more[:end] if end >= 0 else more
            if end >= 0 or len(more) < 4096:
                break
        return bytes(chunk)

    def last_seq(self, origin: str) -> int:
        """Highest seq ``origin`` wrote: reads only the last lines of its files, and its counter.

        Raises InputError for a malformed origin, StorageError if a file cannot be read.
        """
        try:
            return self._max_seq(origin)
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=self.where(e), reason=reason(e))) from e

    def last_event(self, origin: str, by: str | None = None) -> Event | None:
        """Newest event (by ``recorded``) of ``origin``, optionally only those ``by`` a person.

        Reads each of the origin's files backwards from its end, so it is cheap whoever wrote
        recently. The event may belong to a batch: undo the whole batch if it does.
        """
        best: Event | None = None
        try:
            for df in self._origin_files(origin):
                ev = self._tail_event(df, by)
                if ev and (best is None or (ev.recorded.us, ev.id) >
                           (best.recorded.us, best.id)):
                    best = ev
        except OSError as e:
            raise StorageError(_("cannot read {path}: {reason}").format(
                path=self.where(e), reason=reason(e))) from e
        return best

    def _max_seq(self, origin: str) -> int:
        best = self._load_counter(origin) or 0
        for df in self._origin_files(origin):
            ev = self._tail_event(df, None)
            best = max(best, ev.seq if ev else 0)
        return best

    @staticmethod
    def _tail_event(df: RecordFile, by: str | None) -> Event | None:
        """The last good event in ``df`` (by ``by``, if given), reading from the end."""
        try:
            fd = open_nofollow(df.path)
        except OSError as e:
            if isinstance(e, FileNotFoundError) or e.errno == errno.ELOOP:
                return None  # no file, or a symlink: not a record file (append refuses it)
            raise
        with os.fdopen(fd, "rb") as f:
            for raw in _reverse_lines(f, os.fstat(fd).st_size):
                try:
                    ev = parse_line(raw.rstrip(b"\r").decode("utf-8"))
                except (ValueError, RecursionError):
                    continue  # torn tail or corrupt line: look further back
                if ev.region == df.region and ev.origin == df.origin and (
                        by is None or ev.by == by):
                    return ev
        return None

    def where(self, e: OSError) -> str:
        """The file of an OSError as shown to users (records/...), else the records folder."""
        if e.filename and not isinstance(e, Refused):
            with contextlib.suppress(ValueError):
                rel = Path(os.fsdecode(e.filename)).relative_to(self.root).as_posix()
                return f"{self.label}/{rel}" if rel != "." else self.label
        return self.label

    # appending

    def append(self, events: Sequence[Event], *, as_is: bool = False,
               progress: Progress = quiet) -> list[Event]:
        """Durably append ``events``, all or nothing; returns them as written (each serialised
        once, after it is numbered).

        Events with ``seq == SEQ_AUTO`` get the next per-origin numbers. If no event carries a
        batch id and there are several, they get a fresh shared batch id and ``batch_size``,
        unless ``as_is`` (copies of other offices' events, `pilkada import`: written unchanged).
        Raises InputError for an id given twice (nothing written) and StorageError("NOT saved:
        ...") for any storage failure, after undoing whatever this call had written.
        ``progress`` hears of each file written and made durable (a bulk import writes hundreds).
        """
        evs = self._stamp_batch(list(events), as_is)
        if not evs:
            return []
        targets = self._targets(evs)
        self._prepare_folders(targets)
        with self._locked(targets, {ev.origin for ev in evs}):
            try:
                evs = self._assign_seqs(evs, targets)
            except OSError as e:
                raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=reason(e), path=self.where(e))) from e
            lines: dict[RecordFile, list[bytes]] = {df: [] for df in targets}
            for ev, df in zip(evs, targets, strict=True):
                lines[df].append(to_line(ev))
            self._write_all({df: b"".join(chunk) for df, chunk in lines.items()}, progress)
            self._save_counters(evs)
        return evs

    @staticmethod
    def _stamp_batch(evs: list[Event], as_is: bool = False) -> list[Event]:
        ids = {ev.id for ev in evs}
        if len(ids) != len(evs):
            raise InputError(_("the same event id appears twice in one write"))
        if as_is or len(evs) < 2 or any(ev.batch is not None for ev in evs):
            return evs  # single event, or batches already set (e.g. events copied from files)
        batch = new_event_id()
        return [numbered(ev, batch=batch, batch_size=len(evs)) for ev in evs]

    def _targets(self, evs: list[Event]) -> list[RecordFile]:
        """The file of each event (before any side effect). The events need no checking: an
        Event is checked when it is built (events.Event)."""
        return [self.record_file(ev.region, ev.origin) for ev in evs]

    def _prepare_folders(self, targets: list[RecordFile]) -> None:
        try:
            if not os.path.lexists(self.root.parent):  # e.g. the default workspace's first run
                self.root.parent.mkdir(parents=True, exist_ok=True)
            make_dir(self.root)
            make_dir(self.root / _LOCAL)
            for region in sorted({df.region for df in targets}):
                make_dir(self.root / region)
                self._check_inside(self.root / region)
        except OSError as e:
            raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=reason(e), path=self.where(e))) from e

    def _check_inside(self, folder: Path) -> None:
        # Belt and braces after the regex: the resolved folder must sit directly in records/.
        real = Path(os.path.realpath(folder))
        if real.parent != Path(os.path.realpath(self.root)):
            raise Refused(_("{name} resolves outside {records}").format(
                name=folder.name, records=self.label))

    @contextlib.contextmanager
    def hold_all(self) -> Iterator[None]:
        """Hold every record file's lock, so that no append is half-written while git commits
        or merges the folder (`pilkada sync`, reliability.md section 2). StorageError if a
        writer holds one beyond the timeout."""
        files, _listing = self.snapshot()
        with self._locked(files, set()):
            yield

    @contextlib.contextmanager
    def _locked(self, targets: list[RecordFile], origins: set[str]) -> Iterator[None]:
        """Hold every target file's lock and each origin's counter lock, in sorted path order so
        that two writers can never wait for each other."""
        from filelock import Timeout

        paths = {df.path + ".lock": df.shown for df in targets}
        for origin in origins:
            paths[str(self.root / _LOCAL / f"{origin}.lock")] = f"{self.label}/{_LOCAL}"
        with contextlib.ExitStack() as stack:
            for path in sorted(paths):
                lock = file_lock(path)
                try:
                    stack.enter_context(lock)
                except Timeout:
                    raise StorageError(_("NOT saved: another pilkada run is writing {path}; "
                                         "try again").format(path=paths[path])) from None
                except OSError as e:
                    raise StorageError(_("NOT saved: {reason} ({path})").format(
                        reason=reason(e), path=f"{paths[path]}.lock")) from e
            yield

    # per-origin counters (a cache: the files stay the source of truth)

    def _counter_path(self, origin: str) -> Path:
        return self.root / _LOCAL / f"{origin}.seq"

    def _load_counter(self, origin: str) -> int | None:
        try:
            fd = open_nofollow(self._counter_path(origin))
            try:
                text = os.read(fd, 64).decode("ascii")
            finally:
                os.close(fd)
            if text.startswith("seq ") and text.endswith("\n"):
                return int(text[4:-1])
        except (OSError, ValueError):
            pass
        return None

    def _assign_seqs(self, evs: list[Event], targets: list[RecordFile]) -> list[Event]:
        """Number SEQ_AUTO events per origin, under the origin lock: never below what the
        counter or the target files' last lines say, so seq rises within every file."""
        base: dict[str, int] = {}
        out = []
        for ev in evs:
            if ev.seq != SEQ_AUTO:
                out.append(ev)
                continue
            if ev.origin not in base:
                base[ev.origin] = self._seq_base(ev.origin, targets)
            base[ev.origin] += 1
            out.append(numbered(ev, seq=base[ev.origin]))
        return out

    def _seq_base(self, origin: str, targets: list[RecordFile]) -> int:
        counter = self._load_counter(origin)
        if counter is None:
            return self._max_seq(origin)  # once per workspace copy: reads every file's tail
        tails = [self._tail_event(df, None) for df in set(targets) if df.origin == origin]
        return max([counter] + [ev.seq for ev in tails if ev is not None])

    def _save_counters(self, evs: list[Event]) -> None:
        top: dict[str, int] = {}
        for ev in evs:
            top[ev.origin] = max(top.get(ev.origin, 0), ev.seq)
        for origin, seq in top.items():
            if seq <= (self._load_counter(origin) or 0):
                continue
            try:  # a cache: losing it costs one slow last_seq, so no fsync and no error
                path = self._counter_path(origin)
                created, wanted = not os.path.lexists(path), mode_in(path.parent)
                fd = open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                   wanted or FILE_MODE)
                try:
                    if created:  # (the group of a shared folder may update it too)
                        set_mode(fd, wanted, path)
                    write_fully(fd, f"seq {seq}\n".encode("ascii"))
                finally:
                    os.close(fd)
            except OSError:
                pass

    # the write transaction

    def _write_all(self, payload: dict[RecordFile, bytes], progress: Progress = quiet) -> None:
        """Write every file's lines and fsync them; on any OSError undo all, then raise."""
        opened: list[tuple[RecordFile, int, int, bool]] = []  # file, fd, size before, created
        current = next(iter(payload))
        step = steps(progress, _("Saving record files"), 2 * len(payload), 16)
        try:
            for df, data in sorted(payload.items(), key=lambda kv: kv[0].path):
                step(len(opened))
                current = df
                created = refuse_link(Path(df.path))
                fd = open_nofollow(df.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
                opened.append((df, fd, -1, created))
                size = self._ready_for_append(df, fd, created)
                opened[-1] = (df, fd, size, created)
                write_fully(fd, data)
            for n, (df, fd, _size, _created) in enumerate(opened, len(opened) + 1):
                current = df
                os.fsync(fd)  # never retried: after a failed fsync the kernel may drop the pages
                step(n)
            for df in {df for df, _fd, _size, created in opened if created}:
                current = df
                fsync_dir(Path(df.path).parent)
        except BaseException as exc:
            undo = self._roll_back(opened)
            if isinstance(exc, OSError):
                raise StorageError(_("NOT saved: {reason} ({path})").format(
                    reason=reason(exc), path=current.shown) + undo) from exc
            raise
        finally:
            for _df, fd, _size, _created in opened:
                os.close(fd)

    def _ready_for_append(self, df: RecordFile, fd: int, created: bool) -> int:
        """Check the opened file and end it with a newline; return its size before our lines."""
        if created:
            set_mode(fd, mode_in(os.path.dirname(df.path)), df.path)
        check_regular(fd)
        size = os.fstat(fd).st_size
        if size and read_at(fd, size - 1, 1) != b"\n":
            size = self._fence_tail(df, fd, size)
        return size

    def _fence_tail(self, df: RecordFile, fd: int, size: int) -> int:
        """Deal with a last line without newline (every writer holds the lock, so it was left by
        a crashed writer): a whole record gets its newline; a torn one is copied beside the file
        and cut off, so the next line is not glued onto it."""
        start = self._last_line_start(fd, size)
        tail = read_at(fd, start, size - start)
        if complete_object(tail):
            write_fully(fd, b"\n")
            os.fsync(fd)
            return size + 1
        create_new(Path(f"{df.path}.torn-{_utc_stamp()}"), tail)
        os.ftruncate(fd, start)
        os.fsync(fd)
        return start

    @staticmethod
    def _last_line_start(fd: int, size: int) -> int:
        """Offset just after the last newline before ``size`` (0 if there is none)."""
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            pos = read_at(fd, start, end - start).rfind(b"\n")
            if pos >= 0:
                return start + pos + 1
            end = start
        return 0

    @staticmethod
    def _roll_back(opened: list[tuple[RecordFile, int, int, bool]]) -> str:
        """Cut every file back to its size before this call; '' or why that failed."""
        failed = []
        for df, fd, size, created in opened:
            try:
                if size >= 0:  # else it failed before anything was written to it
                    os.ftruncate(fd, size)
                if created:
                    os.unlink(df.path)
            except OSError as e:
                failed.append(f"{df.shown}: {reason(e)}")
                continue
            # Every reader now sees the old content. Making the cut durable is best effort: the
            # disk may be what failed, and the lines were never fsynced in the first place.
            with contextlib.suppress(OSError):
                os.fsync(fd)
        if not failed:
            return ""
        return "; " + _("could not undo the partial write ({files})").format(
            files="; ".join(failed))
