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


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words a user can act on (translated)."""
    import errno

    from pilkada_cli.i18n import _

    reasons = {
        errno.ENOSPC: _("no space left on device"),
        getattr(errno, "EDQUOT", -1): _("disk quota exceeded"),
        errno.EIO: _("disk input/output error"),
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("operation not permitted"),
        errno.EROFS: _("read-only file system"),
        errno.ELOOP: _("is a symbolic link; refusing to follow it"),
        errno.ENAMETOOLONG: _("file name too long"),
        errno.EISDIR: _("is a folder"),
    }
    return reasons.get(exc.errno or 0) or exc.strerror or str(exc)


class StorageError(PilkadaError):
    """Records unreadable or unwritable, lock not obtained, disk full; nothing half-written."""

    exit_code = ExitCode.STORAGE
