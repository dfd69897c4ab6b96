"""Conflicts: two offices recorded different statuses for one (region, item) and neither had
seen the other's record. Shown as CONFLICT / KONFLIK with both values and senders, and counted
as blocked until someone records a decision (product.md "Several offices", issue 17).

Who saw what: an origin (a workspace copy) knows every event it wrote itself (its ``seq``
orders them), and, from the moment it received them, the events that reached it by `pilkada
sync`, `pilkada import` or `pilkada init --git`. Each time that happens the origin appends what
it now has (the highest ``seq`` per origin) to ``records/origins/<origin>.seen.jsonl``::

    {"at": "2024-08-21T02:31:07.123456+00:00", "seen": {"pc-a1b2c3d4": 41, "pc-e5f6": 7}}

The file has one writer and travels with the records (git, bundles), so every office judges the
same events the same way. An event X saw event Y if they share an origin and Y.seq <= X.seq, or
if X's origin had recorded, before X was recorded, that it held Y's origin up to Y.seq or more.
A pair is in conflict when, among the latest events of each origin (by ``events.order_key``,
up to the as-of moment), those that no other one saw disagree on status or progress. A
decision recorded after seeing them all settles it. Events brought in by hand (a copied folder,
a git pull outside pilkada) leave no trace of having been seen, so they may show as a conflict
until someone records the pair again.

Pure except ``load``/``note_received`` (reading and appending the seen files).
"""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pilkada_cli.base.safefile import (
    FILE_MODE,
    make_dir,
    mode_in,
    open_nofollow,
    set_mode,
    write_fully,
)
from pilkada_cli.domain.events import ORIGIN_RE, Event, order_key
from pilkada_cli.domain.instant import Instant
from pilkada_cli.domain.trust import seen_line

if TYPE_CHECKING:
    from pilkada_cli.domain.readiness import AsOf
    from pilkada_cli.storage.recordfile import RecordFile

SUFFIX = ".seen.jsonl"
FOLDER = "origins"

Seen = Mapping[str, list[tuple[Instant, dict[str, int]]]]  # origin -> [(when, seq per origin)]


@dataclass(frozen=True)
class Conflict:
    """A pair whose latest records disagree: the competing events, latest first."""

    region: str
    item: str
    sides: tuple[Event, ...]
    offices: tuple[str, ...] = ()  # the name each side is shown by (trust.office_names)


def saw(x: Head, y: Head, seen: Seen) -> bool:
    """Whether ``x`` was recorded by an origin that already had ``y``."""
    if x.origin == y.origin:
        return y.seq <= x.seq
    for at, held in seen.get(x.origin, ()):
        if held.get(y.origin, 0) >= y.seq and at.us <= x.recorded.us:
            return True
    return False


def find(events: Iterable[Event], seen: Seen,
         counts: Callable[[Event], bool] | None = None) -> dict[tuple[str, str], Conflict]:
    """The conflicting pairs among ``events`` (those ``counts`` keeps, e.g. up to an as-of)."""
    heads: dict[tuple[str, str], dict[str, Event]] = {}
    for ev in events:
        if counts is not None and not counts(ev):
            continue
        per = heads.setdefault((ev.region, ev.item), {})
        cur = per.get(ev.origin)
        if cur is None or order_key(ev) > order_key(cur):
            per[ev.origin] = ev
    out: dict[tuple[str, str], Conflict] = {}
    compiled: dict[str, Held | None] = {}

    def held_of(origin: str) -> Held | None:
        if origin not in compiled:
            lines = seen.get(origin)
            compiled[origin] = Held(lines) if lines else None
        return compiled[origin]

    for pair, per in heads.items():
        if len(per) < 2:
            continue
        open_ = unseen(list(per.values()), held_of)
        if open_:
            open_.sort(key=order_key, reverse=True)
            out[pair] = Conflict(pair[0], pair[1], tuple(open_))
    return out


H = TypeVar("H", bound="Head")


