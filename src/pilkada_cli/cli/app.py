"""The ``pilkada`` Typer application and its global options. Command modules register on
``app`` (imported from here, never from the package: no import cycle); ``app`` imports them when
Typer first asks for its commands, all of them or only the one a run names (``COMMANDS``)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from pilkada_cli import __version__
from pilkada_cli.base.i18n import LANGUAGES, _
from pilkada_cli.cli import _common, click_words, coercion

HELP = _("""Track how ready each region is for each stage of a Pilkada.

Exit codes: 0 done (and readiness gates passed); 1 a readiness gate failed (--fail-under,
--fail-on); 2 bad usage or invalid input (unknown region or item, bad date, invalid YAML or
config); 3 storage problem (records unreadable or unwritable, lock not obtained, disk full;
nothing half-written); 4 internal error (a bug: one line, the traceback with --debug or
PILKADA_DEBUG=1); 141 stdout closed early (| head), quietly.""")

# The command modules, in the order --help lists them (set up, what the cycle asks for, record,
# see, report, share), with the commands each registers on ``app`` when imported.
COMMANDS = {
    "setup": ("init",), "demo": ("demo",),
    "listings": ("validate", "schema", "stages", "items", "regions", "cycle"),
    "records": ("record", "done", "blocked", "na", "undo", "log", "verify"),
    "status": ("status", "due", "changes"), "report": ("report",), "map": ("map",),
    "sheet": ("sheet",), "share": ("export", "import", "keys", "offices"), "sync": ("sync",),
}


class _Pilkada(typer.Typer):
    """The application, whose command modules are imported when Typer first asks for its
    commands (to run or to list them): all of them, or after ``only`` just the module of the
    command a run names. Typer builds a Click command from the signature of every registered
    command on every run, and the other modules' imports cost as much again (issue 18,
    docs/performance.md): a run pays for its own command only."""

    def __init__(self, **kwargs: Any) -> None:
        self._pending: list[str] | None = list(COMMANDS)
        super().__init__(**kwargs)

    def only(self, command: str | None) -> None:
        """Import just the module of ``command`` (all of them if it is none of ours)."""
        found = [m for m, names in COMMANDS.items() if command in names]
        if found and self._pending is not None:
            self._pending = found

    def _load(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, None
            for module in pending:
                importlib.import_module(f"pilkada_cli.cli.{module}")

    @property
    def registered_commands(self) -> list[Any]:
        self._load()
        return self._commands

    @registered_commands.setter
    def registered_commands(self, value: list[Any]) -> None:
        self._commands = value

    @property
    def registered_groups(self) -> list[Any]:
        self._load()
        return self._groups

    @registered_groups.setter
    def registered_groups(self, value: list[Any]) -> None:
        self._groups = value


app = _Pilkada(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


click_words.install()  # "Usage:", "Options", "Show this message and exit." in the run's language
coercion.install()  # no pydantic adapter for a parameter that was not given


def _version(value: bool) -> None:
    if value:
        print(f"pilkada {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help=_("Workspace folder (default: PILKADA_WORKSPACE, else the "
        "current folder or a parent with pilkada.yaml, else the embedded default)."),
        show_default=False)] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help=_("Language: id or en (default: PILKADA_LANG, the workspace, the OS)."),
        show_default=False)] = None,
    no_color: Annotated[bool, typer.Option(
        "--no-color", help=_("Plain text without colours (also NO_COLOR=1)."))] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help=_("Show the traceback of an internal error (also PILKADA_DEBUG=1)."))
    ] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help=_("Show the version and exit."))] = False,
) -> None:
    """Global options."""
    del version
    valid = lang in LANGUAGES
    _common.reset_session(workspace_path=workspace, lang=lang if valid else None,
                          no_color=no_color, debug=debug)
    if lang is not None and not valid:
        raise typer.BadParameter(_("use id or en"), param_hint="--lang")
