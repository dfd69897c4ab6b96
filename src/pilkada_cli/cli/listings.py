"""Commands about what the cycle asks for and where: validate, schema, stages, items, regions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import FormatOpt, RegionArg, chosen_format, room, show

if TYPE_CHECKING:
    from pilkada_cli.domain.listings import Place


@app.command(help=_(
    "Check checklists and workspace config; every problem at once, each "
    "with file:line.\n\nExample: pilkada validate checklists/pilkada-2024"))
@handled
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help=_("Cycle folders, stage files or pilkada.yaml files (default: the workspace and "
        "every shipped cycle)."), show_default=False)] = None,
) -> None:
    from rich.text import Text

    from pilkada_cli.app.validate import validate_paths

    s = get_session()
    checked = validate_paths(paths or [], s.workspace_path)
    for line in checked:  # a line of its own per cycle checked; details indented under it
        detail = line.startswith("  ")
        s.console(stderr=True).print(Text(line if detail else "✓ " + line,
                                          style="dim" if detail else "green"))


@app.command(help=_(
    "Print the JSON Schema of stage files, cycle.yaml and pilkada.yaml, for"
    " editors.\n\nExample: pilkada schema stage > stage.schema.json"))
@handled
def schema(
    kind: Annotated[str | None, typer.Argument(
        help=_("stage, cycle or workspace (default: one schema that accepts all three)."),
        show_default=False)] = None,
) -> None:
    from pilkada_cli.base.errors import InputError
    from pilkada_cli.domain.schema import KINDS
    from pilkada_cli.domain.schema import schema as make

    if kind is not None and kind not in KINDS:
        raise InputError(_("unknown schema '{kind}'; expected one of: {kinds}").format(
            kind=kind, kinds=", ".join(KINDS)))
    print(json.dumps(make(kind), indent=2, ensure_ascii=False))


def _place(s: Session, region: str | None, only_applicable: bool) -> Place:
    """The region a listing is read for: ``region`` (its items only), else the workspace
    root (every item, as it reads them)."""
    from pilkada_cli.domain.listings import Place

    ws = s.workspace()
    target = s.region(region) if region else s.regions().get(ws.config.region)
    assert target is not None
    return Place.of(target, ws.config.tags, ws.config.own_tags, only_applicable)


@app.command(help=_(
    "List the stages of the workspace's cycle with their dates (as a region reads "
    "them).\n\nExamples: pilkada stages; pilkada stages 11 --format json"))
@handled
def stages(region: RegionArg = None, fmt: FormatOpt = None) -> None:
    from pilkada_cli.domain.listings import local_stages, stages_json
    from pilkada_cli.render.listings import stages_csv, stages_screen

    s = get_session()
    cycle = s.cycle()
    place = _place(s, region, False)
    local = local_stages(cycle, place)
    # say whose dates these are when a region was asked for or the root's differ
    shown = place.region if region or local != cycle.stages else None
    show(s, chosen_format(s, fmt), lambda: stages_screen(cycle, local, shown),
         lambda: stages_json(cycle, place), lambda: stages_csv(stages_json(cycle, place)))


@app.command(help=_(
    "List what the cycle asks for, optionally by stage, owner or level; with a "
    "region, only what applies there, with its dates.\n\n"
    "Examples: pilkada items --stage pemungutan-suara --owner KPU; pilkada items 16.11 "
    "--stage 21"))
@handled
def items(
    region: RegionArg = None,
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help=_("Only this stage (number, id or short name)."),
        show_default=False)] = None,
    owner: Annotated[str | None, typer.Option(
        "--owner", "-o", help=_("Only this responsible body (case-insensitive)."),
        show_default=False)] = None,
    level: Annotated[str | None, typer.Option(
        "--level", "-l", help=_("Only items for this level (provinsi, kabupaten, kota, "
        "kecamatan, desa)."), show_default=False)] = None,
    fmt: FormatOpt = None,
) -> None:
    from pilkada_cli.domain.listings import items_json, select_items
    from pilkada_cli.render.listings import items_csv, items_screen

    s = get_session()
    cycle = s.cycle()
    place = _place(s, region, region is not None)
    chosen = select_items(cycle, stage=stage, owner=owner, level=level, place=place)
    shown = place.region if region else None
    picked = chosen_format(s, fmt)
    show(s, picked, lambda: items_screen(chosen, shown, room(s, picked).width),
         lambda: items_json(cycle, chosen, place),
         lambda: items_csv(items_json(cycle, chosen, place)))


@app.command(help=_(
    "Show a region and the regions under it.\n\nExamples: pilkada regions 16 "
    "--level kota; pilkada regions palembang"))
@handled
def regions(
    query: Annotated[str | None, typer.Argument(
        help=_("A region code or name (default: the workspace's root region)."),
        show_default=False)] = None,
    level: Annotated[str | None, typer.Option(
        "--level", "-l", help=_("List the regions of this level under it (provinsi, "
        "kabupaten, kota, kecamatan, desa)."), show_default=False)] = None,
    fmt: FormatOpt = None,
) -> None:
    from pilkada_cli.domain.listings import list_regions, regions_json
    from pilkada_cli.render.listings import regions_csv, regions_screen

    s = get_session()
    root = s.region(query) if query else s.regions().get(s.workspace().config.region)
    assert root is not None
    listed = list_regions(s.regions(), root, level)
    show(s, chosen_format(s, fmt), lambda: regions_screen(listed),
         lambda: regions_json(listed, s.cycle()),
         lambda: regions_csv(regions_json(listed, s.cycle())))


cycle_app = typer.Typer(help=_("Cycles: list the shipped ones, or make a new one from a "
                               "template re-based on another voting day."),
                        no_args_is_help=True)
app.add_typer(cycle_app, name="cycle")


@cycle_app.command("list", help=_("List the shipped cycles (what `pilkada init --cycle` "
                                  "takes).\n\nExample: pilkada cycle list"))
@handled
def cycle_list(fmt: FormatOpt = None) -> None:
    from pilkada_cli.domain.cycles import shipped_list
    from pilkada_cli.render.listings import cycles_csv, cycles_json, cycles_screen

    s = get_session()
    listed = shipped_list()
    show(s, chosen_format(s, fmt), lambda: cycles_screen(listed),
         lambda: cycles_json(listed), lambda: cycles_csv(listed))


@cycle_app.command("new", help=_(
    "Write a new cycle folder from a cycle (shipped or a folder) re-based on another voting "
    "day: every date keeps its distance from voting day (or its day of a fiscal year). "
    "Refuses a folder that is not empty.\n\n"
    "Example: pilkada cycle new pilkada-2031 --from pilkada-template --voting-day 2031-11-26"))
@handled
def cycle_new(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the new cycle (new or "
                                                     "empty)."))],
    source: Annotated[str, typer.Option("--from", help=_(
        "The cycle to start from: a shipped id (pilkada-template, psu…) or a folder."))],
    voting_day: Annotated[str, typer.Option("--voting-day", help=_(
        "The new voting day (YYYY-MM-DD)."))],
    cycle_id: Annotated[str | None, typer.Option(
        "--id", help=_("The new cycle's id (default: the folder's name)."),
        show_default=False)] = None,
    name: Annotated[str | None, typer.Option(
        "--name", help=_("The new cycle's name (Indonesian)."), show_default=False)] = None,
    name_en: Annotated[str | None, typer.Option(
        "--name-en", help=_("The new cycle's name in English."), show_default=False)] = None,
) -> None:
    from rich.text import Text

    from pilkada_cli.app.setup import new_cycle

    s = get_session()
    made = new_cycle(directory, source, voting_day, cycle_id, name, name_en)
    absolute = sum(d.kind == "absolute" for d in made.dates)
    s.console(stderr=True).print(Text(_(
        "Created cycle {id} in {path}: {stages} stages, {items} items, voting day {day}; "
        "{relative} dates relative to voting day or a fiscal year, {absolute} absolute. Check "
        "it with `pilkada validate {path}` and start a workspace with `pilkada init DIR "
        "--cycle {path} --region CODE`.").format(
            id=made.id, path=directory, stages=len(made.stages), items=len(made.items),
            day=made.voting_day.isoformat(), relative=len(made.dates) - absolute,
            absolute=absolute), style="green"))
