"""What each readiness view shows (``status``, ``due``, ``changes``), computed once from a
Readiness, and each view's versioned JSON contract. Renderers (render/status.py) format the same
rows for the terminal, CSV and Markdown, so no two formats disagree.

Pure: builds frozen rows of numbers; no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from pilkada_cli.domain.duelist import DAYS, DueEntry, DuePick, OpenPair, Sides
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.readiness import (
    NO_REPORT,
    RANK,
    ZONES,
    ItemState,
    Readiness,
    Summary,
    days_to_voting,
    worst_first,
)
from pilkada_cli.domain.regions import Region, depth_of_level, within

__all__ = ["DAYS", "DueEntry", "DuePick", "OpenPair", "Sides"]  # (moved to duelist.py)

# 2: the level may be "no_report", and a parent's counts leave out its unreported subtrees.
STATUS_SCHEMA = "pilkada.status/2"
DUE_SCHEMA = "pilkada.due/1"
CHANGES_SCHEMA = "pilkada.changes/1"


@dataclass(frozen=True)
class Row:
    """One region's line in an overview."""

    region: Region
    summary: Summary
    stages: tuple[tuple[str, str | None], ...]  # (stage id, level) for the strip
    no_report: bool
    last: Event | None
    child_levels: tuple[tuple[str, int], ...]
    no_report_children: int
    elects: bool = True  # the region elects a head of its own in the cycle
    electing: int = 0  # regions in scope at or under it that elect a head


@dataclass(frozen=True)
class Overview:
    """``pilkada status``: a header, one row per region, and the root's pooled numbers."""

    readiness: Readiness
    as_of: date
    days_to_voting: int
    current_stages: tuple[str, ...]
    strip: tuple[str, ...]  # stage ids shown in the strip
    stage: str | None  # set when narrowed to one stage (--stage)
    root: Row
    rows: tuple[Row, ...]

    @property
    def level_counts(self) -> list[tuple[str, int]]:
        """Rows per level, worst first (rows with no report are counted apart)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            if row.summary.level not in (None, NO_REPORT):
                counts[row.summary.level] = counts.get(row.summary.level, 0) + 1
        return worst_first(counts)

    @property
    def no_report_count(self) -> int:
        """Rows with no events at all."""
        return sum(row.no_report for row in self.rows)


def _row(r: Readiness, region: Region, stage: str | None, strip: Sequence[str]) -> Row:
    s = r.stage(region.code, stage) if stage else r.overall(region.code)
    result = r.results[region.code]
    return Row(
        region=region, summary=s,
        stages=tuple((sid, r.stage(region.code, sid).level) for sid in strip),
        no_report=r.no_report(region.code), last=result.last,
        child_levels=tuple(worst_first(result.child_levels)),
        no_report_children=result.no_report_children,
        elects=r.role(region.code) == "own", electing=r.electing(region.code),
    )


def sort_key(row: Row) -> tuple[int, float, str]:
    """Worst first: by level, then by how far the score is behind expected, then by code."""
    s = row.summary
    level_rank = RANK.index(s.level) if s.level else len(RANK)
    gap = (s.expected or 0.0) - (s.score or 0.0)
    return (level_rank, -gap, row.region.code)


def overview(r: Readiness, stage: str | None = None, depth: str | None = None,
             root: Region | None = None) -> Overview:
    """The overview of ``root`` (default the workspace root): its children, or every region at
    ``depth`` under it."""
    root = root or r.root
    if depth is not None:
        target = depth_of_level(depth)
        listed = [x for x in r.subtree(root.code) if x.depth == target]
    else:
        listed = r.children(root.code)
    d = r.results[root.code].d
    current = tuple(s.id for s in r.stages_of(root.code) if s.start <= d <= s.end)
    strip = tuple(s.id for i, s in enumerate(r.stages)
                  if not r.is_upcoming(root.code, i)) if stage is None else (stage,)
    rows = sorted((_row(r, x, stage, strip) for x in listed), key=sort_key)
    return Overview(
        readiness=r, as_of=d, days_to_voting=days_to_voting(r.cycle, d), current_stages=current,
        strip=strip, stage=stage, root=_row(r, root, stage, strip), rows=tuple(rows),
    )


@dataclass(frozen=True)
class Detail:
    """``pilkada status REGION``: the region's stages and items, and its children if any."""

    overview: Overview
    stages: tuple[tuple[str, Summary], ...]
    items: tuple[ItemState, ...]


def detail(r: Readiness, code: str, stage: str | None = None) -> Detail:
    """One region's stages and items (the overview part lists its children)."""
    ov = overview(r, stage, root=r.region(code))
    stages = tuple((s.id, r.stage(code, s.id)) for s in r.stages
                   if stage is None or s.id == stage)
    return Detail(ov, stages, tuple(r.items(code, stage)))


