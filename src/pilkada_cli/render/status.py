"""Grids for the status views: overview, region detail, due list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pilkada_cli.events import Event, parse_instant
from pilkada_cli.i18n import _, format_date, format_date_short, format_percent, language
from pilkada_cli.labels import (
    LEVEL_STYLE,
    STATUS_STYLE,
    STATUS_SYMBOL,
    conflict_text,
    level_letter,
    level_word,
    no_head_word,
    state_word,
    status_word,
)
from pilkada_cli.readiness import ZONES, ItemState, Summary
from pilkada_cli.regions import timezone_of
from pilkada_cli.render.catalog import title_of
from pilkada_cli.render.table import Grid
from pilkada_cli.views import Change, Detail, Overview, Row


def pct(value: float | None) -> str:
    """A share as the percentage every format shows (one decimal)."""
    return format_percent(value, 1)


def _level(level: str | None) -> tuple[str, str]:
    return (level_word(level), LEVEL_STYLE[level])


def _when(ev: Event | None, zone: str) -> str:
    if ev is None:
        return "—"
    moment = parse_instant(ev.at).astimezone(ZONES[zone])
    return f"{format_date_short(moment.date())} · {ev.by}"


def header_lines(ov: Overview) -> list[str]:
    """Cycle, as-of date, days to voting day, current stage(s)."""
    r = ov.readiness
    name = r.cycle.name_en if language() == "en" and r.cycle.name_en else r.cycle.name
    h = ov.days_to_voting
    day = f"H-{h}" if h > 0 else ("H" if h == 0 else f"H+{-h}")
    stages = [title_of(s) for s in r.stages if s.id in ov.current_stages]
    lines = [
        f"{name} — {ov.root.region.name} ({ov.root.region.code})",
        _("As of {date} · {day} · voting day {voting}").format(
            date=format_date(ov.as_of), day=day, voting=format_date(r.cycle.voting_day)),
        _("Current stage(s): {stages}").format(stages="; ".join(stages) or "—"),
    ]
    if ov.stage:
        stage = r.cycle.stage(ov.stage)
        assert stage is not None
        lines.append(_("Stage: {title}").format(title=title_of(stage)))
    lines += election_lines(ov)
    return lines


def election_lines(ov: Overview) -> list[str]:
    """Who elects in the view: the root's own election, and how many regions in it elect."""
    root, out = ov.root, []
    if not root.elects and root.region.depth in (1, 2):
        why = ov.readiness.cycle.no_election_reason(root.region.code)
        out.append(_("{name} elects no head in this cycle{why}").format(
            name=root.region.name, why=f": {why}" if why else ""))
    if root.region.depth < 2:
        out.append(_("Regions that elect a head: {n}").format(n=root.electing))
    return out


def next_steps(folder: str | None = None) -> list[str]:
    """What to do in a workspace with no records (after ``cd folder`` when given)."""
    lines = [_("Next steps:")]
    if folder is not None:
        lines.append(f"  cd {folder}")
    lines += [
        _("  pilkada done REGION ITEM…        record finished items (`pilkada items` lists "
          "them)"),
        _("  pilkada record --from FILE.csv   many changes at once, from a CSV file or a "
          "filled-in sheet"),
        _("  pilkada sheet REGION             fill-in sheets for offices without the tool"),
        _("  pilkada status                   readiness per region"),
    ]
    return lines


def no_records_lines(ov: Overview) -> list[str]:
    """Said when nothing at all has been recorded for the region shown."""
    return [_("No records yet for {region}: every region shows NO REPORT until something is "
              "recorded.").format(region=ov.root.region.short_name), *next_steps()]


def footer_line(ov: Overview) -> str:
    """Regions per level, no-report regions, the root's pooled score."""
    counts = ", ".join(f"{n} {level_word(lvl)}" for lvl, n in ov.level_counts) or "—"
    s = ov.root.summary
    return _("Regions: {counts} · no report: {none} · {root}: {score} (expected {expected}) "
             "{level}").format(counts=counts, none=ov.no_report_count, root=ov.root.region.name,
                               score=pct(s.score), expected=pct(s.expected),
                               level=level_word(s.level))


def _overdue(s: Summary) -> str:
    return f"{s.overdue} ({s.critical_overdue})" if s.critical_overdue else str(s.overdue)


def overview_grid(ov: Overview) -> Grid:
    """The overview table: worst first, with a stage strip."""
    r = ov.readiness
    numbers = {s.id: str(i) for i, s in enumerate(r.stages, 1)}
    strip_header = _("Stages") + " " + " ".join(numbers[sid] for sid in ov.strip)
    grid = Grid(headers=[_("Region"), _("Level"), _("Score"), _("Expected"),
                         _("Overdue (critical)"), _("Blocked"), _("Due soon"),
                         _("Last update"), strip_header], numeric={2, 3, 4, 5, 6},
                nowrap={1, 8})
    for row in ov.rows:
        grid.add(*_overview_cells(row, ov))
    return grid


