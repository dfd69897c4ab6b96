"""The ``report`` command: meeting documents in several formats from one run."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.gcpause import gc_paused
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import AsOfOpt, RegionArg, since_day
from pilkada_cli.report import formats

if TYPE_CHECKING:
    from datetime import datetime

    from pilkada_cli.report.model import Report


@app.command(help=_(
    "Write the rakor report, sized for a meeting (the region and its children): HTML to "
    "project or print, PDF to circulate, XLSX and CSV for spreadsheets, Markdown for minutes, "
    "a short text for WhatsApp or Telegram groups, JSON for other systems. Prints each "
    "written path.\n\nExamples: pilkada report --as-of 2024-08-21; pilkada report -f "
    "html,pdf,xlsx,md,text --since 2024-08-14 -o rakor/{region_name}.{format}; pilkada "
    "report -f text -o - (the chat text on stdout)"))
@handled
def report(
    region: RegionArg = None,
    fmt: Annotated[list[str] | None, typer.Option(
        "--format", "-f", help=formats.help_text(), show_default=False, metavar="FORMATS")
    ] = None,
    out: Annotated[str, typer.Option(
        "--out", "-o", help=_("File name pattern with {region} (its code), {region_name} "
        "(e.g. sumatera-selatan), {date} (the as-of date) and {format} (the file extension); "
        "a folder in front is kept, e.g. rakor/{date}/laporan-{region}.{format}. - writes "
        "one format to stdout."), metavar=_("PATTERN"))
    ] = "laporan-pilkada-{region}-{date}.{format}",
    as_of: AsOfOpt = None,
    since: Annotated[str | None, typer.Option(
        "--since", help=_("Also list what changed from the start of this date (YYYY-MM-DD), "
        "e.g. the last rakor: newly done, regressed, newly blocked."), show_default=False,
        metavar="DATE")
    ] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help=_("Title of the report (default: Pilkada readiness report: REGION)."),
        show_default=False, metavar="TEXT")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help=_("Who made the report (default: PILKADA_OPERATOR, else the workspace's "
        "operator, else nobody is named)."), show_default=False, metavar="NAME")] = None,
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", help=_("List regions down to this level, e.g. kecamatan (default: the "
        "region and its children)."), show_default=False, metavar="LEVEL")] = None,
    appendix: Annotated[str | None, typer.Option(
        "--appendix", help=_("Items listed per region at the end: open (not done and "
        "mattering now: blocked, overdue, due within 14 days, in progress), all, or none "
        "(default: open; none in Markdown)."), show_default=False, metavar="WHICH")
    ] = None,
) -> None:
    from pilkada_cli.base.errors import InputError
    from pilkada_cli.report.model import APPENDIX_MODES
    from pilkada_cli.storage.reportfiles import check_pattern, plan, write_atomic

    s = get_session()
    chosen = formats.parse(fmt or [",".join(formats.DEFAULT)])
    to_stdout = out == "-"
    if to_stdout and len(chosen) != 1:
        raise InputError(_("--out - writes one format to stdout; give one --format"))
    if not to_stdout:
        check_pattern(out, chosen)  # before reading the records: a typo fails at once
    if appendix is not None and appendix not in APPENDIX_MODES:
        raise InputError(_("--appendix takes one of: {modes}").format(
            modes=", ".join(APPENDIX_MODES)))
    with gc_paused():
        doc = _build(s, region, as_of, since, title, by, depth, appendix)
        targets = {} if to_stdout else plan(
            out, formats.extensions(chosen), doc.target.code, doc.as_of.isoformat(),
            s.workspace().records_dir, region_name=doc.target.name)
        progress, rendered = s.progress(), {}
        for n, f in enumerate(chosen):  # everything first: no half a set
            progress(_("Writing the report"), n, len(chosen))
            rendered[f] = formats.render(doc, f)
        s.stop_progress()
    if to_stdout:
        import sys

        sys.stdout.buffer.write(rendered[chosen[0]])
        sys.stdout.flush()
        return
    console = s.console()
    for f, path in targets.items():
        write_atomic(path, rendered[f])
        console.file.write(f"{path}\n")
        console.file.flush()


def _build(s: Session, region: str | None, as_of: str | None, since: str | None,
           title: str | None, by: str | None, depth: str | None,
           appendix: str | None) -> Report:
    from datetime import timedelta

    from pilkada_cli.domain.events import NAME_MAX_BYTES, validate_text
    from pilkada_cli.domain.readiness import AsOf
    from pilkada_cli.domain.regions import depth_of_level
    from pilkada_cli.report.model import build_report

    ws = s.workspace()
    who = validate_text("--by", _operator(by, ws.config.operator), max_bytes=NAME_MAX_BYTES,
                        allow_newline=False)
    if title is not None:
        title = validate_text("--title", title, max_bytes=NAME_MAX_BYTES, allow_newline=False)
    r = s.readiness(as_of)  # folded from the derived cache, as `status` is
    target = s.region(region) if region else None
    if target is not None:
        check_in_workspace(s, target.code)
    if depth is not None:
        s.check_depth(depth, target or r.root)
    before = start = None
    if since is not None:
        start = since_day(since, ws)
        before = s.readiness(AsOf(day=start - timedelta(days=1)))
    return build_report(
        r, target=target, title=title, generated_by=who, generated_at=_now(),
        sample=ws.config.sample, depth=depth_of_level(depth) if depth else None,
        before=before, since=start, record_problems=s.record_problems, skipped=s.skipped(),
        appendix=appendix or "open", appendix_given=appendix is not None)


def _operator(by: str | None, configured: str | None) -> str:
    """Who made the report: --by, PILKADA_OPERATOR, the workspace's operator, else nobody (a
    report names a person or no one, never a login name such as ``root``)."""
    for candidate in (by, os.environ.get("PILKADA_OPERATOR"), configured):
        if candidate and candidate.strip():
            return candidate.strip()
    return ""


def _now() -> datetime:
    """Now, or SOURCE_DATE_EPOCH (reproducible builds and tests)."""
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)
