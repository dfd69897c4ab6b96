"""Commands about what the cycle asks for and where: validate, schema, stages, items, regions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pilkada_cli.cli._common import get_session, handled, show_screen
from pilkada_cli.cli.app import app
from pilkada_cli.i18n import _


@app.command(help=_(
    "Check checklists and workspace config; every problem at once, each "
    "with file:line.\n\nExample: pilkada validate checklists/pilkada-2024"))
@handled
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(  # noqa: UP045
        help=_("Cycle folders, stage files or pilkada.yaml files (default: the workspace and "
        "every shipped cycle)."), show_default=False)] = None,
) -> None:
    from rich.text import Text

    from pilkada_cli.validate import validate_paths

    s = get_session()
    checked = validate_paths(paths or [], s.workspace_path)
    for line in checked:
        s.console(stderr=True).print(Text("✓ " + line, style="green"))


@app.command(help=_(
    "Print the JSON Schema of stage files, cycle.yaml and pilkada.yaml, for"
    " editors.\n\nExample: pilkada schema stage > stage.schema.json"))
@handled
def schema(
    kind: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help=_("stage, cycle or workspace (default: one schema that accepts all three)."),
        show_default=False)] = None,
) -> None:
    from pilkada_cli.errors import InputError
    from pilkada_cli.schema import KINDS
    from pilkada_cli.schema import schema as make

    if kind is not None and kind not in KINDS:
        raise InputError(_("unknown schema '{kind}'; expected one of: {kinds}").format(
            kind=kind, kinds=", ".join(KINDS)))
    print(json.dumps(make(kind), indent=2, ensure_ascii=False))


@app.command(help=_(
    "List the stages of the workspace's cycle with their dates.\n\nExample: "
    "pilkada stages"))
@handled
def stages() -> None:
    from pilkada_cli.render.catalog import stages_screen

    s = get_session()
    show_screen(s, stages_screen(s.cycle()))


@app.command(help=_(
    "List what the cycle asks for, optionally by stage, owner or level.\n\n"
    "Example: pilkada items --stage pemungutan-suara --owner KPU"))
@handled
def items(
    stage: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--stage", "-s", help=_("Only this stage (id)."), show_default=False)] = None,
    owner: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--owner", "-o", help=_("Only this responsible body (case-insensitive)."),
        show_default=False)] = None,
    level: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--level", "-l", help=_("Only items for this level (provinsi, kabupaten, kota, "
        "kecamatan, desa)."), show_default=False)] = None,
) -> None:
    from pilkada_cli.catalog import select_items
    from pilkada_cli.render.catalog import items_screen

    s = get_session()
    chosen = select_items(s.cycle(), stage=stage, owner=owner, level=level,
                          region=s.workspace().config.region)
    show_screen(s, items_screen(chosen))


@app.command(help=_(
    "Show a region and the regions under it.\n\nExamples: pilkada regions 16 "
    "--level kota; pilkada regions palembang"))
@handled
def regions(
    query: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help=_("A region code or name (default: the workspace's root region)."),
        show_default=False)] = None,
    level: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--level", "-l", help=_("List the regions of this level under it (provinsi, "
        "kabupaten, kota, kecamatan, desa)."), show_default=False)] = None,
) -> None:
    from pilkada_cli.catalog import list_regions
    from pilkada_cli.render.catalog import regions_screen

    s = get_session()
    root = s.region(query) if query else s.regions().get(s.workspace().config.region)
    assert root is not None
    listed = list_regions(s.regions(), root, level)
    show_screen(s, regions_screen(listed))