def _overview_cells(row: Row, ov: Overview) -> list[tuple[str, str]]:
    s = row.summary
    name = f"{row.region.code} {row.region.short_name}"
    if not row.elects and row.region.depth in (1, 2):
        name += " · " + no_head_word()
    widths = [len(str(i)) for i in range(1, len(ov.readiness.stages) + 1)]
    index = {s.id: i for i, s in enumerate(ov.readiness.stages)}
    strip = " ".join(level_letter(level).ljust(widths[index[sid]]) for sid, level in row.stages)
    return [
        (name, "dim" if row.no_report else ""), _level(s.level), (pct(s.score), ""),
        (pct(s.expected), ""), (_overdue(s), "red" if s.critical_overdue else ""),
        (str(s.blocked), "red" if s.blocked else ""), (str(s.due_soon), ""),
        (_when(row.last, row.region.timezone), ""), (strip.rstrip(), ""),
    ]


def stages_grid(dt: Detail) -> Grid:
    """A region's stages: level, score, expected, counts."""
    r = dt.overview.readiness
    grid = Grid(headers=["#", _("Stage"), _("Level"), _("Score"), _("Expected"),
                         _("Overdue (critical)"), _("Blocked"), _("Due soon")],
                numeric={0, 3, 4, 5, 6, 7})
    numbers = {s.id: str(i) for i, s in enumerate(r.stages, 1)}
    for sid, s in dt.stages:
        if s.weight == 0 and s.na == 0:
            continue
        stage = r.cycle.stage(sid)
        assert stage is not None
        grid.add(numbers[sid], title_of(stage), _level(s.level), pct(s.score), pct(s.expected),
                 _overdue(s), str(s.blocked), str(s.due_soon))
    return grid


def items_grid(items: Sequence[ItemState], zone: str) -> Grid:
    """A region's items: status word, owner, due, overdue marker, last note, evidence, who."""
    grid = Grid(headers=[_("Item"), _("Title"), _("Status"), _("Owner"), _("Due"),
                         _("Note / evidence"), _("By, when")], nowrap={0, 2})
    for st in items:
        word = STATUS_SYMBOL[st.status] + " " + state_word(st)
        if st.progress is not None:
            word += f" {st.progress}%"
        due = format_date(st.due)
        if st.overdue:
            due += " · " + _("{n} days late").format(n=st.days_late)
        elif st.due_soon:
            due += " · " + _("due soon")
        ev = st.event
        note = " · ".join(p for p in ([ev.note, *ev.evidence] if ev else []) if p)
        if st.conflict:
            note = conflict_text(st.conflict)
        crit = " !" if st.item.critical else ""
        grid.add((st.item.id + crit, "bold" if crit else ""), title_of(st.item),
                 (word, STATUS_STYLE[st.status]), st.item.owner,
                 (due, "red" if st.overdue else "yellow" if st.due_soon else ""),
                 note, _when(ev, zone))
    return grid


def due_grid(entries: Sequence[ItemState], names: dict[str, str]) -> Grid:
    """``pilkada due``: one line per (region, item), worst first."""
    grid = Grid(headers=[_("Region"), _("Item"), _("State"), _("Due"), _("Owner"),
                         _("Critical"), _("Title")], nowrap={1, 2, 3})
    for st in entries:
        if st.overdue:
            state = (_("OVERDUE {n}d").format(n=st.days_late), "bold red")
        else:
            state = (_("due soon"), "yellow")
        if st.conflict:
            state = (_("CONFLICT") + " · " + state[0], "bold red")
        grid.add(f"{st.region} {names.get(st.region, '')}".strip(), st.item.id, state,
                 st.due.isoformat(), st.item.owner,
                 (_("critical"), "bold red") if st.item.critical else "", title_of(st.item))
    return grid


def overview_csv_rows(ov: Overview) -> tuple[list[str], list[list[Any]]]:
    """Machine-friendly columns: one row per region, numbers as numbers."""
    headers = ["code", "name", "level", "score_pct", "expected_pct", "overdue",
               "critical_overdue", "blocked", "due_soon", "items", "done", "no_report",
               "last_at", "last_by", *[f"stage:{sid}" for sid in ov.strip]]
    rows = []
    for row in ov.rows:
        s = row.summary
        rows.append([
            row.region.code, row.region.name, s.level or "",
            _num(s.score), _num(s.expected), s.overdue, s.critical_overdue, s.blocked,
            s.due_soon, s.items, s.done, int(row.no_report),
            row.last.at if row.last else "", row.last.by if row.last else "",
            *[level or "" for _sid, level in row.stages],
        ])
    return headers, rows


def _num(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def changes_grid(entries: Sequence[Change], names: dict[str, str]) -> Grid:
    """``pilkada changes``: per region, what was newly done, regressed, blocked or overdue."""
    words = {"done": (_("newly done"), "green"), "regressed": (_("regressed"), "bold red"),
             "blocked": (_("newly blocked"), "red"), "overdue": (_("became overdue"), "yellow")}
    grid = Grid(headers=[_("Region"), _("Change"), _("Item"), _("Status"), _("Note"),
                         _("By, when"), _("Title")])
    for c in entries:
        ev = c.after.event
        grid.add(f"{c.after.region} {names.get(c.after.region, '')}".strip(), words[c.kind],
                 c.after.item.id,
                 f"{status_word(c.before.status)} → {status_word(c.after.status)}",
                 ev.note if ev and c.kind != "overdue" else "",
                 _when(ev, timezone_of(c.after.region)) if c.kind != "overdue" else "",
                 title_of(c.after.item))
    return grid

