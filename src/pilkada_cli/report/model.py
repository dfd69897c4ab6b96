"""The content of a report, built once from a Readiness and rendered by every format.

Pure: no I/O, no printing. Every number comes from the Readiness (through ``views``), so the
documents carry exactly the numbers of ``pilkada status``; renderers only format them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pilkada_cli.base.i18n import _, format_date, format_percent, language
from pilkada_cli.domain.checklist import Cycle, Stage
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.readiness import ZONES, ItemState, Readiness, Summary
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.views import (
    Change,
    Overview,
    change_json,
    changes,
    detail,
    detail_json,
    item_json,
    overview,
    overview_json,
    summary_json,
)
from pilkada_cli.render.labels import level_word
from pilkada_cli.render.listings import title_of
from pilkada_cli.render.text import inert
from pilkada_cli.report.attention import (
    DUE_WINDOW_DAYS as DUE_WINDOW_DAYS,
)
from pilkada_cli.report.attention import (
    KINDS,
    ChangeDigest,
    Grouper,
    Section,
    attention,
    attention_kind,
    change_digest,
    fit,
    unreported,
)
from pilkada_cli.report.why import Why, root_why, stages_under_way, why_rows

REPORT_SCHEMA = "pilkada.report/2"  # 2: the level may be "no_report"
APPENDIX_MODES = ("open", "all", "none")
APPENDIX_ROWS = 240  # items an ``open`` appendix lists (about eight A4 pages); the rest counted


@dataclass(frozen=True)
class Line:
    """One region of the regions × stages matrix (tree order, the report's region first)."""

    region: Region
    indent: int  # levels below the report's region
    summary: Summary  # every stage (the status overall row)
    stages: tuple[Summary, ...]  # one per Report.columns
    no_report: bool
    last: Event | None


@dataclass(frozen=True)
class Appendix:
    """One region's items, in stage order."""

    region: Region
    summary: Summary
    items: tuple[ItemState, ...]
    more: int = 0  # open items left out of a printed appendix (the XLSX lists them)


@dataclass(frozen=True)
class Fact:
    """One line of the report's header: a label, its text as shown, and its typed value."""

    key: str  # stable machine name
    label: str
    text: str
    value: str | int | date | datetime


@dataclass(frozen=True)
class Report:
    """Everything a report shows; see the issue's list of sections."""

    title: str
    generated_by: str
    generated_at: datetime  # aware
    sample: bool
    record_problems: int  # unreadable record lines that were skipped (run `pilkada verify`)
    readiness: Readiness
    target: Region
    overview: Overview  # the report region's children, worst first (as `pilkada status`)
    status_json: dict[str, Any]  # exactly what `pilkada status [REGION] --format json` prints
    columns: tuple[Stage, ...]  # the matrix's stages: those not upcoming for the report region
    lines: tuple[Line, ...]
    why: tuple[Why, ...]  # page one: each child of the report region, worst first
    root_why: Why
    under_way: tuple[Stage, ...]  # the stages the "why" bars cover
    sections: tuple[Section, ...]  # attention over the whole subtree, in action order
    unreported: tuple[Region, ...]  # regions with no record at all (left out of attention)
    since: date | None
    changes: tuple[Change, ...] | None  # None without --since; the whole subtree
    digest: ChangeDigest | None
    items: tuple[Appendix, ...]  # every item of every listed region (XLSX, CSV, JSON)
    appendix: tuple[Appendix, ...]  # what the documents print, by ``appendix_mode``
    appendix_mode: str  # open, all, none
    appendix_given: bool  # --appendix was given (else Markdown leaves the appendix out)
    stage_numbers: Mapping[str, int]  # stage id -> 1-based number in the cycle

    @property
    def cycle(self) -> Cycle:
        """The workspace's cycle."""
        return self.readiness.cycle

    @property
    def as_of(self) -> date:
        """The as-of date in the report region's time zone."""
        return self.overview.as_of

    @property
    def root(self) -> Line:
        """The report region's own line."""
        return self.lines[0]

    def stage_number(self, stage_id: str) -> int:
        """A stage's 1-based number in the cycle (the numbers `pilkada stages` shows)."""
        return self.stage_numbers[stage_id]

    def level_counts(self) -> list[tuple[str, int]]:
        """Regions one level below the report region, per level, worst first."""
        return self.overview.level_counts

    @property
    def attention(self) -> list[ItemState]:
        """Blocked and overdue pairs of the subtree, in the attention list's order."""
        return [st for sec in self.sections if sec.kind != "due_soon"
                for e in sec.entries for st in e.states]

    @property
    def upcoming(self) -> list[ItemState]:
        """Pairs due within DUE_WINDOW_DAYS, neither blocked nor overdue."""
        return [st for sec in self.sections if sec.kind == "due_soon"
                for e in sec.entries for st in e.states]

    def section(self, kind: str) -> Section | None:
        """The attention section of ``kind`` (None when it is empty)."""
        return next((sec for sec in self.sections if sec.kind == kind and sec.groups), None)

    @property
    def region_names(self) -> dict[str, Region]:
        """Every region of the subtree by code (names for the attention and changes lists)."""
        return {x.code: x for x in (self.target, *self.readiness.subtree(self.target.code))}


def build_report(r: Readiness, *, target: Region | None, title: str | None, generated_by: str,
                 generated_at: datetime, sample: bool = False, depth: int | None = None,
                 before: Readiness | None = None, since: date | None = None,
                 record_problems: int = 0, skipped: Sequence[Mapping[str, Any]] = (),
                 appendix: str = "open", appendix_given: bool = False) -> Report:
    """The report of ``target`` (None: the workspace root, as `status` without REGION),
    listing regions down to ``depth`` (a region depth; None: the region and its children).
    ``before``/``since``: the readiness at the end of the day before ``since``, for changes.
    ``appendix``: which items the documents list per region (APPENDIX_MODES). ``skipped``: the
    damaged lines the records had, as `status --format json` lists them (Session.skipped)."""
    region = target or r.root
    ov = overview(r, root=region)
    status = overview_json(ov) if target is None else detail_json(detail(r, region.code))
    status["skipped"] = [dict(x) for x in skipped]  # as `status --format json`: what was left out
    limit = region.depth + 1 if depth is None else depth
    listed = [region, *(x for x in r.subtree(region.code) if x.depth <= limit)]
    columns = tuple(s for s in r.stages_of(region.code) if s.id in ov.strip)
    lines = tuple(_line(r, x, region, columns) for x in listed)
    items = tuple(a for a in (Appendix(x, r.overall(x.code), tuple(r.items(x.code)))
                              for x in listed) if a.items)
    grouper = Grouper(r, region, [row.region for row in ov.rows])
    diff = digest = None
    if before is not None:
        subtree = {x.code for x in grouper.regions}
        diff = tuple(c for c in changes(before, r) if c.after.region in subtree)
        digest = change_digest(diff, grouper)
    return Report(
        title=title or _("Pilkada readiness report: {region}").format(region=region.name),
        generated_by=generated_by, generated_at=generated_at, sample=sample,
        record_problems=record_problems, readiness=r, target=region, overview=ov,
        status_json=status, columns=columns, lines=lines, why=why_rows(r, ov),
        root_why=root_why(r, ov), under_way=stages_under_way(r, ov.as_of, region.code),
        sections=attention(grouper), unreported=unreported(grouper), since=since,
        changes=diff, digest=digest, items=items,
        appendix=_appendix(r, items, appendix), appendix_mode=appendix,
        appendix_given=appendix_given,
        stage_numbers={s.id: i for i, s in enumerate(r.stages, 1)},
    )


def _appendix(r: Readiness, items: tuple[Appendix, ...], mode: str) -> tuple[Appendix, ...]:
    """``all``: every item; ``none``: nothing; ``open``: the items not done that matter now
    (blocked, overdue, due within DUE_WINDOW_DAYS, in progress), at most APPENDIX_ROWS in
    all: each region keeps its most urgent ones (``fit``) and counts the rest. Each region
    lists its critical items first, each part in stage order."""
    if mode == "all":
        return tuple(Appendix(a.region, a.summary, _critical_first(a.items)) for a in items)
    if mode == "none":
        return ()
    out = []
    for block in items:
        if r.no_report(block.region.code):
            continue  # nothing recorded: every item would be listed, and none is known
        d = r.results[block.region.code].d
        keep = [(st, attention_kind(st, d)) for st in block.items]
        found = [(i, st, kind) for i, (st, kind) in enumerate(keep)
                 if kind is not None or st.status == "in_progress"]
        if found:
            out.append((block, found))
    caps = fit([len(found) for _b, found in out], APPENDIX_ROWS)
    return tuple(_most_urgent(block, found, k) for (block, found), k in zip(out, caps,
                                                                              strict=True))


_URGENCY = {kind: i for i, kind in enumerate(KINDS)}  # in progress, not due soon: last


def _most_urgent(block: Appendix, found: list[tuple[int, ItemState, str | None]],
                 k: int) -> Appendix:
    """The ``k`` most urgent of a region's open items, critical first, each part in stage
    order (their order in ``block``)."""
    ranked = sorted(found, key=lambda f: (_URGENCY.get(f[2] or "", len(KINDS)),
                                          not f[1].item.critical, -f[1].days_late, f[1].due,
                                          f[0]))
    kept = sorted(ranked[:k], key=lambda f: (not f[1].item.critical, f[0]))
    return Appendix(block.region, block.summary, tuple(st for _i, st, _k in kept),
                    more=len(found) - len(kept))


def _critical_first(states: tuple[ItemState, ...]) -> tuple[ItemState, ...]:
    """A region's items with the critical ones first, each part in stage order."""
    return tuple(sorted(states, key=lambda st: not st.item.critical))


def _line(r: Readiness, region: Region, top: Region, columns: Sequence[Stage]) -> Line:
    return Line(
        region=region, indent=region.depth - top.depth, summary=r.overall(region.code),
        stages=tuple(r.stage(region.code, s.id) for s in columns),
        no_report=r.no_report(region.code), last=r.results[region.code].last,
    )


# --- words shared by every format -------------------------------------------------------------


def text(value: str) -> str:
    """User or checklist text with control and bidi characters made visible (never obeyed)."""
    return inert(value)


def pct(value: float | None) -> str:
    """A share as every format shows it: one decimal, ``85,5%`` in Indonesian."""
    return format_percent(value, 1)


def share(value: float | None) -> float | None:
    """A share rounded as shown (one decimal of a percent), for spreadsheet number cells."""
    return None if value is None else round(value * 100, 1) / 100


def day_label(days_to_voting: int) -> str:
    """H-98, H, H+3: how officials count days to voting day."""
    if days_to_voting > 0:
        return f"H-{days_to_voting}"
    return "H" if days_to_voting == 0 else f"H+{-days_to_voting}"


def local_time(moment: datetime, zone: str) -> datetime:
    """``moment`` in a region's time zone (WIB, WITA, WIT)."""
    return moment.astimezone(ZONES[zone])


def format_moment(moment: datetime, zone: str) -> str:
    """``21 Agustus 2024 10.15 WIB`` (Indonesian writes the time with a dot)."""
    local = local_time(moment, zone)
    clock = local.strftime("%H.%M" if language() == "id" else "%H:%M")
    return f"{format_date(local.date())} {clock} {zone}"


def event_moment(ev: Event, zone: str) -> datetime:
    """When an event happened, in a region's time zone."""
    return ev.at.local(ZONES[zone])


def cell_text(s: Summary) -> str:
    """A matrix cell: the level word and the score (``KRITIS 45,0%``); a dash if nothing
    applies."""
    if s.level is None or not s.weight:
        return "—"
    return f"{level_word(s.level)} {pct(s.score)}"


def stage_title(report: Report, stage: Stage) -> str:
    """``3. Perencanaan Penyelenggaraan`` (number and title in the current language)."""
    return f"{report.stage_number(stage.id)}. {text(title_of(stage))}"


def region_label(region: Region) -> str:
    """``16.71 Kota Palembang``."""
    return f"{region.code} {text(region.name)}"


def facts(report: Report) -> list[Fact]:
    """The header: cycle, region, as-of, voting day, current stages, since, who and when."""
    cycle = report.cycle
    name = cycle.name_en if language() == "en" and cycle.name_en else cycle.name
    ov = report.overview
    current = [stage_title(report, s) for s in cycle.stages if s.id in ov.current_stages]
    zone = report.target.timezone
    out = [
        Fact("cycle", _("Cycle"), text(name), text(name)),
        Fact("regulation", _("Regulation"), text(cycle.regulation), text(cycle.regulation)),
        Fact("region", _("Region"), region_label(report.target), region_label(report.target)),
        *election_facts(report),
        Fact("as_of", _("As of"), format_date(report.as_of), report.as_of),
        Fact("voting_day", _("Voting day"), format_date(cycle.voting_day), cycle.voting_day),
        Fact("days_to_voting", _("Days to voting day"),
             f"{day_label(ov.days_to_voting)} ({ov.days_to_voting})", ov.days_to_voting),
        Fact("current_stages", _("Current stage(s)"), "; ".join(current) or "—",
             "; ".join(current) or "—"),
    ]
    if report.since is not None:
        out.append(Fact("since", _("Changes since"), format_date(report.since), report.since))
    local = local_time(report.generated_at, zone).replace(tzinfo=None)
    out += [
        Fact("generated_by", _("Generated by"), text(report.generated_by),
             text(report.generated_by)),
        Fact("generated_at", _("Generated at"), format_moment(report.generated_at, zone), local),
    ]
    return out


def election_facts(report: Report) -> list[Fact]:
    """How many regions of the report elect a head, and which of them elect none (§8a)."""
    r, code = report.readiness, report.target.code
    scope = [report.target, *r.subtree(code)]
    none = [x for x in scope if x.depth in (1, 2) and r.role(x.code) != "own"]
    n = r.electing(code)
    out = [Fact("electing", _("Regions that elect a head"), str(n), n)]
    if none:
        names = "; ".join(region_label(x) for x in none)
        out.append(Fact("no_election", _("Elect no head in this cycle"), names, names))
    return out


def summary_facts(report: Report) -> list[Fact]:
    """The summary: the report region's score against expected, regions per level, no report."""
    s = report.root.summary
    counts = report.level_counts()
    words = ", ".join(f"{n} {level_word(lvl)}" for lvl, n in counts) or "—"
    none = report.overview.no_report_count
    return [
        Fact("level", _("Level"), level_word(s.level), level_word(s.level)),
        Fact("score", _("Score"), pct(s.score), pct(s.score)),
        Fact("expected", _("Target by now"), pct(s.expected), pct(s.expected)),
        Fact("items", _("Items done"), f"{s.done} / {s.items}", s.done),
        Fact("overdue", _("Overdue (critical)"), f"{s.overdue} ({s.critical_overdue})",
             s.overdue),
        Fact("blocked", _("Blocked"), str(s.blocked), s.blocked),
        Fact("regions", _("Regions per level"), words, words),
        Fact("no_report", _("Regions with no report"), str(none), none),
    ]


def banners(report: Report) -> list[str]:
    """Warnings every format shows at the top: sample data, skipped record lines."""
    out = []
    if report.sample:
        out.append(_("SAMPLE DATA — not real records"))
    if report.record_problems:
        out.append(_("Warning: {n} problem(s) in the record files were skipped; run `pilkada "
                     "verify` for details.").format(n=report.record_problems))
    return out


def change_word(kind: str) -> str:
    """newly done, regressed, newly blocked, became overdue."""
    return {"done": _("newly done"), "regressed": _("regressed"),
            "blocked": _("newly blocked"), "overdue": _("became overdue")}[kind]


def note_of(st: ItemState) -> str:
    """The note of the event that set the status, or both values of a conflict (inert)."""
    if st.conflict:
        from pilkada_cli.render.labels import conflict_text

        return text(conflict_text(st.conflict))
    return text(st.event.note) if st.event else ""


def evidence_of(st: ItemState) -> str:
    """The evidence references, joined with ``; `` (inert)."""
    return "; ".join(text(e) for e in st.event.evidence) if st.event else ""


def report_json(report: Report) -> dict[str, Any]:
    """The status contract plus the report's sections under ``report``."""
    data = dict(report.status_json)
    data["report"] = {
        "schema": REPORT_SCHEMA,
        "title": report.title,
        "region": report.target.code,
        "generated_by": report.generated_by,
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "sample": report.sample,
        "banners": banners(report),
        "record_problems": report.record_problems,
        "since": report.since.isoformat() if report.since else None,
        "stages": [{"n": report.stage_number(s.id), "id": s.id, "title": s.title,
                    "start": s.start.isoformat(), "end": s.end.isoformat()}
                   for s in report.columns],
        "summary": {"levels": dict(report.level_counts()),
                    "no_report": report.overview.no_report_count,
                    **summary_json(report.root.summary)},
        "regions": [_line_json(line, report.columns) for line in report.lines],
        "attention": [item_json(st) for st in report.attention],
        "due": [item_json(st) for st in report.upcoming],
        "changes": None if report.changes is None else [change_json(c) for c in report.changes],
        "appendix_mode": report.appendix_mode,
        "appendix": [{"code": a.region.code, "items": [item_json(st) for st in a.items]}
                     for a in report.items],
    }
    return data


def _line_json(line: Line, columns: Sequence[Stage]) -> dict[str, Any]:
    last = line.last
    return {
        "code": line.region.code, "name": line.region.name,
        "region_level": line.region.level, "parent": line.region.parent_code,
        **summary_json(line.summary), "no_report": line.no_report,
        "last_update": None if last is None else {"at": last.at.text, "by": last.by},
        "stages": [{"id": s.id, **summary_json(x)}
                   for s, x in zip(columns, line.stages, strict=True)],
    }