def needs_action(r: Readiness, blocks: Mapping[str, Sequence[OpenPair]],
                 offices: Callable[[], Mapping[str, str]], code: str,
                 stage: str | None = None) -> list[DueEntry]:
    """What needs action in ``code``'s subtree (of ``stage``, if given), worst first: blocked,
    overdue, and due within the warning days (what ``status REGION`` shows first); ``blocks``
    as for ``due_list``."""
    action = due_list(r, blocks, offices, r.thresholds.warn_days, root=code)
    return action if stage is None else [st for st in action if st.item.stage == stage]


def unreported(r: Readiness, code: str) -> list[Region]:
    """The regions of ``code``'s subtree (itself included) that have reported nothing, each
    listed without its descendants (which have reported nothing either)."""
    if r.no_report(code):
        return [r.region(code)]
    return [x for x in r.subtree(code)
            if r.no_report(x.code) and not r.no_report(x.parent_code or "")]


def open_pairs(r: Readiness, codes: Sequence[str]) -> dict[str, list[OpenPair]]:
    """Per region of ``codes``, its items neither done nor n/a, by item id, with when and why
    a blocked one is blocked; the events of all the blocked pairs are read at once."""
    states = {code: r.items(code, open_only=True) for code in codes}
    r.preload([st for listed in states.values() for st in listed if st.status == "blocked"])
    out: dict[str, list[OpenPair]] = {}
    for code, listed in states.items():
        zone = ZONES[r.region(code).timezone]
        rows: list[OpenPair] = []
        for st in listed:
            since, note, sides = 0, "", None
            if st.status == "blocked":
                ev = st.event
                if ev is not None:
                    since, note = ev.at.local(zone).toordinal(), ev.note
                conflict = st.conflict
                if conflict:
                    sides = tuple((e.status, e.progress, e.by, e.origin) for e in conflict.sides)
                    # in doubt since the later side happened; the reason is a blocked side's
                    # (the event that counts may be a "done" with no note)
                    since = max(e.at.us for e in conflict.sides)
                    since = max(e.at.local(zone).toordinal() for e in conflict.sides
                                if e.at.us == since)
                    note = next((e.note for e in conflict.sides
                                 if e.status == "blocked" and e.note), "")
            rows.append((st.item.id, st.status, st.progress, since, note, sides))
        rows.sort(key=itemgetter(0))  # by item id: how due_list breaks ties
        out[code] = rows
    return out


def reporting(r: Readiness, root: str | None = None) -> list[str]:
    """The regions of ``root``'s subtree (itself included; default: every region) that have
    reported something, in code order: those whose items ``due`` lists."""
    regions = r.regions if root is None else [r.region(root), *r.subtree(root)]
    return [x.code for x in regions if not r.no_report(x.code)]


def due_list(r: Readiness, blocks: Mapping[str, Sequence[OpenPair]],
             offices: Callable[[], Mapping[str, str]], within: int, overdue_only: bool = False,
             owner: str | None = None, critical_only: bool = False, root: str | None = None,
             stage: str | None = None) -> list[DueEntry]:
    """Late, blocked and upcoming (region, item) pairs of ``root``'s subtree (default: every
    region), worst first: critical overdue, overdue (blocked first, then most days late),
    then the rest by due date. Regions with no report are left out: nothing is known about
    their items. ``blocks``: each region's ``open_pairs``; ``offices``: origin -> office."""
    out: list[DueEntry] = []
    keys: list[int] = []
    pick = DuePick(r, offices, within, overdue_only, owner, critical_only, stage)
    for code in sorted(reporting(r, root)):  # by region, then item (each block's order)
        pick.region(code, blocks[code], out, keys)
    return [out[i] for i in sorted(range(len(out)), key=keys.__getitem__)]


@dataclass(frozen=True)
class DueTally:
    """What a list of late and upcoming items adds up to, for the line above it."""

    overdue: int
    critical_overdue: int
    due_soon: int  # not overdue, due within the list's days (blocked ones included)
    blocked: int
    critical_blocked: int
    worst: tuple[Region, int] | None  # the child region with the most overdue items


def due_tally(r: Readiness, entries: Sequence[DueEntry], root: str, within: int) -> DueTally:
    """Counts of ``entries`` and the child of ``root`` (or deeper region) most overdue. The
    list holds what is overdue, blocked, or due within ``within`` days of each region's own
    date: the entries counted as due within those days are the ones not overdue that the
    list holds for that reason (every one not blocked, and the blocked ones due that soon)."""
    return tally_of(r, due_counts(r, entries, within), root)


