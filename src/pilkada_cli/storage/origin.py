"""The origin id: the name of one writer of record files.

Each record file has exactly one writing origin (``records/<region>/<origin>.jsonl``), which is
why offices can merge each other's records (by git or by copying files) without a conflict, and
why the per-origin ``seq`` counter rises within every file. An origin id is a sanitised host
name (at most 20 characters of ``[a-z0-9-]``), a dash and 8 random hex characters, e.g.
``pc-kesbang-3f2a9c01``; it matches ``events.ORIGIN_RE``.

The API, for every caller:

- ``load_origin(state_dir)``: the id kept in ``state_dir/origin``, created on first use. Safe
  when several runs start at once: all of them get the same id. Where the id is kept is the
  caller's choice: the CLI passes the user data folder today (one origin per machine and user);
  a caller that wants one origin per workspace copy passes that copy's own local state folder.
- ``new_origin()``: a fresh id, not stored anywhere.
- ``is_origin(text)``: whether ``text`` is a well-formed id.

Raises ``errors.StorageError`` (exit 3) when the file cannot be read or created, or holds
something that is not an id. Nothing else here touches record files.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from pilkada_cli.base.errors import StorageError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import publish
from pilkada_cli.domain.events import ORIGIN_RE

ORIGIN_FILE = "origin"
HOST_CHARS = 20


def is_origin(text: str) -> bool:
    """Whether ``text`` is a well-formed origin id."""
    return ORIGIN_RE.fullmatch(text) is not None


def host_slug() -> str:
    """This machine's host name as the first part of an origin id ("pc" if it has none)."""
    import socket  # only when an origin is created: once per machine

    name = socket.gethostname().split(".")[0].lower()
    slug = re.sub(r"[^a-z0-9-]+", "-", name).strip("-")[:HOST_CHARS].strip("-")
    return slug or "pc"


def new_origin() -> str:
    """A fresh origin id: ``host_slug()``, a dash, 8 random hex characters."""
    import secrets

    return f"{host_slug()}-{secrets.token_hex(4)}"


def load_origin(state_dir: Path) -> str:
    """The origin id kept in ``state_dir/origin``, created (with ``state_dir``) if missing."""
    path = Path(state_dir) / ORIGIN_FILE
    existing = _read(path)
    if existing is not None:
        return existing
    origin = new_origin()
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        publish(path, (origin + "\n").encode("ascii"))
    except OSError as e:
        raise StorageError(_("cannot create origin id file {path}: {reason}").format(
            path=path, reason=os_reason(e))) from e
    return _read(path) or origin  # another run may have created it first: theirs counts


def _read(path: Path) -> str | None:
    """The origin id stored at ``path``; None if there is no file yet."""
    for _attempt in range(20):  # a concurrent first run may be writing it (non-link fallback)
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            raise StorageError(_("cannot read origin id from {path}: {reason}").format(
                path=path, reason=os_reason(e) if isinstance(e, OSError) else e)) from e
        if text:
            break
        time.sleep(0.05)
    if not is_origin(text):
        raise StorageError(_("{path} does not hold a valid origin id; delete it to create a "
                             "new one (records already written keep their old origin)").format(
            path=path))
    return text
