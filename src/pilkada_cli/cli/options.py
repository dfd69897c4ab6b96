"""Options and checks shared by commands, written once: the output format and how much of a
long list a terminal shows, the region, ``--as-of`` and ``--since`` options, and showing the
one format asked for."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli import screenformats
from pilkada_cli.cli._common import Session
from pilkada_cli.cli.screenformats import ScreenFormat, View

if TYPE_CHECKING:
    from pilkada_cli.domain.workspace import Workspace
    from pilkada_cli.render.screen import Screen


if TYPE_CHECKING:
    FormatOpt = str | None
else:  # the formats' names as a Literal: Typer's choices (screenformats.option)
    FormatOpt = screenformats.option()
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help=_("Judge as of this date (YYYY-MM-DD), replaying the records up to its end "
    "(default: today in each region's time zone)."), show_default=False)]
RegionArg = Annotated[str | None, typer.Argument(
    help=_("A region code or name (default: the workspace root)."), show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", "-a", help=_(
    "Every row on a terminal too (default: cut to a screenful, done items folded)."))]


def chosen_format(s: Session, chosen: str | None) -> ScreenFormat:
    """The format asked for, else a table on a screen (or piped where the terminal's width
    is known) and plain text otherwise."""
    if chosen is None:
        chosen = screenformats.ON_A_SCREEN if s.laid_out() else screenformats.OTHERWISE
    return screenformats.find(chosen)


@dataclass(frozen=True)
class Room:
    """How much a terminal shows: its width, and the rows of a long list (None: all)."""

    width: int | None
    rows: int | None


def room(s: Session, fmt: ScreenFormat, show_all: bool = False) -> Room:
    """A table's room on this terminal; plain text, Markdown and data get every row."""
    if not fmt.laid_out:
        return Room(None, None)
    console = s.console()
    # Piped (| less) every row: the reader scrolls.
    full = show_all or not s.screen()
    return Room(console.width, None if full else max(10, console.height - 20))


def show(s: Session, fmt: ScreenFormat, screen: Callable[[], Screen],
         data: Callable[[], dict[str, Any]], csv: Callable[[], str],
         sample: bool = False) -> None:
    """Build and write only the format asked for from the view's forms: its screen, its JSON
    data, its CSV (screenformats.py). ``sample``: the workspace holds sample data, marked in
    the data formats too (the screens carry the banner)."""
    fmt.write(s, View(screen, data, csv, sample))


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
