"""What needs action, and what changed, folded for a meeting.

Pure: no I/O. The attention list covers the whole subtree of the report's region (a regency's
kecamatan included, whatever ``--depth`` lists), so its counts match the numbers that give each
region its level. Each (region, item) pair appears once, under the first kind that applies, in
the order a meeting acts on them: blocked, critical overdue, overdue, due within
``DUE_WINDOW_DAYS``; critical items first in each. Late and blocked pairs are grouped by the
report region's child they fall under (groups holding a critical item first, each part in the
map's order with the report region's own items first); within a group, the same item late in several
districts is one entry that names them (blocked pairs stay one entry each: each has its own
reason, person and date), unless the section has more than ``SECTION_ROWS`` of them: then
blocked pairs fold by item too. A deadline is one date for every region, so items due soon are
one entry per item over the whole subtree, saying how many regions of each child have not done
it.

A printed section lists at most ``SECTION_ROWS`` entries (``shown``): every group keeps its
worst ones, the same number for each as far as the budget allows, and counts the rest, which
the XLSX lists in full. A meeting of 38 provinces with thousands of late items gets a list it
can read, not a hundred pages.

Changes since the last meeting get the same treatment: a tally, the bad news (regressed, newly
blocked, newly overdue) as entries, and newly done folded to a count per group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pilkada_cli.domain.checklist import Item
from pilkada_cli.domain.readiness import ItemState, Readiness
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.views import Change

DUE_WINDOW_DAYS = 14
KINDS = ("blocked", "critical_overdue", "overdue", "due_soon")
BAD_CHANGES = ("regressed", "blocked", "overdue")  # views.CHANGE_KINDS without "done"
NAMES_MAX = 8  # more districts than this under one entry are counted, not named
SECTION_ROWS = 40  # entries a printed section lists (a page or two); the rest are counted


@dataclass(frozen=True)
class Entry:
    """One item in one group: the pairs folded into it, worst first."""

    kind: str
    item: Item
    states: tuple[ItemState, ...]
    regions: tuple[Region, ...]  # the region of each state
    group: Region
    spread: tuple[tuple[Region, int], ...] = ()  # folded over several groups: pairs per group

    @property
    def days_late(self) -> int:
        """The most days late among the pairs."""
        return max(st.days_late for st in self.states)

    @property
    def due(self) -> date:
        """The earliest due date among the pairs (they differ only with relative dates)."""
        return min(st.due for st in self.states)

    @property
    def first(self) -> ItemState:
        """The worst pair (for blocked entries: the only one)."""
        return self.states[0]


@dataclass(frozen=True)
class Group:
    """A child of the report region (or the region itself, for its own items)."""

    region: Region
    entries: tuple[Entry, ...]

    @property
    def pairs(self) -> int:
        """How many (region, item) pairs the group's entries hold."""
        return sum(len(e.states) for e in self.entries)


@dataclass(frozen=True)
class Section:
    """One kind of attention (or of change), grouped by region."""

    kind: str
    groups: tuple[Group, ...]

    @property
    def pairs(self) -> int:
        """How many (region, item) pairs the section holds."""
        return sum(g.pairs for g in self.groups)

    @property
    def entries(self) -> list[Entry]:
        """Every entry, group by group."""
        return [e for g in self.groups for e in g.entries]


@dataclass(frozen=True)
class Shown:
    """What a printed section lists of one group: its first entries, and what is left out."""

    group: Group
    entries: tuple[Entry, ...]
    more: int  # (region, item) pairs of the entries left out

    @property
    def region(self) -> Region:
        """The group's region."""
        return self.group.region


def fit(sizes: Sequence[int], budget: int) -> list[int]:
    """How many of each group's ``sizes`` entries to list so that the total stays within
    ``budget``: all of them when they fit; else the same number for every group (the largest
    that fits, at least one), and what is left of the budget one more each to the first
    (worst) groups."""
    if sum(sizes) <= budget:
        return list(sizes)
    k = 1
    while sum(min(n, k + 1) for n in sizes) <= budget:
        k += 1
    caps = [min(n, k) for n in sizes]
    left = budget - sum(caps)
    for i, n in enumerate(sizes):
        if left <= 0:
            break
        if n > caps[i]:
            caps[i] += 1
            left -= 1
    return caps


