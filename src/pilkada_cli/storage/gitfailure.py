"""A failed talk with the shared repository as one plain sentence in the user's language.

git (run with LC_ALL=C, so its words are English and stable) and dulwich (exceptions) say the
same few things in many ways; an office needs to know which of three it is, because each has
another remedy: the repository could not be reached (network, server or shared drive down, or
a wrong host), it refused this PC (user name, password or SSH key), or there is no repository
at that address. git's own words are kept as the error's ``detail``, shown only with --debug.

Pure: no git is run here (gitsync.py runs it and hands over what it said).
"""

from __future__ import annotations

import re
from pathlib import Path

from pilkada_cli.base.errors import StorageError
from pilkada_cli.base.i18n import _

NETWORK, AUTH, MISSING, TIMEOUT, BUSY = "network", "auth", "missing", "timeout", "busy"

# Checked in this order: a refused connection also ends in git's "make sure you have the
# correct access rights and the repository exists", so the network is asked first.
_NETWORK = re.compile(
    r"could not resolve|connection refused|connection timed out|timed out|network is "
    r"unreachable|no route to host|failed to connect|couldn't connect|connection reset|"
    r"name or service not known|temporary failure in name resolution|max retries exceeded|"
    r"newconnectionerror|nameresolutionerror|connection closed|broken pipe", re.I)
_AUTH = re.compile(
    r"could not read (username|password)|authentication failed|permission denied|"
    r"access denied|returned error: 40[13]|http resp 40[13]|unauthori[sz]ed|no valid "
    r"credentials|host key verification failed|forbidden|invalid credentials", re.I)
_MISSING = re.compile(
    r"not found|does not appear to be a git repository|no git repository was found|"
    r"returned error: 404|http resp 404|no such repository|not a git repository|"
    r"repository .* does not exist|notgitrepository", re.I)


class Unreachable(StorageError):
    """The shared repository could not be used (network, login, address): one plain sentence,
    git's or dulwich's own words in ``detail`` (--debug)."""

    def __init__(self, message: str, detail: str = "", kind: str = NETWORK) -> None:
        super().__init__(message)
        self.detail = detail
        self.kind = kind


def kind_of(remote: str, said: str, error: BaseException | None = None) -> str:
    """NETWORK, AUTH or MISSING for what git said (or dulwich raised) about ``remote``."""
    names = " ".join(c.__name__ for c in type(error).__mro__) if error else ""
    text = f"{names} {said}"
    if "HTTPUnauthorized" in names or "HTTPProxyUnauthorized" in names:
        return AUTH
    if _NETWORK.search(text):
        return NETWORK
    if _AUTH.search(text):
        return AUTH
    if _MISSING.search(text) or "NotGitRepository" in names:
        # a local path that is not there is a drive or share not mounted, not a wrong address
        gone = _local(remote) and not Path(remote.removeprefix("file://")).exists()
        return NETWORK if gone else MISSING
    return NETWORK


def _local(remote: str) -> bool:
    """Whether ``remote`` is a folder path (not a URL, not scp-like ``host:path``)."""
    if "://" in remote:
        return remote.startswith("file://")
    head = remote.split("/", 1)[0]
    return ":" not in head or bool(re.fullmatch(r"[A-Za-z]:", head))  # C:\… is a path


def sentence(remote: str, kind: str) -> str:
    """The plain sentence for a failure of ``kind`` with the repository at ``remote``."""
    if kind == AUTH:
        return _("the shared repository {remote} did not let this PC in (its user name, "
                 "password or key was refused or is not set up); ask your IT staff to set up "
                 "this PC's access").format(remote=remote)
    if kind == MISSING:
        return _("there is no shared repository at {remote} (a wrong address, or it was moved "
                 "or deleted); ask your IT staff for the right address").format(remote=remote)
    if kind == TIMEOUT:
        return _("the shared repository {remote} did not answer in time; try again "
                 "later").format(remote=remote)
    return _("cannot reach the shared repository {remote}: the network, or the server or "
             "shared drive that holds it, is not available").format(remote=remote)


def failure(remote: str, said: str, error: BaseException | None = None) -> Unreachable:
    """The error for a failed fetch, push, clone or listing of ``remote``."""
    if error is not None:  # dulwich: its exception's name says as much as its words
        said = f"{type(error).__name__}: {said}"
    detail = " ".join(said.split())[:2000]
    kind = kind_of(remote, said, error)
    return Unreachable(sentence(remote, kind), detail=detail, kind=kind)


def timeout(remote: str, seconds: int) -> Unreachable:
    return Unreachable(sentence(remote, TIMEOUT), detail=_(
        "no answer within {s} seconds").format(s=seconds), kind=TIMEOUT)