def due_counts(r: Readiness, entries: Sequence[DueEntry], within: int) -> dict[str, list[int]]:
    """Per region of ``entries``: overdue, critical overdue, due within ``within`` days of the
    region's own date (not overdue), blocked, critical blocked; each entry counted once, a
    blocked one as blocked however late (as readiness counts)."""
    counts: dict[str, list[int]] = {}
    for st in entries:  # one pass: tens of thousands at national scale
        mine = counts.get(st.region)
        if mine is None:
            mine = counts[st.region] = [0] * 5
        critical = int(st.item.critical)
        if st.status == "blocked":  # blocked wins: counted once, as readiness counts it
            mine[3] += 1
            mine[4] += critical
        elif st.overdue:
            mine[0] += 1
            mine[1] += critical
        elif not st.under_way or (st.due - r.results[st.region].d).days <= within:
            mine[2] += 1  # (a window item under way is listed, and due soon only if it is)
    return counts


def tally_of(r: Readiness, counts: Mapping[str, Sequence[int]], root: str) -> DueTally:
    """The tally from each region's counts (overdue, critical overdue, due within the list's
    days, blocked, critical blocked; as ``due_tally`` counts them), with the child of ``root``
    (or deeper region) most overdue."""
    late: dict[str, int] = {}
    depth = r.region(root).depth + 1
    totals = [0] * 5
    for code, mine in counts.items():
        for k in range(5):
            totals[k] += mine[k]
        if mine[0]:
            child = ".".join(code.split(".")[:depth])
            if child != root and child in r.results:
                late[child] = late.get(child, 0) + mine[0]
    worst = min(late.items(), key=lambda kv: (-kv[1], kv[0])) if late else None
    return DueTally(
        overdue=totals[0], critical_overdue=totals[1], due_soon=totals[2],
        blocked=totals[3], critical_blocked=totals[4],
        worst=None if worst is None else (r.region(worst[0]), worst[1]),
    )


@dataclass(frozen=True)
class Due:
    """``pilkada due``: the late, blocked and upcoming pairs of a region's subtree."""

    readiness: Readiness
    target: Region
    within: int
    entries: tuple[DueEntry, ...]
    tally: DueTally
    silent: tuple[Region, ...]  # regions that reported nothing (their items are unknown)


def due(r: Readiness, blocks: Mapping[str, Sequence[OpenPair]],
        offices: Callable[[], Mapping[str, str]], target: Region, within: int,
        overdue_only: bool = False, owner: str | None = None, critical_only: bool = False,
        stage: str | None = None) -> Due:
    """The ``due`` view of ``target``'s subtree (``blocks``, ``offices``: see ``due_list``;
    ``stage``: only that stage's items)."""
    entries = due_list(r, blocks, offices, within, overdue_only, owner, critical_only,
                       root=target.code, stage=stage)
    return Due(r, target, within, tuple(entries), due_tally(r, entries, target.code, within),
               tuple(unreported(r, target.code)))


def due_json(v: Due) -> dict[str, Any]:
    """The versioned JSON contract of ``pilkada due`` (schema ``pilkada.due/1``): every entry
    with the event behind it (read once per record file)."""
    r = v.readiness
    states: dict[tuple[str, str], ItemState] = {}
    for code in dict.fromkeys(st.region for st in v.entries):
        states.update(((code, st.item.id), st) for st in r.items(code, open_only=True))
    listed = [states[(st.region, st.item.id)] for st in v.entries]
    r.preload(listed)
    return {"schema": DUE_SCHEMA, "as_of": r.results[v.target.code].d.isoformat(),
            "within": v.within, "items": [item_json(st) for st in listed],
            "no_report": [x.code for x in v.silent]}


def summary_json(s: Summary) -> dict[str, Any]:
    """A Summary as JSON numbers (exact sums, and the percentages the tables show)."""
    return {
        "level": s.level,
        "score": None if s.score is None else round(s.score * 100, 1),
        "expected": None if s.expected is None else round(s.expected * 100, 1),
        "weight": s.weight, "credit": s.credit / 100, "expected_weight": s.expected_weight,
        "items": s.items, "done": s.done, "overdue": s.overdue,
        "critical_overdue": s.critical_overdue, "blocked": s.blocked,
        "critical_blocked": s.critical_blocked, "due_soon": s.due_soon, "na": s.na,
    }


def _row_json(row: Row) -> dict[str, Any]:
    last = row.last
    return {
        "code": row.region.code, "name": row.region.name, "region_level": row.region.level,
        "timezone": row.region.timezone, **summary_json(row.summary),
        "no_report": row.no_report,
        "last_update": None if last is None else {"at": last.at.text, "by": last.by},
        "stages": [{"id": sid, "level": level} for sid, level in row.stages],
        "children": dict(row.child_levels),
        "children_no_report": row.no_report_children,
        "elects": row.elects, "electing_regions": row.electing,
    }


