"""Expected failures and the exit codes they map to.

Domain code raises these; only the CLI error boundary turns them into exit codes and messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes (README, `pilkada --help`)."""

    OK = 0
    GATE_FAILED = 1
    INVALID_INPUT = 2
    STORAGE = 3


class PilkadaError(Exception):
    """An expected failure; ``str(e)`` is shown to the user as-is."""

    exit_code: ExitCode = ExitCode.INVALID_INPUT


class InputError(PilkadaError):
    """Bad usage or invalid input: unknown region or item, bad date, invalid YAML or config."""


class Problem:
    """One problem found in an input file, located by file and line."""

    __slots__ = ("path", "line", "message")

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class ValidationError(InputError):
    """One or more problems in input files, all reported at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StorageError(PilkadaError):
    """Records unreadable or unwritable, lock not obtained, disk full; nothing half-written."""

    exit_code = ExitCode.STORAGE
