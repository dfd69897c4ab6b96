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
    INTERNAL = 4  # an unexpected exception: a bug in pilkada, not in the user's data
    CLOSED_PIPE = 141  # stdout closed by its reader (`| head`): 128 + SIGPIPE, as Unix tools


class PilkadaError(Exception):
    """An expected failure; ``str(e)`` is shown to the user as-is."""

    exit_code: ExitCode = ExitCode.INVALID_INPUT
    detail: str = ""  # what another program said (git's own words): shown only with --debug


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
    """Why an operating-system call failed, in words a user can act on, in the run's language.

    The operating system's own text (``strerror``) is English whatever the language, so the
    common reasons are pilkada's own messages; any other is named by its errno code (EXDEV),
    with the system's text only in English. An OSError without an errno carries pilkada's own
    text (a refusal) and is shown as it is.
    """
    import errno

    from pilkada_cli.base.i18n import _, language

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
        errno.ENOENT: _("no such file or folder"),
        errno.EEXIST: _("already exists"),
        errno.ENOTDIR: _("a part of the path is not a folder"),
        errno.ENOTEMPTY: _("the folder is not empty"),
        errno.EMFILE: _("too many open files"),
        errno.ENFILE: _("too many open files in the system"),
        errno.EBUSY: _("in use by another program"),
        errno.ETXTBSY: _("in use by another program"),
        errno.EAGAIN: _("temporarily unavailable; try again"),
        errno.EFBIG: _("file too large"),
        errno.EXDEV: _("cannot move a file between two drives"),
        errno.ENODEV: _("no such device"),
        errno.ENXIO: _("no such device or address"),
        errno.ENOMEM: _("not enough memory"),
        errno.EINVAL: _("invalid argument (a name or position the file system refuses)"),
        errno.ETIMEDOUT: _("timed out"),
        errno.EINTR: _("interrupted; try again"),
        errno.ESTALE: _("stale network file handle; try again"),
    }
    number = exc.errno
    if not number:
        return exc.strerror or str(exc)
    known = reasons.get(number)
    if known:
        return known
    code = errno.errorcode.get(number, str(number))
    if language() == "en" and exc.strerror:
        return f"{exc.strerror} ({code})"
    return _("operating-system error {code}").format(code=code)


class StorageError(PilkadaError):
    """Records unreadable or unwritable, lock not obtained, disk full; nothing half-written."""

    exit_code = ExitCode.STORAGE
