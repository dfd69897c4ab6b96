"""What `pilkada export` puts in a bundle and what `pilkada import` may take from one.

Pure: no I/O. ``select`` picks a workspace's events for a bundle; ``plan`` checks a bundle
against the receiving workspace (cycle, trust, scope, ids already there) and says what is new,
per region: done, blocked, regressed. Every reason to refuse is collected and raised at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pilkada_cli.bundle import Bundle
from pilkada_cli.errors import InputError
from pilkada_cli.events import Event, latest
from pilkada_cli.i18n import _
from pilkada_cli.instant import micros
from pilkada_cli.offices import Office, office_for
from pilkada_cli.regions import within


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
    """A bundle checked against this workspace: the events to write and what they change."""

    bundle: Bundle
    sender: str  # office name as this workspace knows it
    trusted: Office | None  # the listed office that signed it
    new: list[Event]
    already: int
    regions: list[RegionNews]
    warnings: list[str] = field(default_factory=list)


def plan(bundle: Bundle, *, cycle_id: str, items: Collection[str], inside: Callable[[str], bool],
         offices: Sequence[Office], existing: Iterable[Event]) -> Plan:
    """Check ``bundle`` for this workspace; InputError with every reason it is refused."""
    m = bundle.manifest
    problems: list[str] = []
    warnings: list[str] = []
    if m.cycle != cycle_id:
        problems.append(_("the bundle is for cycle {theirs}; this workspace tracks {ours}")
                        .format(theirs=m.cycle, ours=cycle_id))
    trusted = _trust(bundle, offices, problems, warnings)
    sender = trusted.name if trusted else m.office
    outside = _count_regions(ev.region for ev in bundle.events if not inside(ev.region))
    if outside:
        problems.append(_("events for regions outside this workspace: {list}").format(
            list=outside))
    if trusted is not None:
        foreign = _count_regions(ev.region for ev in bundle.events
                                 if not trusted.may_report(ev.region))
        if foreign:
            problems.append(_("{office} may report only {regions}; the bundle also has events "
                              "for: {list}").format(office=trusted.name,
                                                    regions=", ".join(trusted.regions),
                                                    list=foreign))
    have = {ev.id: ev for ev in existing}
    clash = sorted(ev.id for ev in bundle.events if ev.id in have and have[ev.id] != ev)
    if clash:
        problems.append(_("{n} event id(s) already here with different content (an altered "
                          "copy): {ids}").format(n=len(clash), ids=", ".join(clash[:5])
                                                 + (" …" if len(clash) > 5 else "")))
    if problems:
        head = _("{path}: refused, nothing imported:").format(path=bundle.path)
        raise InputError("\n".join([head, *(f"  - {p}" for p in problems)]))
    unknown = sorted({ev.item for ev in bundle.events if ev.item not in items})
    if unknown:
        warnings.append(_("{n} item id(s) are not in this workspace's checklist (an older or "
                          "newer checklist?); kept, but not counted: {ids}").format(
            n=len(unknown), ids=", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")))
    new = [ev for ev in bundle.events if ev.id not in have]
    return Plan(bundle, sender, trusted, new, len(bundle.events) - len(new),
                news(list(have.values()), new), warnings)


def _trust(bundle: Bundle, offices: Sequence[Office], problems: list[str],
           warnings: list[str]) -> Office | None:
    from pilkada_cli.keys import fingerprint

    m = bundle.manifest
    if not offices:
        if not bundle.signed:
            warnings.append(_("the bundle is not signed; accepted because pilkada.yaml lists "
                              "no offices"))
        return None
    if not bundle.signed:
        problems.append(_("the bundle is not signed; this workspace accepts only bundles "
                          "signed by the offices listed in pilkada.yaml"))
        return None
    office = office_for(tuple(offices), m.key)
    if office is None:
        problems.append(_("signed by an unknown key {fp} (says it is from {office}); that key "
                          "is not in the offices list of pilkada.yaml").format(
            fp=fingerprint(m.key or ""), office=m.office))
    return office


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
