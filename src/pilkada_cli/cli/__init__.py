"""The ``pilkada`` command: a thin Typer layer over the domain modules.

``app`` (cli/app.py) holds the application and its global options; the command modules
(``app.COMMANDS``) register their commands on it, imported when Typer first asks for them.
"""

from pilkada_cli.cli.app import app

__all__ = ["app"]
