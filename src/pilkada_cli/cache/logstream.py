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
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

from pilkada_cli.cache import entries
from pilkada_cli.cache.logkeys import (
    AT,
    BATCH,
    BY,
    DAY,
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
    Province,
    Rec,
    digits,
    zone_offset,
)
from pilkada_cli.cache.logrules import Rules
from pilkada_cli.errors import StorageError
from pilkada_cli.events import STATUSES, Event, parse_line
from pilkada_cli.history import LogQuery, LogSummary
from pilkada_cli.i18n import _
from pilkada_cli.regions import timezone_of, within
from pilkada_cli.safefile import open_nofollow

BUDGET = 8 << 20  # bytes of keys held at once across every file being merged
_INVERT = bytes(255 - b for b in range(256))


def _damaged(k: FileKeys) -> StorageError:
    return StorageError(_("the record files changed while being read ({reason}); run the "
                          "command again").format(reason=k.shown))


class Part:
    """One record file's share of the log: its kept keys and which of its events are shown;
    ``whole`` when all of them are (its catalog entry then says everything about them)."""

    __slots__ = ("prov", "keys", "item", "bys", "lo", "hi", "bad", "gone", "whole", "zone",
                 "current", "_buffer", "_next", "_chunk")

    def __init__(self, prov: Province, keys: FileKeys, query: LogQuery, rules: Rules
                 ) -> None:
        self.prov, self.keys = prov, keys
        self.item = keys.items.index(query.item) if query.item else None
        self.bys = frozenset(i for i, name in enumerate(keys.bys)
                             if name.casefold() == query.by.casefold()) if query.by else None
        self.lo = query.since.toordinal() if query.since else None
        self.hi = query.until.toordinal() if query.until else None
        self.bad = frozenset(b for b, name in enumerate(keys.batches) if name in rules.incomplete)
        self.gone = rules.dropped.get(keys.shown, frozenset())
        self.whole = (self.item is None and self.bys is None and not self.bad and not self.gone
                      and (self.lo is None or keys.days[0] >= self.lo)
                      and (self.hi is None or keys.days[1] <= self.hi))
        self.zone = zone_offset(keys.region)
        self.current: Rec | None = None
        self._buffer: list[Rec] = []
        self._next = -1  # the next key to read (-1: the keys not read yet)
        self._chunk = 64

    def shows(self, rec: Rec) -> bool:
        """Whether the log shows the event of this key."""
        return ((self.item is None or rec[ITEM] == self.item)
                and (self.bys is None or rec[BY] in self.bys)
                and (self.lo is None or rec[DAY] >= self.lo)
                and (self.hi is None or rec[DAY] <= self.hi)
                and (not self.bad or rec[BATCH] not in self.bad)
                and (not self.gone or rec[ID] not in self.gone))

    def all_keys(self) -> Iterator[Rec]:
        """Every key of the file in order, checked against its digest first."""
        k = self.keys
        data = self._checked()
        step = max(1, BUDGET // REC.size)
        for start in range(0, k.n, step):
            part = data[start * REC.size:(start + step) * REC.size] if data is not None else \
                self.prov.read(k.start + start * REC.size, min(step, k.n - start) * REC.size)
            yield from REC.iter_unpack(part)

    def _checked(self) -> bytes | None:
        """Read the file's keys once and check them; kept when small, else read again in
        pieces as they are needed (they were checked)."""
        k = self.keys
        try:
            data = self.prov.read(k.start, k.n * REC.size)
        except OSError:
            raise _damaged(k) from None
        if entries.blake2b(data) != k.digest or data[:REC.size] != k.head:
            raise _damaged(k)
        return data if len(data) <= BUDGET // 16 else None

    def start(self, chunk: int) -> Rec | None:
        """The newest shown key (without reading the file's keys where all are shown)."""
        self._chunk = chunk
        if self.whole:
            self.current = REC.unpack(self.keys.head)
            return self.current
        return self.advance()

    def advance(self) -> Rec | None:
        """The next shown key, or None."""
        while True:
            if not self._buffer:
                if not self._fill():
                    self.current = None
                    return None
            rec = self._buffer.pop()
            if self.whole or self.shows(rec):
                self.current = rec
                return rec

    def _fill(self) -> bool:
        k = self.keys
        if self._next < 0:
            data = self._checked()
            self._next = 1 if self.whole else 0  # (a whole part's first key was its head)
            if data is not None and len(data) <= self._chunk * REC.size:
                self._buffer = list(REC.iter_unpack(data[self._next * REC.size:]))[::-1]
                self._next = k.n
                return bool(self._buffer)
        if self._next >= k.n:
            return False
        count = min(self._chunk, k.n - self._next)
        try:
            data = self.prov.read(k.start + self._next * REC.size, count * REC.size)
        except OSError:
            raise _damaged(k) from None
        self._next += count
        self._buffer = list(REC.iter_unpack(data))[::-1]
        return True


def parts(provinces: Sequence[Province], rules: Rules, query: LogQuery) -> list[Part]:
    """Each record file's share of the log for ``query`` (files with nothing shown left
    out), in path order."""
    out = []
    for p in provinces:
        for k in p.files:
            if (not k.n or (query.region and not within(k.region, query.region))
                    or (query.item and query.item not in k.items)
                    or (query.since and k.days[1] < query.since.toordinal())
                    or (query.until and k.days[0] > query.until.toordinal())):
                continue
            part = Part(p, k, query, rules)
            if part.bys is not None and not part.bys:
                continue
            out.append(part)
    return out


def summary(selected: Sequence[Part]) -> LogSummary:
    """What the table's columns need of every shown event (see history.LogSummary)."""
    s = LogSummary()
    for part in selected:
        k = part.keys
        if part.whole:
            s.count += k.n
            s.items.update(k.items)
            s.bys.update(k.bys)
            s.combos.update((STATUSES[st], None if pr < 0 else pr, undo)
                            for st, pr, undo in k.combos)
            s.widen(k.note, k.evidence)
            s.dates(timezone_of(k.region), k.at_digits, k.rec_digits)
            s.regions.add(k.region)
            s.origins.add(k.origin)
            continue
        at, rec_d = [0] * 12, [0] * 12
        note, proof = [0, 0, False], [0, 0, False]
        n = 0
        for rec in part.all_keys():
            if not part.shows(rec):
                continue
            n += 1
            s.items.add(k.items[rec[ITEM]])
            s.bys.add(k.bys[rec[BY]])
            s.combos.add((STATUSES[rec[STATUS]], None if rec[PROGRESS] < 0 else rec[PROGRESS],
                          bool(rec[FLAGS] & UNDO)))
            note[:] = (max(note[0], rec[NOTE_LEN]), max(note[1], rec[NOTE_CELLS]),
                       note[2] or bool(rec[FLAGS] & NOTE))
            proof[:] = (max(proof[0], rec[EV_LEN]), max(proof[1], rec[EV_CELLS]),
                        proof[2] or bool(rec[FLAGS] & EVIDENCE))
            for moment, widest in ((rec[AT], at), (rec[RECORDED], rec_d)):
                month, d = digits(moment, part.zone)
                if d > widest[month]:
                    widest[month] = d
        if n:
            s.count += n
            s.widen((note[0], note[1], bool(note[2])), (proof[0], proof[1], bool(proof[2])))
            s.dates(timezone_of(k.region), at, rec_d)
            s.regions.add(k.region)
            s.origins.add(k.origin)
    return s


def count(selected: Sequence[Part]) -> int:
    """How many events the log shows."""
    n = 0
    for part in selected:
        if part.whole:
            n += part.keys.n
        else:
            n += sum(1 for rec in part.all_keys() if part.shows(rec))
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
    """The events of kept keys, each read from its line when it is shown (files kept open a
    while: the merge goes back and forth between them)."""

    OPEN = 64

    def __init__(self, path_of: Callable[[FileKeys], str]) -> None:
        self.path_of = path_of
        self._fds: OrderedDict[str, int] = OrderedDict()
        self._memo: dict[str, str] = {}

    def event(self, k: FileKeys, rec: Rec) -> Event:
        """The event of key ``rec`` of file ``k``; StorageError if the file no longer holds it
        there (it changed since its keys were made)."""
        try:
            raw = os.pread(self._fd(k), rec[LENGTH], rec[OFFSET])
            ev = parse_line(raw.rstrip(b"\r").decode("utf-8"), self._memo)
        except (OSError, ValueError):
            raise _damaged(k) from None
        if (ev.id != rec[ID].hex() or ev.at.us != rec[AT] or ev.recorded.us != rec[RECORDED]
                or ev.region != k.region or ev.origin != k.origin):
            raise _damaged(k)
        if len(self._memo) > 4096:
            self._memo.clear()
        return ev

    def _fd(self, k: FileKeys) -> int:
        fd = self._fds.get(k.shown)
        if fd is not None:
            self._fds.move_to_end(k.shown)
            return fd
        fd = open_nofollow(self.path_of(k))
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
