"""The floor of any Typer CLI: a minimal Typer + rich program printing a one-row table.

    python bench/floor.py

What every `pilkada` command pays before doing any work of its own (interpreter start, Typer,
Click, rich, and the parameter handling Typer does when a command runs), the yardstick of
bench/run.py.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False)


@app.command()
def status() -> None:
    """Print a one-row table."""
    table = Table("Region", "Level", "Score")
    table.add_row("16 Sumatera Selatan", "SIAP", "50,0%")
    Console().print(table)


if __name__ == "__main__":
    app()