def shown(sec: Section, budget: int = SECTION_ROWS) -> list[Shown]:
    """The groups of a section as printed: at most ``budget`` entries in all (``fit``)."""
    caps = fit([len(g.entries) for g in sec.groups], budget)
    return [Shown(g, g.entries[:k], sum(len(e.states) for e in g.entries[k:]))
            for g, k in zip(sec.groups, caps, strict=True)]


@dataclass(frozen=True)
class ChangeDigest:
    """Changes since a date: counts per kind, bad news as sections, newly done per group."""

    tally: tuple[tuple[str, int], ...]  # kind -> pairs, in views.CHANGE_KINDS order
    bad: tuple[Section, ...]  # regressed, newly blocked, newly overdue (non-empty ones)
    done: tuple[tuple[Region, int, int], ...]  # group, newly done, of which critical


def attention_kind(st: ItemState, d: date) -> str | None:
    """Where a pair goes in the attention list, or None when it needs no attention now."""
    if st.status in ("done", "na"):
        return None
    if st.status == "blocked":
        return "blocked"
    if st.overdue:
        return "critical_overdue" if st.item.critical else "overdue"
    if st.due <= d + timedelta(days=DUE_WINDOW_DAYS):
        return "due_soon"
    return None


class Grouper:
    """Maps every region of a subtree to the report region's child above it, in the order the
    report lists the children (the report region itself first)."""

    def __init__(self, r: Readiness, target: Region, children: Sequence[Region]) -> None:
        self.r = r
        self.target = target
        self.order = [target, *children]
        self.rank = {g.code: i for i, g in enumerate(self.order)}
        self.regions = [target, *r.subtree(target.code)]

    def group_of(self, code: str) -> Region:
        """The child of the target that ``code`` falls under (the target for itself)."""
        if code == self.target.code:
            return self.target
        depth = self.target.depth + 1
        head = ".".join(code.split(".")[:depth]) if self.target.code != "ID" else code[:2]
        return self.order[self.rank[head]] if head in self.rank else self.target

    def states(self) -> Iterable[ItemState]:
        """Every applicable (region, item) pair of the subtree, region by region."""
        for region in self.regions:
            yield from self.r.items(region.code)


def _entries(kind: str, group: Region, states: list[ItemState], regions: dict[str, Region],
             fold: bool) -> list[Entry]:
    by_item: dict[str, list[ItemState]] = {}
    for st in states:
        key = st.item.id if fold else f"{st.item.id}\x00{st.region}"
        by_item.setdefault(key, []).append(st)
    out = []
    for found in by_item.values():
        found.sort(key=lambda st: (-st.days_late, st.region))
        out.append(Entry(kind, found[0].item, tuple(found),
                         tuple(regions[st.region] for st in found), group))
    out.sort(key=lambda e: (not e.item.critical, -e.days_late, e.due, e.item.id,
                            e.first.region))
    return out


def _by_deadline(states: list[ItemState], grouper: Grouper,
                 regions: dict[str, Region]) -> Group:
    """Items due soon, one entry per item over the whole subtree (a deadline is one date for
    every region), with how many pairs each child holds."""
    entries = _entries("due_soon", grouper.target, states, regions, fold=True)
    out = []
    for e in entries:
        counts: dict[str, int] = {}
        for st in e.states:
            code = grouper.group_of(st.region).code
            counts[code] = counts.get(code, 0) + 1
        spread = tuple((g, counts[g.code]) for g in grouper.order if g.code in counts)
        out.append(Entry(e.kind, e.item, e.states, e.regions, e.group, spread))
    out.sort(key=lambda e: (not e.item.critical, e.due, -len(e.states), e.item.id))
    return Group(grouper.target, tuple(out))


