"""The log's events, newest first, from the kept keys (logkeys.py) under the rules across files
(logrules.py), in memory that does not grow with the records: which events of each file a
query shows (``Part``), what the table's columns need of them (a ``history.LogSummary``: from a
file's catalog entry where every event of it is shown, else from its keys), how many there are,
and the events themselves, merged across files (each file's keys are in order already) and read
from their lines only as they are shown.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import struct
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence

from pilkada_cli.base.errors import StorageError
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import open_nofollow
from pilkada_cli.domain.events import STATUSES, Event, parse_line
from pilkada_cli.domain.history import LogQuery, LogSummary
from pilkada_cli.domain.regions import timezone_of, within
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.logfile import (
    AT,
    BATCH,
    BY,
    DAY,
    DAY_US,
    EPOCH_ORDINAL,
    EV_CELLS,
    EV_LEN,
    EVIDENCE,
    FLAGS,
    ID,
    ITEM,
    LENGTH,
    NOTE,
    NOTE_CELLS,
    NOTE_LEN,
    OFFSET,
    PROGRESS,
    REC,
    RECORDED,
    STATUS,
    UNDO,
    FileKeys,
    Held,
    Rec,
    digits,
    pread,
    zone_offset,
)
from pilkada_cli.storage.cache.logkeys import Province
from pilkada_cli.storage.cache.logrules import Rules

BUDGET = 8 << 20  # bytes of keys held at once across every file being merged
_INVERT = bytes(255 - b for b in range(256))


def _damaged(k: FileKeys) -> StorageError:
    return StorageError(_("the record files changed while being read ({reason}); run the "
                          "command again").format(reason=k.shown))


_ITEM_AT = struct.calcsize("<qq16sqI")  # where a key's item (and then its person) begins
_BY_AT = _ITEM_AT + 4


class Filter:
    """What of one record file a query shows, where not every event: the item and people (as
    its indexes), the dates (ordinals), the batches and copies the rules across files leave
    out."""

    __slots__ = ("item", "bys", "lo", "hi", "bad", "gone", "stop")

    def __init__(self, item: int | None, bys: frozenset[int] | None, lo: int | None,
                 hi: int | None, bad: frozenset[int], gone: frozenset[bytes]) -> None:
        self.item, self.bys, self.lo, self.hi, self.bad, self.gone = item, bys, lo, hi, bad, gone
        # keys come newest first: once ``at`` is a day before ``lo`` began in UTC (an offset is
        # less than a day), no later key is of ``lo`` or after
        self.stop = None if lo is None else (lo - EPOCH_ORDINAL - 1) * DAY_US

    def shows(self, rec: Rec) -> bool:
        """Whether the log shows the event of this key."""
        return ((self.item is None or rec[ITEM] == self.item)
                and (self.bys is None or rec[BY] in self.bys)
                and (self.lo is None or rec[DAY] >= self.lo)
                and (self.hi is None or rec[DAY] <= self.hi)
                and (not self.bad or rec[BATCH] not in self.bad)
                and (not self.gone or rec[ID] not in self.gone))

    def candidates(self, data: bytes) -> Iterable[int]:
        """Where in ``data`` (keys) the shown keys may be, in order: found by the low byte of
        the item or person (C speed; ``shows`` decides), else every key."""
        if self.item is not None or self.bys is not None:
            at, wanted = (_ITEM_AT, {self.item & 0xFF}) if self.item is not None else (
                _BY_AT, {b & 0xFF for b in self.bys or ()})
            lane = data[at::REC.size]
            if len(wanted) == 1:
                found, mark = [], bytes(wanted)
                j = lane.find(mark)
                while j >= 0:
                    found.append(j * REC.size)
                    j = lane.find(mark, j + 1)
                return found
            return [j * REC.size for j, x in enumerate(lane) if x in wanted]
        return range(0, len(data), REC.size)


class Part:
    """One record file's share of the log: file ``i`` of a province's catalog and which of its
    events are shown (``filt``; None: all of them, and its catalog entry says everything about
    them). Cheap to make: a national log has tens of thousands. Holds a few of its keys at a
    time, as bytes."""

    __slots__ = ("prov", "i", "filt", "zone", "current", "window", "_keys", "_data", "_todo",
                 "_next", "_chunk", "_again")

    def __init__(self, prov: Province, i: int, filt: Filter | None, zone: int) -> None:
        self.prov, self.i, self.filt, self.zone = prov, i, filt, zone
        self._keys: FileKeys | None = None
        self._chunk = 64
        self._again: bytes | None = None  # the keys derived again, where the kept were damaged

    @property
    def whole(self) -> bool:
        return self.filt is None

    @property
    def keys(self) -> FileKeys:
        if self._keys is None:
            self._keys = self.prov.file(self.i)
        return self._keys

    def shows(self, rec: Rec) -> bool:
        return self.filt is None or self.filt.shows(rec)

    def shown_keys(self) -> Iterator[Rec]:
        """Every shown key of the file in order, its keys checked against their digest."""
        k, filt = self.keys, self.filt
        data = self._checked()
        step = max(1, BUDGET // REC.size)
        for start in range(0, k.n, step):
            part = data[start * REC.size:(start + step) * REC.size] if data is not None else \
                self._read(start, min(step, k.n - start))
            if filt is None:
                yield from REC.iter_unpack(part)
                continue
            for at in filt.candidates(part):
                rec = REC.unpack_from(part, at)
                if filt.stop is not None and rec[AT] < filt.stop:
                    return
                if filt.shows(rec):
                    yield rec

    def _read(self, start: int, count: int) -> bytes:
        if self._again is None:
            try:
                return self.prov.read(self.keys.start + start * REC.size, count * REC.size)
            except OSError:
                self._again = self.prov.repair(self.keys)
        return self._again[start * REC.size:(start + count) * REC.size]

    def _checked(self) -> bytes | None:
        """Read the file's keys once and check them; kept when small, else read again in
        pieces as they are needed (they were checked). Keys that do not check out are derived
        again from the record file (Province.repair) and held."""
        k = self.keys
        data = self._read(0, k.n)
        if entries.blake2b(data) != k.digest or data[:REC.size] != k.head:
            self._again = data = self.prov.repair(k)
        return data if len(data) <= BUDGET // 16 or self._again is not None else None

    def start(self, chunk: int) -> Rec | None:
        """The newest shown key (without reading the file's keys where all are shown)."""
        self._chunk = chunk
        self._data = b""
        self._todo: Iterator[int] = iter(())
        self._next = -1  # the next key to read (-1: the keys not read yet)
        self.current: Rec | None = None
        self.window: tuple[bytes, int] = (b"", 0)  # lines of the file read last, and where
        if self.filt is None:
            self.current = REC.unpack_from(self.prov.columns["head"], REC.size * self.i)
            return self.current
        return self.advance()

    def advance(self) -> Rec | None:
        """The next shown key, or None."""
        filt = self.filt
        while True:
            at = next(self._todo, None)
            if at is None:
                if not self._fill():
                    self._done()
                    return None
                continue
            rec = REC.unpack_from(self._data, at)
            if filt is None:
                self.current = rec
                return rec
            if filt.stop is not None and rec[AT] < filt.stop:
                self._done()
                return None
            if filt.shows(rec):
                self.current = rec
                return rec

    def _done(self) -> None:
        self.current = None
        self.window = (b"", 0)
        self._data = b""

    def _fill(self) -> bool:
        k = self.keys
        if self._next < 0:
            data = self._checked()
            self._next = 1 if self.filt is None else 0  # (a whole part's head was shown)
            if data is not None and len(data) <= self._chunk * REC.size:
                self._take(data[self._next * REC.size:])
                self._next = k.n
                return True
        if self._next >= k.n:
            return False
        count = min(self._chunk, k.n - self._next)
        self._take(self._read(self._next, count))
        self._next += count
        return True

    def _take(self, data: bytes) -> None:
        self._data = data
        self._todo = iter(range(0, len(data), REC.size) if self.filt is None
                          else self.filt.candidates(data))


_NONE: frozenset[int] = frozenset()
_NO_IDS: frozenset[bytes] = frozenset()


def parts(provinces: Sequence[Province], rules: Rules, query: LogQuery) -> list[Part]:
    """Each record file's share of the log for ``query`` (files with nothing shown left
    out), in path order."""
    out = []
    lo = query.since.toordinal() if query.since else None
    hi = query.until.toordinal() if query.until else None
    wanted = query.by.casefold() if query.by else None
    simple = not query.item and wanted is None and not rules.dropped and not rules.incomplete
    region = query.region
    for p in provinces:
        if region and not (within(p.name, region) or within(region, p.name)):
            continue
        zone = zone_offset(p.name)
        c = p.columns
        shown, n, days = c["shown"], c["n"], c["days"]
        for i in range(len(shown)):
            if not n[i] or (region and not within(shown[i].rsplit("/", 2)[1], region)):
                continue
            first, last = days[2 * i], days[2 * i + 1]
            if (lo is not None and last < lo) or (hi is not None and first > hi):
                continue
            inside = (lo is None or first >= lo) and (hi is None or last <= hi)
            if simple and inside:
                out.append(Part(p, i, None, zone))
                continue
            filt = _filter(p.file(i), query.item, wanted, lo, hi, rules)
            if filt is None:
                continue
            whole = (filt.item is None and filt.bys is None and not filt.bad and not filt.gone
                     and inside)
            out.append(Part(p, i, None if whole else filt, zone))
    return out


def _filter(k: FileKeys, item: str | None, wanted: str | None, lo: int | None, hi: int | None,
            rules: Rules) -> Filter | None:
    """What of file ``k`` a query shows; None where nothing."""
    found = None
    if item:
        items = k.items
        if item not in items:
            return None
        found = items.index(item)
    bys = None
    if wanted is not None:
        bys = frozenset(i for i, name in enumerate(k.bys) if name.casefold() == wanted)
        if not bys:
            return None
    bad = frozenset(b for b, name in enumerate(k.batches)
                    if name in rules.incomplete) if rules.incomplete else _NONE
    gone = rules.dropped.get(k.shown, _NO_IDS) if rules.dropped else _NO_IDS
    return Filter(found, bys, lo, hi, bad, gone)


def summary(selected: Sequence[Part]) -> LogSummary:
    """What the table's columns need of every shown event (see history.LogSummary): a
    province all of whose events are shown from its catalog's own summary, a file all of whose
    events are shown from its entry, the others from their keys."""
    s = LogSummary()
    by_prov: dict[str, list[Part]] = {}
    for part in selected:
        by_prov.setdefault(part.prov.name, []).append(part)
    for group in by_prov.values():
        prov = group[0].prov
        zone = timezone_of(prov.name)
        n = prov.columns["n"]
        if len(group) == len(n) - n.count(0) and all(x.filt is None for x in group):
            h = prov.held
            s.count += prov.count
            s.items.update(prov.columns["all_items"])
            s.bys.update(prov.columns["all_bys"])
            s.origins.update(prov.origins)
            _held(s, zone, h)
            continue
        for part in group:
            _part(s, zone, part)
    return s


def _held(s: LogSummary, zone: str, h: Held) -> None:
    s.combos.update(h.triples())
    s.widen(h.note, h.evidence, h.name)
    s.dates(zone, h.digits[:12], h.digits[12:])


def _part(s: LogSummary, zone: str, part: Part) -> None:
    k = part.keys
    if part.filt is None:
        s.count += k.n
        s.items.update(k.items)
        s.bys.update(k.bys)
        s.origins.add(k.origin)
        _held(s, zone, k.summary())
        return
    widest = [0] * 24
    n_len = n_cells = e_len = e_cells = flags = n = 0
    items: set[int] = set()
    bys: set[int] = set()
    combos: set[tuple[int, int, int]] = set()
    days: dict[int, tuple[int, int]] = {}  # a day in the zone -> its month, digits (memo)
    offset = part.zone
    for rec in part.shown_keys():  # (a loop per shown event: kept lean)
        n += 1
        items.add(rec[ITEM])
        bys.add(rec[BY])
        combos.add((rec[STATUS], rec[PROGRESS], rec[FLAGS] & UNDO))
        flags |= rec[FLAGS]
        if rec[NOTE_LEN] > n_len:
            n_len = rec[NOTE_LEN]
        if rec[NOTE_CELLS] > n_cells:
            n_cells = rec[NOTE_CELLS]
        if rec[EV_LEN] > e_len:
            e_len = rec[EV_LEN]
        if rec[EV_CELLS] > e_cells:
            e_cells = rec[EV_CELLS]
        for moment, base in ((rec[AT], 0), (rec[RECORDED], 12)):
            day = (moment + offset) // DAY_US
            found = days.get(day)
            if found is None:
                found = days[day] = digits(moment, offset)
            if found[1] > widest[base + found[0]]:
                widest[base + found[0]] = found[1]
    if n:
        names, people = k.items, k.bys
        s.count += n
        s.items.update(names[i] for i in items)
        s.bys.update(people[i] for i in bys)
        s.combos.update((STATUSES[st], None if pr < 0 else pr, bool(undo))
                        for st, pr, undo in combos)
        s.origins.add(k.origin)
        s.widen((n_len, n_cells, bool(flags & NOTE)), (e_len, e_cells, bool(flags & EVIDENCE)),
                k.summary().name)
        s.dates(zone, widest[:12], widest[12:])


def count(selected: Sequence[Part]) -> int:
    """How many events the log shows."""
    n = 0
    for part in selected:
        if part.filt is None:
            n += part.prov.columns["n"][part.i]
        else:
            n += sum(1 for _rec in part.shown_keys())
    return n


def merged(selected: Sequence[Part]) -> Iterator[tuple[Part, Rec]]:
    """The shown events' keys across files, newest first (the order of events.order_key,
    reversed): each file's keys are in that order, so a heap of each file's next one."""
    chunk = max(4, min(1024, BUDGET // (REC.size * max(1, len(selected)))))
    heap = []
    for i, part in enumerate(selected):
        rec = part.start(chunk)
        if rec is not None:
            heap.append(((-rec[AT], -rec[RECORDED], rec[ID].translate(_INVERT)), i))
    heapq.heapify(heap)
    while heap:
        i = heap[0][1]
        part = selected[i]
        rec = part.current
        assert rec is not None
        yield part, rec
        rec = part.advance()
        if rec is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, ((-rec[AT], -rec[RECORDED], rec[ID].translate(_INVERT)),
                                     i))


class Lines:
    """The events of kept keys, each read from its line when it is shown. A file's lines are
    read a window at a time (a file's events come newest first, and were mostly written in
    that order: the window reaches back from the line asked for), the windows of all files
    together within a budget; files are kept open a while (the merge goes back and forth
    between them)."""

    OPEN = 128
    BUDGET = 8 << 20

    def __init__(self, root: str) -> None:
        self.root = root
        self.window = 1 << 16
        self._fds: OrderedDict[str, int] = OrderedDict()
        self._memo: dict[str, str] = {}

    def share(self, parts: int) -> None:
        """Windows for ``parts`` files being merged at once."""
        self.window = max(1 << 9, min(1 << 16, self.BUDGET // max(1, parts)))

    def event(self, k: FileKeys, rec: Rec, part: Part | None = None) -> Event:
        """The event of key ``rec`` of file ``k`` (through ``part``'s window, if given);
        StorageError if the file no longer holds it there (it changed since its keys were
        made)."""
        try:
            raw = self._line(part, rec) if part is not None else pread(
                self.fd(k), rec[LENGTH], rec[OFFSET])
            ev = parse_line(raw.rstrip(b"\r").decode("utf-8"), self._memo)
        except (OSError, ValueError):
            raise _damaged(k) from None
        if (ev.id != rec[ID].hex() or ev.at.us != rec[AT] or ev.recorded.us != rec[RECORDED]
                or ev.region != k.region or ev.origin != k.origin):
            raise _damaged(k)
        if len(self._memo) > 4096:
            self._memo.clear()
        return ev

    def _line(self, part: Part, rec: Rec) -> bytes:
        offset, size = rec[OFFSET], rec[LENGTH]
        window, at = part.window
        if at <= offset and offset + size <= at + len(window):
            return window[offset - at:offset - at + size]
        end = offset + size
        start = max(0, min(offset, end - self.window))
        window = pread(self.fd(part.keys), end - start, start)
        if len(window) != end - start:
            raise OSError("the record file is shorter than its keys say")
        part.window = (window, start)
        return window[offset - start:]

    def fd(self, k: FileKeys) -> int:
        """The record file of ``k``, open."""
        fd = self._fds.get(k.shown)
        if fd is not None:
            self._fds.move_to_end(k.shown)
            return fd
        fd = open_nofollow(f"{self.root}{os.sep}{k.region}{os.sep}{k.origin}.jsonl")
        self._fds[k.shown] = fd
        if len(self._fds) > self.OPEN:
            _shown, old = self._fds.popitem(last=False)
            os.close(old)
        return fd

    def close(self) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