class Head(Protocol):
    """What the rule reads of each origin's latest event of a pair (an Event, or the
    derived cache's columns of one)."""

    @property
    def origin(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def recorded(self) -> Instant: ...
    @property
    def status(self) -> str: ...
    @property
    def progress(self) -> int | None: ...


class Held:
    """One origin's seen file, compiled: per other origin, the times (POSIX us, ascending) at
    which the highest ``seq`` it noted holding rose, and that highest ``seq`` from then on. So
    "had it ``y`` by then" is one bisection, not a walk over every line (a national office's
    seen file has hundreds of lines of thousands of origins)."""

    __slots__ = ("_steps",)

    def __init__(self, lines: Iterable[tuple[Instant, Mapping[str, int]]]) -> None:
        steps: dict[str, tuple[list[int], list[int]]] = {}
        for at, held in sorted(lines, key=lambda line: line[0].us):
            for origin, seq in held.items():
                got = steps.get(origin)
                if got is None:
                    steps[origin] = ([at.us], [seq])
                elif seq > got[1][-1]:
                    got[0].append(at.us)
                    got[1].append(seq)
        self._steps = steps

    def __len__(self) -> int:
        """How many steps it holds (its size in memory): an office that syncs every day
        notes every origin again each time, and only the rises are kept."""
        return sum(len(times) for times, _seqs in self._steps.values())

    def upto(self, origin: str, us: int) -> int:
        """The highest ``seq`` of ``origin`` noted held at or before ``us`` (0: none)."""
        got = self._steps.get(origin)
        if got is None:
            return 0
        n = bisect_right(got[0], us)
        return got[1][n - 1] if n else 0


def unseen(latest: Sequence[H], held_of: Callable[[str], Held | None]) -> list[H]:
    """Of each origin's latest event of one pair, those no other one saw, if they disagree
    (the pair is in conflict); else []. ``held_of`` gives an origin's compiled seen file
    (None: it has none); it is asked only as far as the answer needs: the latest recorded
    event's origin first (it most likely had the others), and no further once the events
    nobody saw can no longer disagree (after a bulk import by an office that had everyone
    else's records, the other offices' seen files are not read at all). The answer is the
    rule's (``saw``) in full: every event some other one saw is left out."""
    if len({(x.status, x.progress) for x in latest}) < 2:
        return []
    seen_by_other = [False] * len(latest)
    for j in sorted(range(len(latest)), key=lambda n: latest[n].recorded.us, reverse=True):
        y = latest[j]
        held = held_of(y.origin)
        for i, x in enumerate(latest):
            if i == j or seen_by_other[i]:
                continue
            if (x.seq <= y.seq if x.origin == y.origin
                    else held is not None and held.upto(x.origin, y.recorded.us) >= x.seq):
                seen_by_other[i] = True
        if len({(x.status, x.progress) for i, x in enumerate(latest)
                if not seen_by_other[i]}) < 2:
            return []
    return [x for i, x in enumerate(latest) if not seen_by_other[i]]


def detect(records: Path, as_of: AsOf, files: Sequence[RecordFile] | None = None
           ) -> dict[tuple[str, str], Conflict]:
    """The conflicts in a records folder at ``as_of``. Only regions with files of two or more
    origins can have any, so usually nothing is read beyond the folder listing (``files``: a
    listing the caller already has, ``Journal.snapshot``'s)."""
    from pilkada_cli.storage.journal import Journal

    journal = Journal(records)
    if files is None:
        files, _listing = journal.snapshot()
    origins: dict[str, set[str]] = {}
    for f in files:
        origins.setdefault(f.region, set()).add(f.origin)
    shared = [region for region, names in origins.items() if len(names) > 1]
    if not shared:
        return {}
    return judge(journal.read(shared).events, records, as_of)


def judge(events: Sequence[Event], records: Path, as_of: AsOf,
          names: Mapping[str, str] | None = None) -> dict[tuple[str, str], Conflict]:
    """The conflicts among ``events`` (good events of ``records``) at ``as_of``, each side
    named by ``names`` (origin -> the name shown: trust.office_names) or else by its origin
    id: what ``detect`` shows, for a caller that has read the events."""
    from pilkada_cli.domain.regions import timezone_of

    if not events:
        return {}
    cut: dict[str, float] = {}

    def counts(ev: Event) -> bool:
        zone = timezone_of(ev.region)
        if zone not in cut:
            cut[zone] = as_of.cutoff_in(zone)
        return ev.at.seconds < cut[zone]

    found = find(events, load(records), counts)
    if found:
        from dataclasses import replace

        shown = names or {}
        found = {k: replace(c, offices=tuple(shown.get(ev.origin, ev.origin) for ev in c.sides))
                 for k, c in found.items()}
    return found


def load(records: Path, origins: Iterable[str] | None = None
         ) -> dict[str, list[tuple[Instant, dict[str, int]]]]:
    """Every origin's seen file under ``records/origins`` (bad lines are skipped); only those
    of ``origins`` if given."""
    folder = records / FOLDER
    out: dict[str, list[tuple[Instant, dict[str, int]]]] = {}
    try:
        names = sorted(p.name for p in folder.iterdir()) if origins is None else sorted(
            f"{o}{SUFFIX}" for o in set(origins))
    except OSError:
        return out
    for name in names:
        origin = name[:-len(SUFFIX)]
        if not name.endswith(SUFFIX) or not ORIGIN_RE.fullmatch(origin):
            continue
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue
        out.setdefault(origin, []).extend(seen_lines(data))
    return out


def read_seen(records: Path, origin: str) -> bytes:
    """An origin's seen file's bytes, as ``load`` reads them (b"": none, or unreadable)."""
    try:
        return (records / FOLDER / f"{origin}{SUFFIX}").read_bytes()
    except OSError:
        return b""


def seen_lines(data: bytes) -> list[tuple[Instant, dict[str, int]]]:
    """The good lines of a seen file's bytes."""
    return [entry for entry in map(seen_line, data.split(b"\n")) if entry is not None]


def holdings(events: Iterable[Event]) -> dict[str, int]:
    """The highest seq held per origin."""
    top: dict[str, int] = {}
    for ev in events:
        if ev.seq > top.get(ev.origin, 0):
            top[ev.origin] = ev.seq
    return top


def note_received(records: Path, origin: str, events: Iterable[Event], now: Instant) -> None:
    """Append to ``origin``'s seen file what this workspace copy now holds (after receiving
    events), fsynced. One writer: this origin."""
    if not ORIGIN_RE.fullmatch(origin):
        raise ValueError(origin)
    held = dict(sorted(holdings(events).items()))
    path = records / FOLDER / f"{origin}{SUFFIX}"
    mine = load(records).get(origin)
    if mine and mine[-1][1] == held:
        return  # nothing new since the last note: offices would only echo notes back and forth
    line = json.dumps({"at": now.text, "seen": held}, sort_keys=True, separators=(",", ":")) + "\n"
    append_lines(path, [line.encode("ascii")])


def append_lines(path: Path, lines: list[bytes]) -> None:
    """Append whole lines (fsynced), after a newline if the file lacks its last one."""
    if not path.parent.is_dir():
        path.parent.parent.mkdir(parents=True, exist_ok=True)
        make_dir(path.parent)
    new = not os.path.lexists(path)
    wanted = mode_in(path.parent)
    fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, wanted or FILE_MODE)
    try:
        if new:
            set_mode(fd, wanted, path)
        size = os.fstat(fd).st_size
        data = b"".join(lines)
        if size:
            with path.open("rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    data = b"\n" + data
        write_fully(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def merge_file(path: Path, incoming: bytes) -> bool:
    """Add ``incoming``'s lines that ``path`` lacks (a copy that came in a bundle); True if
    anything was added."""
    try:
        have = set(path.read_bytes().split(b"\n"))
    except FileNotFoundError:
        have = set()
    new = [line + b"\n" for line in incoming.split(b"\n")
           if line and line not in have and seen_line(line) is not None]
    if new:
        append_lines(path, new)
    return bool(new)
