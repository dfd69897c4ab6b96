"""``pilkada sheet``: fill-in sheets for offices without pilkada. ``pilkada record --from``
reads them back (cli/fillins.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import AsOfOpt

if TYPE_CHECKING:
    from pilkada_cli.domain.readiness import Readiness
    from pilkada_cli.domain.regions import Region

DEFAULT_PATTERN = "isian-pilkada-{region}-{date}.xlsx"


@app.command(help=_(
    "Make fill-in spreadsheets (XLSX) for offices without pilkada: each region's items with "
    "their status, owner and due date, and columns to fill in. `pilkada record --from` reads "
    "the filled sheets back (XLSX, a CSV saved from one, or a folder of them).\n\n"
    "With {region} in --out, one file per region; without it, one workbook with a sheet per "
    "region.\n\nExamples: pilkada sheet palembang \"ogan ilir\"; pilkada sheet 16 --depth "
    "kabupaten --out isian/{region}.xlsx"))
@handled
def sheet(
    regions: Annotated[list[str], typer.Argument(
        help=_("Region codes or names."), show_default=False, metavar="REGION...")],
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help=_("Only this stage's items (number, id or short name)."),
        show_default=False, metavar="STAGE")] = None,
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", help=_("A sheet for every region of this level (e.g. kabupaten) under "
        "each REGION, instead of REGION itself."), show_default=False, metavar="LEVEL")
    ] = None,
    as_of: AsOfOpt = None,
    out: Annotated[str, typer.Option(
        "--out", "-o", help=_("File name pattern ending in .xlsx, with {region} and {date} "
        "(the as-of date); a folder in front is kept."), metavar=_("PATTERN"))
    ] = DEFAULT_PATTERN,
    lang: Annotated[str | None, typer.Option(
        "--lang", help=_("Language of the sheets: id (default: they go to Indonesian offices) "
        "or en."), show_default=False, metavar="LANG")] = None,
) -> None:
    from pilkada_cli.sheet.build import RegionSheet, build_workbook
    from pilkada_cli.storage.reportfiles import check_pattern, plan, write_atomic

    check_pattern(out)
    if not out.casefold().endswith(".xlsx"):
        raise InputError(_("--out must end in .xlsx"))
    s = get_session()
    r = s.readiness(as_of)
    if stage is not None:
        stage = s.check_stage(stage)
    targets = _targets(s, r, regions, depth)
    specs = []
    for region in targets:
        items = tuple(r.items(region.code, stage))
        if not items and depth is not None and len(targets) > 1:
            continue  # e.g. a district without items in this stage, among others that have
        if not items and stage is not None:
            raise InputError(_("no item of stage {stage} applies to {code} {name}").format(
                stage=stage, code=region.code, name=region.name))
        if not items:
            raise InputError(_("no item applies to {code} {name}").format(
                code=region.code, name=region.name))
        specs.append(RegionSheet(region, items, r.results[region.code].d))
    records = s.workspace().records_dir
    if "{region}" in out:
        books = [(plan(out, {"xlsx": "xlsx"}, spec.region.code, spec.as_of.isoformat(),
                       records)["xlsx"], [spec]) for spec in specs]
    else:
        first = specs[0]
        books = [(plan(out, {"xlsx": "xlsx"}, first.region.code, first.as_of.isoformat(),
                       records)["xlsx"], specs)]
    # The recipients' language, not this terminal's: Indonesian unless English is asked for
    # (here, or as pilkada --lang en).
    sheet_lang = lang or s.lang or "id"
    if sheet_lang not in ("id", "en"):
        raise InputError(_("use id or en"))
    data = [build_workbook(book, s.cycle(), stage, sheet_lang) for _path, book in books]
    console = s.console()
    for (path, _book), content in zip(books, data, strict=True):
        write_atomic(path, content)
        console.file.write(f"{path}\n")
        console.file.flush()


def _targets(s: Session, r: Readiness, queries: list[str], depth: str | None) -> list[Region]:
    from pilkada_cli.domain.regions import depth_of_level

    out: dict[str, Region] = {}
    for query in queries:
        region = s.region(query)
        check_in_workspace(s, region.code)
        if depth is None:
            out[region.code] = r.region(region.code)
            continue
        s.check_depth(depth, region)
        level = depth_of_level(depth)
        for below in r.subtree(region.code):
            if below.depth == level:
                out[below.code] = below
    if not out:
        raise InputError(_("no region to make a sheet for"))
    return list(out.values())
