"""Options and checks shared by commands, written once: the output format and how much of a
long list a terminal shows, the region, ``--as-of`` and ``--since`` options, and showing the
one format asked for."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, show_screen

if TYPE_CHECKING:
    from pilkada_cli.domain.workspace import Workspace
    from pilkada_cli.render.screen import Screen


class Format(str, Enum):
    """Output formats of the readiness views."""

    table = "table"
    plain = "plain"
    json = "json"
    csv = "csv"
    md = "md"


FormatOpt = Annotated[Format | None, typer.Option(
    "--format", "-f", help=_("table (default on a terminal), plain (default otherwise), json, "
    "csv or md."), show_default=False)]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help=_("Judge as of this date (YYYY-MM-DD), replaying the records up to its end "
    "(default: today in each region's time zone)."), show_default=False)]
RegionArg = Annotated[str | None, typer.Argument(
    help=_("A region code or name (default: the workspace root)."), show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", "-a", help=_(
    "Every row on a terminal too (default: cut to a screenful, done items folded)."))]


def chosen_format(s: Session, chosen: Format | None) -> Format:
    """The format asked for, else a table on a screen (or piped where the terminal's width
    is known) and plain text otherwise."""
    if chosen is not None:
        return chosen
    return Format.table if s.laid_out() else Format.plain


@dataclass(frozen=True)
class Room:
    """How much a terminal shows: its width, and the rows of a long list (None: all)."""

    width: int | None
    rows: int | None


def room(s: Session, fmt: Format, show_all: bool = False) -> Room:
    """A table's room on this terminal; plain text, Markdown and data get every row."""
    if fmt is not Format.table:
        return Room(None, None)
    console = s.console()
    # Piped (| less) every row: the reader scrolls.
    full = show_all or not s.screen()
    return Room(console.width, None if full else max(10, console.height - 20))


def show(s: Session, fmt: Format, screen: Callable[[], Screen],
         data: Callable[[], dict[str, Any]], csv: Callable[[], str],
         sample: bool = False) -> None:
    """Build and write only the format asked for: the JSON contract, the CSV, or the screen
    (a table laid out for the terminal, plain text, Markdown). ``sample``: the workspace holds
    sample data, marked in the data formats too (the screens carry the banner)."""
    if fmt is Format.json:
        s.out().write(json_text(data(), sample))
    elif fmt is Format.csv:
        s.out().write(csv_marked(csv(), sample))
    elif fmt is Format.md:
        from pilkada_cli.render.screen import to_md

        s.out().write(to_md(screen()))
    else:
        show_screen(s, screen(), fmt is Format.table)


def json_text(data: dict[str, Any], sample: bool) -> str:
    """A view's JSON; a sample workspace's says ``"sample": true`` after its schema, so that a
    program reading it cannot take invented progress for real."""
    if sample:
        head = {k: v for k, v in data.items() if k == "schema"}
        data = {**head, "sample": True, **{k: v for k, v in data.items() if k != "schema"}}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def csv_marked(text: str, sample: bool) -> str:
    """A view's CSV; a sample workspace's gets a first column ``sample`` saying so on every
    row, as the report's CSV does (a banner row would break the one-row-per-record shape)."""
    if not sample or not text:
        return text
    import csv
    import io

    mark = _("SAMPLE DATA — not real records")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
        writer.writerow(["sample" if i == 0 else mark, *row])
    return out.getvalue()


def lazy(name: str) -> ModuleType:
    """Module ``name``, imported at its first use: a renderer that the format asked for may
    not need (the JSON of a view needs no screen)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def since_day(text: str, ws: Workspace) -> date:
    """``--since``: a date (YYYY-MM-DD), the first day of a window; an input error otherwise."""
    from pilkada_cli.app.loading import parse_as_of
    from pilkada_cli.base.errors import InputError

    start = parse_as_of(text, ws)
    if start.day is None:
        raise InputError(_("--since takes a date (YYYY-MM-DD)"))
    return start.day
