"""Fill-in sheets: ``pilkada sheet`` writes them; ``pilkada record --from`` reads them back
(``import_fill_ins``, routed from ``cli/records.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.errors import InputError, Problem, ValidationError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import AsOfOpt

if TYPE_CHECKING:
    from pilkada_cli.domain.readiness import Readiness
    from pilkada_cli.domain.regions import Region
    from pilkada_cli.sheet.apply import Importer

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


# -- reading filled sheets back (pilkada record --from) ---------------------------------------


def is_fill_in(source: str, raw: bytes) -> bool:
    """Whether ``--from`` input is a fill-in sheet: a workbook, or a CSV with its header."""
    from pilkada_cli.sheet.read import is_workbook, looks_like_sheet_csv

    return (source.casefold().endswith((".xlsx", ".xls")) or is_workbook(raw)
            or looks_like_sheet_csv(raw))


def import_fill_ins(s: Session, path: Path, raw: bytes | None, by: str | None,
                    verbose: bool = False) -> None:
    """Record the changes in one filled sheet (``raw``) or a folder of them (``raw`` None).

    All or nothing per file: a file with any problem records nothing, and every problem of it is
    reported as file, sheet and row. In a folder each good file is recorded in its own append
    even when another file is bad (they come from different offices, and importing again after
    a fix records only what is still missing); the exit code is then 2.
    """
    from rich.text import Text

    from pilkada_cli.cli.actions import read_input, save
    from pilkada_cli.sheet.read import read_tables

    source = "<stdin>" if str(path) == "-" else str(path)
    files: list[tuple[str, bytes | Path]] = [(source, raw)] if raw is not None else [
        (str(p), p) for p in _folder(path)]
    importer = _importer(s, by)
    err = s.console(stderr=True)
    problems: list[Problem] = []
    for name, content in files:
        try:
            data = content if isinstance(content, bytes) else read_input(content)
            tables = read_tables(data, name)
            say_encoding(s, name, tables[0].encoding)
            events, found = importer.check(tables)
        except ValidationError as e:
            events, found = [], list(e.problems)
        except InputError as e:  # the file could not be read
            events, found = [], [Problem(name, None, str(e))]
        if found:
            problems += found
            err.print(Text(_("{file}: nothing recorded, {n} problem(s)").format(
                file=name, n=len(found)), style="bold red"))
            continue
        if events:
            save(s, events, from_file=True, verbose=verbose)
            importer.saved(events)
        err.print(Text(_("{file}: {n} change(s) recorded").format(file=name, n=len(events))
                       if events else _("{file}: nothing changed").format(file=name)))
    if problems:
        raise ValidationError(problems)


def say_encoding(s: Session, source: str, encoding: str | None) -> None:
    """Say on stderr that an imported CSV was read as Windows-1252 (nothing for UTF-8 or a
    workbook): a file saved in another code page would show its letters wrong."""
    from pilkada_cli.domain.csvtext import assumed_message

    message = assumed_message(source, encoding) if encoding is not None else None
    if message is not None:
        from rich.text import Text

        s.console(stderr=True).print(Text(message))


def _folder(path: Path) -> list[Path]:
    """The .xlsx and .csv files directly in ``path``, by name (the lock files of Excel and
    LibreOffice left out)."""
    try:
        names = sorted(p for p in path.iterdir()
                       if p.suffix.casefold() in (".xlsx", ".csv") and p.is_file()
                       and not p.name.startswith(("~$", ".")))
    except OSError as e:
        raise InputError(_("cannot read {path}: {reason}").format(
            path=path, reason=os_reason(e))) from None
    if not names:
        raise InputError(_("no .xlsx or .csv files in {folder}").format(folder=path))
    return names


def _importer(s: Session, by: str | None) -> Importer:
    from pilkada_cli.app.loading import build
    from pilkada_cli.cli.actions import recorder as make_recorder
    from pilkada_cli.domain.readiness import AsOf
    from pilkada_cli.sheet.apply import Importer

    events = s.events()
    recorder = make_recorder(s, by)
    # Judged now, not at a demo workspace's frozen date: "changed" means against the records.
    r = build(s.workspace(), s.cycle(), s.regions(), events, AsOf(instant=recorder.now))
    return Importer(r, s.regions(), events, recorder)