def _sections(kinds: Sequence[str], pairs: Iterable[tuple[str, ItemState]], grouper: Grouper,
              regions: dict[str, Region]) -> tuple[Section, ...]:
    found: dict[tuple[str, str], list[ItemState]] = {}
    soon: list[ItemState] = []
    for kind, st in pairs:
        if kind == "due_soon":
            soon.append(st)
        else:
            found.setdefault((kind, grouper.group_of(st.region).code), []).append(st)
    out = []
    for kind in kinds:
        if kind == "due_soon":
            out.append(Section(kind, (_by_deadline(soon, grouper, regions),) if soon else ()))
            continue
        # Blocked pairs stay one entry each (each its own reason, person and date) unless
        # there are more than a printed section lists: then the same item blocked in several
        # places of a group is one entry, as late items are.
        fold = kind != "blocked" or sum(
            len(v) for (k, _g), v in found.items() if k == kind) > SECTION_ROWS
        groups = [
            Group(g, tuple(_entries(kind, g, found[(kind, g.code)], regions, fold=fold)))
            for g in grouper.order if (kind, g.code) in found]
        # Critical first in every list: a region with a critical item (the one critical
        # blockage) goes before regions without, however many items those hold; the rest keep
        # the worst-first order of the map.
        groups.sort(key=lambda grp: not any(e.item.critical for e in grp.entries))
        out.append(Section(kind, tuple(groups)))
    return tuple(out)


def unreported(grouper: Grouper) -> tuple[Region, ...]:
    """The regions of the subtree with no record at all in their own subtree, highest first
    (a regency that never reported, not each of its districts as well)."""
    r = grouper.r
    out: list[Region] = []
    for x in grouper.regions:
        if r.no_report(x.code) and not any(x.code.startswith(u.code + ".") for u in out):
            out.append(x)
    return tuple(out)


def attention(grouper: Grouper) -> tuple[Section, ...]:
    """The four attention sections (some may be empty), in action order. Regions with no
    record at all are left out: their items are unknown, not late (``unreported`` names
    them)."""
    regions = {x.code: x for x in grouper.regions}
    silent = {x.code for x in grouper.regions if grouper.r.no_report(x.code)}
    pairs = []
    for st in grouper.states():
        if st.region in silent:
            continue
        kind = attention_kind(st, grouper.r.results[st.region].d)
        if kind is not None:
            pairs.append((kind, st))
    return _sections(KINDS, pairs, grouper, regions)


def change_digest(found: Sequence[Change], grouper: Grouper) -> ChangeDigest:
    """Changes of the subtree: tally, bad news, newly done per group."""
    from pilkada_cli.domain.views import CHANGE_KINDS

    regions = {x.code: x for x in grouper.regions}
    tally = tuple((k, sum(c.kind == k for c in found)) for k in CHANGE_KINDS)
    bad = _sections(BAD_CHANGES, ((c.kind, c.after) for c in found if c.kind != "done"),
                    grouper, regions)
    done: dict[str, list[int]] = {}
    for c in found:
        if c.kind == "done":
            counts = done.setdefault(grouper.group_of(c.after.region).code, [0, 0])
            counts[0] += 1
            counts[1] += int(c.after.item.critical)
    return ChangeDigest(
        tally=tally, bad=tuple(s for s in bad if s.groups),
        done=tuple((g, done[g.code][0], done[g.code][1]) for g in grouper.order
                   if g.code in done))


def where(entry: Entry, r: Readiness) -> tuple[bool, list[Region], int, str]:
    """Where a folded entry applies: whether the group region itself is among its pairs, the
    other regions (districts, villages), how many regions below the group the item applies to,
    and their level (``kecamatan``)."""
    own = any(x.code == entry.group.code for x in entry.regions)
    below = [x for x in entry.regions if x.code != entry.group.code]
    if not below:
        return own, [], 0, ""
    level = below[0].level
    applicable = sum(1 for x in r.subtree(entry.group.code)
                     if x.level == level and entry.item.applies_to(x.level, r.tags_of(x.code)))
    return own, below, applicable, level
