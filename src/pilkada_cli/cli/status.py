"""Readiness commands: status, due, changes."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from pilkada_cli.cli import app
from pilkada_cli.cli._common import Session, check_in_workspace, fail, get_session, handled
from pilkada_cli.errors import ExitCode
from pilkada_cli.i18n import _


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


def _format(chosen: Format | None) -> Format:
    if chosen is not None:
        return chosen
    return Format.table if sys.stdout.isatty() else Format.plain


def _emit(s: Session, fmt: Format, grid: Any, json_data: dict[str, Any] | None,
          csv_text: str | None = None, header: list[str] | None = None,
          footer: str | None = None) -> None:
    from rich.text import Text

    from pilkada_cli.render.table import to_markdown, to_plain, to_rich

    out = s.console()
    if fmt is Format.json:
        out.file.write(json.dumps(json_data, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        out.file.write(csv_text or "")
        return
    if fmt is Format.md:
        lines = "".join(f"{line}  \n" for line in header or [])
        out.file.write(lines + ("\n" if lines else "") + to_markdown(grid)
                       + (f"\n{footer}\n" if footer else ""))
        return
    if fmt is Format.plain:
        out.file.write("".join(f"{line}\n" for line in header or []) + to_plain(grid)
                       + (f"{footer}\n" if footer else ""))
        return
    for i, line in enumerate(header or []):
        out.print(Text(line, style="bold" if i == 0 else ""))
    out.print(to_rich(grid))
    if footer:
        out.print(Text(footer))


def _sample_line(s: Session) -> list[str]:
    return [_("SAMPLE DATA — not real records")] if s.workspace().config.sample else []


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
) -> None:
    from pilkada_cli.gates import check_gates, parse_fail_on
    from pilkada_cli.render.status import (
        footer_line,
        header_lines,
        items_grid,
        overview_csv_rows,
        overview_grid,
        stages_grid,
    )
    from pilkada_cli.render.table import to_csv
    from pilkada_cli.views import detail, detail_json, overview, overview_json

    s = get_session()
    conditions = parse_fail_on(fail_on or [])
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if stage is not None:
        s.check_stage(stage)
    if depth is not None:
        s.check_depth(depth, target)
    chosen = _format(fmt)
    if region is None or (r.children(target.code) and depth is not None):
        ov = overview(r, stage, depth, root=target)
        headers, rows = overview_csv_rows(ov)
        _emit(s, chosen, overview_grid(ov), overview_json(ov), to_csv(headers, rows),
              _sample_line(s) + header_lines(ov), footer_line(ov))
    else:
        dt = detail(r, target.code, stage)
        ov = dt.overview
        data = detail_json(dt)
        _emit(s, chosen, stages_grid(dt), data, _detail_csv(data),
              _sample_line(s) + header_lines(ov), footer_line(ov) if ov.rows else None)
        if chosen in (Format.table, Format.plain, Format.md) and dt.items:
            _emit(s, chosen, items_grid(dt.items, target.timezone), None)
        if chosen in (Format.table, Format.plain, Format.md) and ov.rows:
            _emit(s, chosen, overview_grid(ov), None)
    if r.no_report(target.code) and chosen in (Format.table, Format.plain):
        _no_records(s, ov)
    tripped = check_gates(ov, fail_under, conditions)
    if tripped:
        fail("; ".join(tripped), ExitCode.GATE_FAILED)


def _no_records(s: Session, ov: Any) -> None:
    from rich.text import Text

    from pilkada_cli.render.status import no_records_lines

    s.console(stderr=True).print(Text("\n".join(no_records_lines(ov)), style="dim"))


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
) -> None:
    from pilkada_cli.render.status import due_grid
    from pilkada_cli.render.table import to_csv
    from pilkada_cli.views import due_list, item_json, unreported

    s = get_session()
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if owner is not None:
        s.check_owner(owner)
    entries = [st for st in due_list(r, within, overdue, owner, critical)
               if st.region == target.code or st.region.startswith(target.code + ".")
               or target.code == "ID"]
    names = {e.region: r.region(e.region).name for e in entries}
    data = {"schema": "pilkada.due/1", "as_of": r.results[target.code].d.isoformat(),
            "within": within, "items": [item_json(st) for st in entries],
            "no_report": [x.code for x in unreported(r, target.code)]}
    cols = ["region", "item", "due", "days_late", "overdue", "critical", "owner", "status",
            "title"]
    csv_text = to_csv(cols, [[item_json(st)[c] for c in cols] for st in entries])
    chosen = _format(fmt)
    _emit(s, chosen, due_grid(entries, names), data, csv_text, _sample_line(s))
    if r.no_report(target.code) and chosen in (Format.table, Format.plain):
        from pilkada_cli.views import overview

        _no_records(s, overview(r, root=target))


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
) -> None:
    from datetime import timedelta

    from pilkada_cli.loading import parse_as_of
    from pilkada_cli.render.status import changes_grid
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
    names = {c.after.region: after.region(c.after.region).name for c in entries}
    data = {"schema": "pilkada.changes/1", "since": start.day.isoformat(),
            "until": after.results[target.code].d.isoformat(),
            "changes": [change_json(c) for c in entries]}
    cols = ["region", "kind", "before", "status", "item", "title", "by", "at", "note"]
    csv_text = to_csv(cols, [[change_json(c)[k] for k in cols] for c in entries])
    _emit(s, _format(fmt), changes_grid(entries, names), data, csv_text, _sample_line(s))
