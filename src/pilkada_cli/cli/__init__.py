"""The ``pilkada`` command: a thin Typer layer over the domain modules.

``app`` (cli/app.py) holds the application and its global options; each command module
registers its commands on it when imported here, in the order ``--help`` lists them: set up,
what the cycle asks for, record, see, report, share.
"""
# ruff: noqa: I001  (the order of the command modules is the order of --help)

from pilkada_cli.cli.app import app
from pilkada_cli.cli import setup, demo, catalog, records, status, report, map, sheet, share, sync  # noqa: F401

__all__ = ["app"]
