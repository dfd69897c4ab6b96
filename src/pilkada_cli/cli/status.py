"""Readiness commands: status, due, changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from pilkada_cli.cli import app
from pilkada_cli.cli._common import (
    Session,
    check_in_workspace,
    fail,
    get_session,
    handled,
    show_screen,
)
from pilkada_cli.errors import ExitCode
from pilkada_cli.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.regions import Region
    from pilkada_cli.render.screen import Screen


class Format(str, Enum):
    """Output formats of the status views."""

    table = "table"
    plain = "plain"
    json = "json"
    csv = "csv"
    md = "md"


FormatOpt = Annotated[Optional[Format], typer.Option(  # noqa: UP045
    "--format", "-f", help=_("table (default on a terminal), plain (default otherwise), json, "
    "csv or md."), show_default=False)]
AsOfOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--as-of", help=_("Judge as of this date (YYYY-MM-DD), replaying the records up to its end "
    "(default: today in each region's time zone)."), show_default=False)]
RegionArg = Annotated[Optional[str], typer.Argument(  # noqa: UP045
    help=_("A region code or name (default: the workspace root)."), show_default=False)]


AllOpt = Annotated[bool, typer.Option("--all", "-a", help=_(
    "Every row on a terminal too (default: cut to a screenful, done items folded)."))]


def _format(s: Session, chosen: Format | None) -> Format:
    if chosen is not None:
        return chosen
    return Format.table if s.screen() else Format.plain


@dataclass(frozen=True)
class _Room:
    """How much a terminal shows: its width, and the rows of a long list (None: all)."""

    width: int | None
    rows: int | None


def _room(s: Session, fmt: Format, show_all: bool = False) -> _Room:
    if fmt is not Format.table:
        return _Room(None, None)
    console = s.console()
    return _Room(console.width, None if show_all else max(10, console.height - 20))


def _show(s: Session, fmt: Format, screen: Screen,
          json_data: dict[str, Any] | None, csv_text: str | None = None) -> None:
    """Write the format asked for: the data (JSON, CSV) or the screen (table, plain, md)."""
    from pilkada_cli.render.screen import to_md

    out = s.console()
    if fmt is Format.json:
        out.file.write(json.dumps(json_data, ensure_ascii=False, indent=2) + "\n")
    elif fmt is Format.csv:
        out.file.write(csv_text or "")
    elif fmt is Format.md:
        out.file.write(to_md(screen))
    else:
        show_screen(s, screen, fmt is Format.table)


def _no_records(s: Session, fmt: Format, region: Region) -> None:
    if fmt not in (Format.table, Format.plain):
        return
    from rich.text import Text

    from pilkada_cli.render.status import no_records_lines

    s.console(stderr=True).print(Text("\n".join(no_records_lines(region)), style="dim"))


@app.command(help=_(
    "Readiness per region and stage: score, expected, overdue, blocked, due"
    " soon.\n\nExamples: pilkada status; pilkada status palembang; pilkada "
    "status --as-of 2024-08-21 --format json; pilkada status --fail-on "
    "critical (for cron)"))
@handled
def status(
    region: RegionArg = None,
    stage: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--stage", "-s", help=_("Only this stage, across regions."), show_default=False)] = None,
    depth: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--depth", "-d", help=_("List the regions of this level (e.g. kecamatan) instead of the "
        "children."), show_default=False)] = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    fail_under: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--fail-under", help=_("Exit 1 when the root's score is under PCT percent."),
        show_default=False, min=0, max=100)] = None,
    fail_on: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--fail-on", help=_("Exit 1 when any: overdue, critical (a critical item overdue or "
        "blocked), blocked, red (a region at CRITICAL), no-report (a region with no records "
        "at all). Repeatable or comma-separated."),
        show_default=False)] = None,
    show_all: AllOpt = False,
) -> None:
    from pilkada_cli.gates import check_gates, parse_fail_on
    from pilkada_cli.render.status import detail_screen, overview_csv_rows, overview_screen
    from pilkada_cli.render.table import to_csv
    from pilkada_cli.views import detail, detail_json, due_list, overview, overview_json

    s = get_session()
    conditions = parse_fail_on(fail_on or [])
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if stage is not None:
        s.check_stage(stage)
    if depth is not None:
        s.check_depth(depth, target)
    chosen = _format(s, fmt)
    room = _room(s, chosen, show_all)
    sample = s.workspace().config.sample
    if region is None or (r.children(target.code) and depth is not None):
        ov = overview(r, stage, depth, root=target)
        headers, rows = overview_csv_rows(ov)
        _show(s, chosen, overview_screen(ov, sample, room.width), overview_json(ov),
              to_csv(headers, rows))
    else:
        dt = detail(r, target.code, stage)
        ov = dt.overview
        data = detail_json(dt)
        action = [] if chosen in (Format.json, Format.csv) else due_list(
            r, r.thresholds.warn_days, root=target.code)
        if stage is not None:
            action = [st for st in action if st.item.stage == stage]
        _show(s, chosen, detail_screen(dt, action, sample, room.width, room.rows,
                                             show_all), data, _detail_csv(data))
    if r.no_report(target.code):
        _no_records(s, chosen, target)
    tripped = check_gates(ov, fail_under, conditions)
    if tripped:
        fail("; ".join(tripped), ExitCode.GATE_FAILED)


def _detail_csv(data: dict[str, Any]) -> str:
    from pilkada_cli.render.table import to_csv

    cols = ["region", "item", "stage", "title", "owner", "critical", "weight", "due", "status",
            "progress", "overdue", "due_soon", "days_late", "note", "evidence", "by", "at",
            "event"]
    rows = [[("; ".join(i[c]) if c == "evidence" else i[c]) for c in cols]
            for i in data["items"]]
    return to_csv(cols, rows)


@app.command(help=_(
    "Late and upcoming items, worst first: one line per (region, item).\n\n"
    "Example: pilkada due --within 14 --owner KPU"))
@handled
def due(
    region: RegionArg = None,
    within: Annotated[int, typer.Option("--within", help=_("Days ahead to include."), min=0)
    ] = 14,
    overdue: Annotated[bool, typer.Option("--overdue", help=_("Only overdue items."))] = False,
    owner: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--owner", "-o", help=_("Only this responsible body."), show_default=False)] = None,
    critical: Annotated[bool, typer.Option("--critical", help=_("Only critical items."))] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    show_all: AllOpt = False,
) -> None:
    from pilkada_cli.render.status import due_screen
    from pilkada_cli.render.table import to_csv
    from pilkada_cli.views import due_list, due_tally, item_json, unreported

    s = get_session()
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if owner is not None:
        s.check_owner(owner)
    entries = due_list(r, within, overdue, owner, critical, root=target.code)
    silent = unreported(r, target.code)
    data = {"schema": "pilkada.due/1", "as_of": r.results[target.code].d.isoformat(),
            "within": within, "items": [item_json(st) for st in entries],
            "no_report": [x.code for x in silent]}
    cols = ["region", "item", "due", "days_late", "overdue", "critical", "owner", "status",
            "title"]
    chosen = _format(s, fmt)
    room = _room(s, chosen, show_all)
    csv_text = None
    if chosen is Format.csv:
        csv_text = to_csv(cols, [[item_json(st)[c] for c in cols] for st in entries])
    screen = due_screen(r, target, entries, due_tally(r, entries, target.code), silent, within,
                        s.workspace().config.sample, room.rows)
    _show(s, chosen, screen, data, csv_text)
    if r.no_report(target.code):
        _no_records(s, chosen, target)


@app.command(help=_(
    "What changed in a window: newly done, regressed (done → other), newly "
    "blocked, newly overdue, per region.\n\nExample: pilkada changes --since "
    "2024-08-14"))
@handled
def changes(
    since: Annotated[str, typer.Option("--since", help=_("From the start of this date "
                                       "(YYYY-MM-DD), e.g. the last rakor."))],
    until: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--until", help=_("Up to the end of this date (default: today)."), show_default=False)
    ] = None,
    region: RegionArg = None,
    fmt: FormatOpt = None,
    show_all: AllOpt = False,
) -> None:
    from datetime import timedelta

    from pilkada_cli.loading import parse_as_of
    from pilkada_cli.render.status import changes_screen
    from pilkada_cli.render.table import to_csv
    from pilkada_cli.views import change_json
    from pilkada_cli.views import changes as diff

    s = get_session()
    ws = s.workspace()
    start = parse_as_of(since, ws)
    if start.day is None:
        from pilkada_cli.errors import InputError

        raise InputError(_("--since takes a date (YYYY-MM-DD)"))
    before = s.readiness((start.day - timedelta(days=1)).isoformat())
    after = s.readiness(until)
    target = s.region(region) if region else after.root
    check_in_workspace(s, target.code)
    entries = [c for c in diff(before, after)
               if target.code == "ID" or c.after.region == target.code
               or c.after.region.startswith(target.code + ".")]
    end = after.results[target.code].d
    data = {"schema": "pilkada.changes/1", "since": start.day.isoformat(),
            "until": end.isoformat(), "changes": [change_json(c) for c in entries]}
    cols = ["region", "kind", "before", "status", "item", "title", "by", "at", "note"]
    chosen = _format(s, fmt)
    room = _room(s, chosen, show_all)
    csv_text = None
    if chosen is Format.csv:
        csv_text = to_csv(cols, [[change_json(c)[k] for k in cols] for c in entries])
    screen = changes_screen(after, target, entries, start.day, end, ws.config.sample,
                            show_all, room.rows)
    _show(s, chosen, screen, data, csv_text)
