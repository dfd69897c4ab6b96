"""Readiness commands: status, due, changes. Each parses its options, builds one view
(views.py) and writes only the format asked for (options.show)."""

from __future__ import annotations

from typing import Annotated

import typer

from pilkada_cli.base.gcpause import without_gc
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import (
    AllOpt,
    AsOfOpt,
    FormatOpt,
    RegionArg,
    chosen_format,
    lazy,
    room,
    show,
    since_day,
)
from pilkada_cli.cli.readinessview import no_records, show_status
from pilkada_cli.domain.daterange import MAX_SPAN_DAYS


@app.command(help=_(
    "Readiness per region and stage: score, target, overdue, blocked, due"
    " soon.\n\nExamples: pilkada status; pilkada status palembang; pilkada "
    "status --as-of 2024-08-21 --format json; pilkada status --fail-on "
    "critical (for cron)"))
@handled
@without_gc
def status(
    region: RegionArg = None,
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help=_("Only this stage, across regions (number, id or short name)."),
        show_default=False)] = None,
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", help=_("List the regions of this level (e.g. kecamatan) instead of the "
        "children."), show_default=False)] = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    fail_under: Annotated[float | None, typer.Option(
        "--fail-under", help=_("Exit 1 when the root's score is under PCT percent."),
        show_default=False, min=0, max=100)] = None,
    fail_on: Annotated[list[str] | None, typer.Option(
        "--fail-on", help=_("Exit 1 when any: overdue, critical (a critical item overdue or "
        "blocked), blocked, red (a region at CRITICAL), no-report (a region with no records "
        "at all). Repeatable or comma-separated."),
        show_default=False)] = None,
    show_all: AllOpt = False,
) -> None:
    show_status(get_session(), region, stage, depth, as_of, fmt, fail_under, fail_on or [],
                show_all)


@app.command(help=_(
    "Late and upcoming items, worst first: one line per (region, item).\n\n"
    "Example: pilkada due --within 14 --owner KPU"))
@handled
@without_gc
def due(
    region: RegionArg = None,
    within: Annotated[int, typer.Option("--within", help=_("Days ahead to include."), min=0,
                                        max=MAX_SPAN_DAYS)] = 14,
    overdue: Annotated[bool, typer.Option("--overdue", help=_("Only overdue items."))] = False,
    owner: Annotated[str | None, typer.Option(
        "--owner", "-o", help=_("Only this responsible body."), show_default=False)] = None,
    critical: Annotated[bool, typer.Option("--critical", help=_("Only critical items."))] = False,
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help=_("Only this stage's items (number, id or short name)."),
        show_default=False)] = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    show_all: AllOpt = False,
) -> None:
    from pilkada_cli.base.gcpause import gc_paused
    from pilkada_cli.domain import views

    screens = lazy("pilkada_cli.render.status")

    s = get_session()
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if owner is not None:
        s.check_owner(owner)
    if stage is not None:
        stage = s.check_stage(stage)
    chosen = chosen_format(s, fmt)
    space = room(s, chosen, show_all)
    sample = s.workspace().config.sample
    if chosen.name == "plain":  # (pipes and cron) made region by region, kept per region
        from pilkada_cli.app.loading import due_text
        from pilkada_cli.base.i18n import language

        s.out().write(due_text(r, target, within, overdue, owner, critical, sample,
                              language(), s.offices, stage))
        if r.no_report(target.code):
            no_records(s, chosen, target)
        return
    with gc_paused():  # tens of thousands of rows that form no cycles
        v = views.due(r, s.due_pairs(r, target.code), s.offices, target, within, overdue,
                      owner, critical, stage)
        show(s, chosen, lambda: screens.due_screen(
            r, target, v.entries, v.tally, v.silent, within, sample, space.rows, space.width,
            overdue),
            lambda: views.due_json(v), lambda: screens.due_csv(v), sample)
    if r.no_report(target.code):
        no_records(s, chosen, target)


@app.command(help=_(
    "What changed in a window: newly done, regressed (done → other), newly "
    "blocked, newly overdue, per region.\n\nExample: pilkada changes --since "
    "2024-08-14"))
@handled
@without_gc
def changes(
    since: Annotated[str, typer.Option("--since", help=_("From the start of this date "
                                       "(YYYY-MM-DD), e.g. the last rakor."))],
    until: Annotated[str | None, typer.Option(
        "--until", help=_("Up to the end of this date (default: today)."), show_default=False)
    ] = None,
    region: RegionArg = None,
    fmt: FormatOpt = None,
    show_all: AllOpt = False,
) -> None:
    from datetime import timedelta

    from pilkada_cli.domain import views
    from pilkada_cli.domain.readiness import AsOf

    screens = lazy("pilkada_cli.render.status")

    s = get_session()
    ws = s.workspace()
    start = since_day(since, ws)
    before = s.readiness(AsOf(day=start - timedelta(days=1)))  # (1899-12-31 is no input)
    after = s.readiness(until)
    target = s.region(region) if region else after.root
    check_in_workspace(s, target.code)
    v = views.changes_in(before, after, target, start)
    chosen = chosen_format(s, fmt)
    space = room(s, chosen, show_all)
    show(s, chosen, lambda: screens.changes_screen(
        after, target, v.entries, v.since, v.until, ws.config.sample, show_all, space.rows,
        space.width),
        lambda: views.changes_json(v), lambda: screens.changes_csv(v), ws.config.sample)
