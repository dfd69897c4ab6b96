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

    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.base.errors import InputError
    from pilkada_cli.domain.demo import demo_config, demo_events
    from pilkada_cli.domain.workspace import CONFIG_FILE, init_workspace, load_config
    from pilkada_cli.storage.journal import Journal

    s = get_session()
    err = s.console(stderr=True)
    existing = directory / CONFIG_FILE
    if existing.exists():
        if not load_config(existing).sample:
            raise InputError(_("{path} is a real workspace; choose another folder for the "
                               "demo").format(path=directory))
        err.print(Text(_("Sample workspace {path} already exists; showing its status.").format(
            path=directory), style="dim"))
    else:
        config = demo_config(language())  # the language this run already speaks
        init_workspace(directory, config)
        cycle = s.cycle_for(config.cycle)
        regions = scope_regions(s.regions(), config.region, config.depth)
        journal = Journal(directory / "records")
        events = demo_events(cycle, regions)
        by_region: dict[str, list] = {}  # type: ignore[type-arg]
        for ev in events:
            by_region.setdefault(ev.region, []).append(ev)
        for batch in by_region.values():
            journal.append(batch)
        err.print(Text(_("Created sample workspace {path} with {n} sample events (as of 21 "
                         "August 2024).").format(path=directory, n=len(events)), style="green"))
    _common.reset_session(workspace_path=directory, lang=s.lang, no_color=s.no_color,
                          debug=s.debug)
    from pilkada_cli.cli.status import status

    status(region=None, stage=None, depth=None, as_of=None, fmt=None, fail_under=None,
           fail_on=None)
