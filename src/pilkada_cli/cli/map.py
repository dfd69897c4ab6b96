"""The ``map`` command: the readiness map alone, as an SVG or PNG file for a slide."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app
from pilkada_cli.cli.options import AsOfOpt, RegionArg

FORMATS = (".svg", ".png")


@app.command(name="map", help=_(
    "A map of the region's regencies and cities (or of the nation's provinces), each coloured "
    "by its readiness level, numbered worst first and keyed to a list with the level as a word "
    "and score / target, so it also reads in black and white. Prints the path written.\n\n"
    "Examples: pilkada map --out peta.svg; pilkada map 16 --stage kampanye --out peta.png"))
@handled
def map_(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help=_("The file to write: FILE.svg (self-contained, needs nothing "
                              "more) or FILE.png (needs the optional extra: pip install "
                              "\"pilkada-cli[png]\")."),
        show_default=False)],
    region: RegionArg = None,
    as_of: AsOfOpt = None,
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help=_("Colour by this stage's level instead of the overall one "
        "(number, id or short name)."),
        show_default=False)] = None,
    width: Annotated[int, typer.Option(
        "--width", help=_("Width of the picture in pixels (a PNG has twice as many, for sharp "
                          "slides)."), min=600, max=4000)] = 1200,
) -> None:
    """The readiness map alone, for a slide (help text above, translated)."""
    from pilkada_cli.base.errors import InputError
    from pilkada_cli.render.map import layout, svg_of

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(_("--out must end in .svg or .png, not '{name}'").format(
            name=out.name))
    if suffix == ".png":
        from pilkada_cli.render.map_png import missing_extra_message, png_available

        if not png_available():
            raise InputError(missing_extra_message())
    s = get_session()
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if stage is not None:
        stage = s.check_stage(stage)
    _check_target(out, s.workspace().records_dir)
    notice = _("SAMPLE DATA — not real records") if s.workspace().config.sample else None
    pic = layout(r, target.code, stage, width=width, notice=notice)
    if not pic.drawn:
        raise InputError(_("no boundaries to draw for {name} ({code}): the map knows the "
                           "provinces and 507 of the 514 regencies and cities").format(
            name=target.name, code=target.code))
    if suffix == ".png":
        from pilkada_cli.render.map_png import png_of

        data = png_of(pic)
    else:
        data = svg_of(pic, "pkmap", standalone=True).encode("utf-8")

    from pilkada_cli.storage.reportfiles import write_atomic

    write_atomic(out, data)
    console = s.console()
    console.file.write(f"{out}\n")
    console.file.flush()


def _check_target(out: Path, records_dir: Path) -> None:
    from pilkada_cli.base.errors import InputError

    if out.is_dir() and not out.is_symlink():
        raise InputError(_("{path} is a folder").format(path=out))
    where = out.parent.resolve()
    records = records_dir.resolve()
    if where == records or records in where.parents:
        raise InputError(_("the map is never written inside the records folder ({path})")
                         .format(path=records_dir))