def overview_json(ov: Overview) -> dict[str, Any]:
    """The versioned JSON contract of ``pilkada status`` (schema ``pilkada.status/2``)."""
    r = ov.readiness
    return {
        "schema": STATUS_SCHEMA,
        "cycle": {"id": r.cycle.id, "name": r.cycle.name,
                  "voting_day": r.cycle.voting_day.isoformat()},
        "as_of": ov.as_of.isoformat(),
        "days_to_voting": ov.days_to_voting,
        "thresholds": {"warn_days": r.thresholds.warn_days, "red_gap": r.thresholds.red_gap},
        "stage": ov.stage,
        "current_stages": list(ov.current_stages),
        "root": _row_json(ov.root),
        "regions": [_row_json(row) for row in ov.rows],
        "totals": {"levels": dict(ov.level_counts), "no_report": ov.no_report_count},
    }


def item_json(st: ItemState) -> dict[str, Any]:
    """One (region, item) pair as JSON."""
    ev = st.event
    return {
        "region": st.region, "item": st.item.id, "stage": st.item.stage,
        "title": st.item.title, "owner": st.item.owner, "critical": st.item.critical,
        "weight": st.item.weight, "due": st.due.isoformat(),
        "from": st.item.start.isoformat() if st.item.start else None,
        "under_way": st.under_way, "status": st.status,
        "progress": st.progress, "overdue": st.overdue, "due_soon": st.due_soon,
        "days_late": st.days_late,
        "note": ev.note if ev else "", "evidence": list(ev.evidence) if ev else [],
        "by": ev.by if ev else None, "at": ev.at.text if ev else None,
        "event": ev.id if ev else None,
        "conflict": [{"status": e.status, "progress": e.progress, "by": e.by, "at": e.at.text,
                      "origin": e.origin, "office": office, "event": e.id}
                     for e, office in zip(st.conflict.sides, st.conflict.offices, strict=True)]
        if st.conflict else None,
    }


def detail_json(dt: Detail) -> dict[str, Any]:
    """``status REGION --format json``: the overview contract plus stages and items."""
    data = overview_json(dt.overview)
    data["region_stages"] = [{"id": sid, **summary_json(s)} for sid, s in dt.stages]
    data["items"] = [item_json(st) for st in dt.items]
    return data


@dataclass(frozen=True)
class Change:
    """One (region, item) pair that changed in a window."""

    kind: str  # done, regressed, blocked, overdue
    before: ItemState
    after: ItemState


CHANGE_KINDS = ("done", "regressed", "blocked", "overdue")


def changes(before: Readiness, after: Readiness) -> list[Change]:
    """What changed between two readiness snapshots of the same scope: newly done, regressed
    (done → anything else), newly blocked, newly overdue; by region, then kind, then item.
    Regions with no report have nothing that changed (their items are not known to be late)."""
    out: list[Change] = []
    for region in after.regions:
        if after.no_report(region.code):
            continue
        old = {st.item.id: st for st in before.items(region.code)}
        for new in after.items(region.code):
            prev = old.get(new.item.id)
            if prev is None:
                continue
            kinds = []
            if new.status == "done" and prev.status != "done":
                kinds.append("done")
            if prev.status == "done" and new.status != "done":
                kinds.append("regressed")
            if new.status == "blocked" and prev.status != "blocked":
                kinds.append("blocked")
            if new.overdue and not prev.overdue:
                kinds.append("overdue")
            out += [Change(kind, prev, new) for kind in kinds]
    out.sort(key=lambda c: (c.after.region, CHANGE_KINDS.index(c.kind), c.after.item.id))
    return out


def change_json(c: Change) -> dict[str, Any]:
    """One change as JSON."""
    return {"kind": c.kind, "before": c.before.status, **item_json(c.after)}


@dataclass(frozen=True)
class Changes:
    """``pilkada changes``: what changed in a region's subtree from ``since`` to ``until``."""

    readiness: Readiness  # at the end of the window
    target: Region
    since: date
    until: date
    entries: tuple[Change, ...]


def changes_in(before: Readiness, after: Readiness, target: Region, since: date) -> Changes:
    """The ``changes`` view of ``target``'s subtree: ``before`` is the readiness at the end of
    the day before ``since``, ``after`` at the end of the window."""
    entries = [c for c in changes(before, after) if within(c.after.region, target.code)]
    return Changes(after, target, since, after.results[target.code].d, tuple(entries))


def changes_json(v: Changes) -> dict[str, Any]:
    """The versioned JSON contract of ``pilkada changes`` (schema ``pilkada.changes/1``)."""
    return {"schema": CHANGES_SCHEMA, "since": v.since.isoformat(),
            "until": v.until.isoformat(), "changes": [change_json(c) for c in v.entries]}
