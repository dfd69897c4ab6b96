"""What `pilkada export` puts in a bundle and what `pilkada import` may take from one.

Pure: no I/O. ``select`` picks a workspace's events for a bundle; ``plan`` checks a bundle
against the receiving workspace (its cycle and regions here, and through trust.judge who may
write what) and says what is new, per region: done, blocked, regressed. Every reason to refuse
is collected and raised at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.bundle import Bundle
from pilkada_cli.domain.claims import Sender
from pilkada_cli.domain.events import Event, latest
from pilkada_cli.domain.instant import micros
from pilkada_cli.domain.offices import Office
from pilkada_cli.domain.regions import within
from pilkada_cli.domain.trust import Own, judge


def in_subtree(code: str, roots: Iterable[str]) -> bool:
    """Whether region ``code`` is one of ``roots`` or under one (ID is the whole nation)."""
    return any(within(code, r) for r in roots)


def select(events: Iterable[Event], regions: Collection[str],
           since: datetime | None) -> list[Event]:
    """The events of ``regions`` (and everything under them) recorded at or after ``since``."""
    start = None if since is None else micros(since)
    return [ev for ev in events if in_subtree(ev.region, regions)
            and (start is None or ev.recorded.us >= start)]


def split_batches(chosen: Sequence[Event], every: Iterable[Event]) -> int:
    """How many of ``chosen`` belong to a change recorded together with events left out (a
    receiving office counts such a change only once it has all of it)."""
    ids = {ev.id for ev in chosen}
    partial = {ev.batch for ev in every if ev.batch is not None and ev.id not in ids}
    return sum(1 for ev in chosen if ev.batch in partial)


@dataclass(frozen=True)
class RegionNews:
    """What a bundle brings for one region."""

    region: str
    new: int
    done: int
    blocked: int
    regressed: int


@dataclass
class Plan:
    """A bundle checked against this workspace: what to write (only what trust.judge allowed)
    and what it changes."""

    bundle: Bundle
    sender: str  # who signed it, as this workspace names the key (marked when unverified)
    trusted: Office | None  # the listed office that signed it
    new: list[Event]
    already: int
    regions: list[RegionNews]
    warnings: list[str] = field(default_factory=list)
    claims: dict[str, bytes] = field(default_factory=dict)  # origin -> claim to store
    seen: dict[str, list[bytes]] = field(default_factory=dict)  # origin -> seen lines to add


def plan(bundle: Bundle, *, cycle_id: str, items: Collection[str], inside: Callable[[str], bool],
         offices: Sequence[Office], own: Own, claims: Mapping[str, Sender],
         seen_here: Mapping[str, bytes], existing: Iterable[Event], now_us: int) -> Plan:
    """Check ``bundle`` for this workspace (the cycle and regions here; who may write what is
    trust.judge's); InputError with every reason it is refused."""
    m = bundle.manifest
    problems: list[str] = []
    if m.cycle != cycle_id:
        problems.append(_("the bundle is for cycle {theirs}; this workspace tracks {ours}")
                        .format(theirs=m.cycle, ours=cycle_id))
    outside = _count_regions(ev.region for ev in bundle.events if not inside(ev.region))
    if outside:
        problems.append(_("events for regions outside this workspace: {list}").format(
            list=outside))
    have = {ev.id: ev for ev in existing}
    verdict = judge(bundle, offices=offices, own=own, claims=claims, seen_here=seen_here,
                    have=have, now_us=now_us)
    problems += verdict.refusals
    if problems:
        head = _("{path}: refused, nothing imported:").format(path=bundle.path)
        raise InputError("\n".join([head, *(f"  - {p}" for p in problems)]))
    warnings = list(verdict.warnings)
    new = verdict.events
    unknown = sorted({ev.item for ev in new if ev.item not in items})
    if unknown:
        warnings.append(_("{n} item id(s) are not in this workspace's checklist (an older or "
                          "newer checklist?); kept, but not counted: {ids}").format(
            n=len(unknown), ids=", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")))
    wait = waiting(have.values(), new)
    if wait:
        warnings.append(_("{n} of the new event(s) are part of a change recorded in one go "
                          "together with records this bundle does not carry; they wait, and "
                          "count once the rest arrives (the sender's next bundle)").format(n=wait))
    return Plan(bundle, verdict.sender.shown(), verdict.trusted, new, verdict.already,
                news(list(have.values()), new), warnings, verdict.claims, verdict.seen)


def waiting(before: Iterable[Event], new: Sequence[Event]) -> int:
    """How many of ``new`` belong to a batch still incomplete with them: fewer of its events
    here than its size (the rule of recordfile.incomplete_batches, by which such events do not
    count yet)."""
    batches = {ev.batch for ev in new if ev.batch is not None}
    if not batches:
        return 0
    have: dict[str, int] = {}
    need: dict[str, int] = {}
    for group in (before, new):
        for ev in group:
            if ev.batch in batches:
                have[ev.batch] = have.get(ev.batch, 0) + 1
                need[ev.batch] = max(need.get(ev.batch, 0), ev.batch_size)
    short = {b for b in batches if have[b] < need[b]}
    return sum(1 for ev in new if ev.batch in short)


def _count_regions(codes: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return ", ".join(_("{region} ({n} events)").format(region=c, n=n)
                     for c, n in sorted(counts.items()))


def news(before: Sequence[Event], new: Sequence[Event]) -> list[RegionNews]:
    """Per region of ``new``: how many events, and how many items became done, became
    blocked, or were done and no longer are (judged now, every event counted)."""
    touched = {(ev.region, ev.item) for ev in new}
    old: dict[tuple[str, str], list[Event]] = {}
    for ev in before:
        if (ev.region, ev.item) in touched:
            old.setdefault((ev.region, ev.item), []).append(ev)
    added: dict[tuple[str, str], list[Event]] = {}
    for ev in new:
        added.setdefault((ev.region, ev.item), []).append(ev)
    per: dict[str, list[int]] = {}
    for ev in new:
        per.setdefault(ev.region, [0, 0, 0, 0])[0] += 1
    for pair, evs in added.items():
        was = latest(old.get(pair, []))
        now = latest(old.get(pair, []) + evs)
        a = was.status if was else "todo"
        b = now.status if now else "todo"
        row = per[pair[0]]
        row[1] += b == "done" and a != "done"
        row[2] += b == "blocked" and a != "blocked"
        row[3] += a == "done" and b != "done"
    return [RegionNews(code, *row) for code, row in sorted(per.items())]
