"""The ``pilkada`` Typer application and its global options. Command modules register on
``app`` (imported from here, never from the package: no import cycle); the package
(cli/__init__.py) imports them in the order ``--help`` lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pilkada_cli import __version__
from pilkada_cli.cli import _common, click_words
from pilkada_cli.i18n import LANGUAGES, _

HELP = _("""Track how ready each region is for each stage of a Pilkada.

Exit codes: 0 done (and readiness gates passed); 1 a readiness gate failed (--fail-under,
--fail-on); 2 bad usage or invalid input (unknown region or item, bad date, invalid YAML or
config); 3 storage problem (records unreadable or unwritable, lock not obtained, disk full;
nothing half-written).""")

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


click_words.install()  # "Usage:", "Options", "Show this message and exit." in the run's language


def _version(value: bool) -> None:
    if value:
        print(f"pilkada {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    workspace: Annotated[Optional[Path], typer.Option(  # noqa: UP045 (Typer needs Optional on 3.10)
        "--workspace", "-w", help=_("Workspace folder (default: PILKADA_WORKSPACE, else the "
        "current folder or a parent with pilkada.yaml, else the embedded default)."),
        show_default=False)] = None,
    lang: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--lang", help=_("Language: id or en (default: PILKADA_LANG, the workspace, the OS)."),
        show_default=False)] = None,
    no_color: Annotated[bool, typer.Option(
        "--no-color", help=_("Plain text without colours (also NO_COLOR=1)."))] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help=_("Show the version and exit."))] = False,
) -> None:
    """Global options."""
    del version
    valid = lang in LANGUAGES
    _common.reset_session(workspace_path=workspace, lang=lang if valid else None,
                          no_color=no_color)
    if lang is not None and not valid:
        raise typer.BadParameter(_("use id or en"), param_hint="--lang")
