"""``pilkada demo``: a sample Sumatera Selatan workspace, then its status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilkada_cli.base.i18n import _, language
from pilkada_cli.cli import _common
from pilkada_cli.cli._common import get_session, handled
from pilkada_cli.cli.app import app


@app.command(help=_(
    "Create a SAMPLE workspace for Sumatera Selatan as of the rakor of 21 "
    "August 2024 (invented progress, marked as sample everywhere), then "
    "show its status.\n\nExample: pilkada demo && cd pilkada-demo && pilkada "
    "status palembang"))
@handled
def demo(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the sample workspace."))
    ] = Path("pilkada-demo"),
) -> None:
    from rich.text import Text

    from pilkada_cli.app.sample import make_sample

    s = get_session()
    err = s.console(stderr=True)
    made = make_sample(directory, language())  # the language this run already speaks
    if made is None:
        err.print(Text(_("Sample workspace {path} already exists; showing its status.").format(
            path=directory), style="dim"))
    else:
        err.print(Text(_("Created sample workspace {path} with {n} sample events (as of 21 "
                         "August 2024).").format(path=directory, n=made), style="green"))
    _common.reset_session(workspace_path=directory, lang=s.lang, no_color=s.no_color,
                          debug=s.debug)
    from pilkada_cli.base.gcpause import without_gc
    from pilkada_cli.cli.readinessview import show_status

    without_gc(show_status)(get_session())
