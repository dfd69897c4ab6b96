"""Commands that create workspaces."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, get_session, handled
from pilkada_cli.cli.app import app


@app.command(help=_(
    "Create a workspace: pilkada.yaml and records/ (refuses to overwrite "
    "one).\n\nExample: pilkada init rakor-sumsel --region 16 --depth "
    "kecamatan"))
@handled
def init(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the new workspace."))] = Path(),
    region: Annotated[str, typer.Option(
        "--region", "-r", help=_("Root region: code or name, e.g. 16, 'sumatera selatan', "
        "indonesia."))] = "16",
    depth: Annotated[str, typer.Option(
        "--depth", "-d", help=_("Deepest level tracked: provinsi, kabupaten, kecamatan or desa."))
    ] = "kecamatan",
    cycle: Annotated[str, typer.Option(
        "--cycle", "-c", help=_("A shipped cycle (pilkada-2024, pilkada-ulang-2025, psu, "
        "wakil-kosong, pilkada-template: `pilkada cycle list`) or a cycle folder (`pilkada cycle "
        "new` makes one for another voting day)."))] = "pilkada-2024",
    operator: Annotated[str | None, typer.Option(
        "--operator", help=_("Your name, recorded with each change made in this copy of the "
                             "workspace (kept in its .pilkada/ folder, not in the shared "
                             "pilkada.yaml)."), show_default=False)
    ] = None,
    lang: Annotated[str, typer.Option("--language", help=_("Workspace language: id or en."))
    ] = "id",
    git: Annotated[str | None, typer.Option(
        "--git", help=_("The shared repository (a server address or a folder on a shared "
                        "drive): join the workspace in it, or share this new one there; then "
                        "`pilkada sync` exchanges records."), show_default=False)] = None,
) -> None:
    from rich.text import Text

    from pilkada_cli.app.copyorigins import set_copy_operator
    from pilkada_cli.app.setup import new_workspace_config
    from pilkada_cli.base.i18n import set_language
    from pilkada_cli.domain.events import NAME_MAX_BYTES, validate_text
    from pilkada_cli.domain.workspace import init_workspace
    from pilkada_cli.render.status import next_steps

    s = get_session()
    # The name is this copy's own (copyorigins.py), never the shared pilkada.yaml's: a regency
    # that joins the province's workspace must not record under the province's name.
    own = validate_text("--operator", operator.strip(), max_bytes=NAME_MAX_BYTES,
                        allow_newline=False) if operator and operator.strip() else None
    if git:
        from pilkada_cli.app.joining import init_with_git

        done = init_with_git(directory, git, lambda: new_workspace_config(
            s.regions(), region, depth, cycle, directory, None, lang),
            lambda spoken: _speak(s, spoken))
        s.console(stderr=True).print(Text(done, style="green"))
        if own:
            set_copy_operator(directory, own)
        _say_if_past(s, directory)
        return
    config = new_workspace_config(s.regions(), region, depth, cycle, directory, None, lang)
    path = init_workspace(directory, config)
    if own:
        set_copy_operator(directory, own)
    # From here on, speak the new workspace's language: the policy's order is flag, then
    # environment, then workspace (and opening the workspace here would load its cycle).
    if config.language and not (s.lang or os.environ.get("PILKADA_LANG")):
        set_language(config.language)
    err = s.console(stderr=True)
    root = s.regions().get(config.region)
    err.print(Text(_("Created workspace {path} for {region} ({code}).").format(
        path=path, region=root.name if root else config.region, code=config.region),
        style="green"))
    _say_if_past(s, directory)
    folder = None if directory.resolve() == Path.cwd().resolve() else str(directory)
    s.say("\n".join(next_steps(folder)))


def _say_if_past(s: Session, directory: Path) -> None:
    """A word when the workspace's cycle ended before today (the default, pilkada-2024, is a
    past election from 2025 on): its views would show a finished election."""
    from datetime import date

    from pilkada_cli.base.i18n import format_date
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.workspace import CONFIG_FILE, load_config

    config = load_config(directory / CONFIG_FILE)
    cycle = open_cycle(config.cycle, directory)
    end = max((stage.end for stage in cycle.stages), default=cycle.voting_day)
    if end >= date.today() or config.as_of is not None:
        return
    s.say(_("Note: cycle {cycle} ended on {end} (voting day {voting}), so this workspace "
            "tracks a past election. For an election still to come, `pilkada cycle list` "
            "shows the shipped cycles and `pilkada cycle new` makes one for its voting day; "
            "init again with --cycle.").format(cycle=cycle.id, end=format_date(end),
                                               voting=format_date(cycle.voting_day)),
          "yellow")


def _speak(s: Session, language: str | None) -> None:
    """Speak the workspace's language from here on, unless the flag or PILKADA_LANG chose."""
    from pilkada_cli.base.i18n import set_language

    if language and not (s.lang or os.environ.get("PILKADA_LANG")):
        set_language(language)
