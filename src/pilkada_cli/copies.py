"""One origin per copy of a workspace: two clones on one PC never append to the same file.

A copy of a workspace is one folder on one PC. Its origin id (origin.py) is kept in the copy's
own local state, ``<workspace>/.pilkada/copies/<key>/origin`` (``.pilkada/`` is never synced),
where ``key`` is derived from the PC's name and the folder's absolute path: a clone, a second
folder, or a folder copied to a flash drive and opened elsewhere (with its ``.pilkada/``) gets
a key of its own, hence a fresh origin. Moving a folder also starts a new origin, which costs
nothing but new record file names.

Before this, the origin was per user (``<PILKADA_HOME>/origin``). The first copy to write after
the upgrade that already holds records of that origin keeps it (so `undo --last` still reaches
earlier changes); ``<PILKADA_HOME>/origin.kept-by`` says which copy did, and every other copy
gets a new one. A new copy notes the records its folder already holds as seen (conflicts.py).
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

from pilkada_cli.origin import ORIGIN_FILE, is_origin, load_origin

LEGACY_MARK = "origin.kept-by"
OPERATOR_FILE = "operator"  # this copy's own operator name, beside its origin id


def copy_key(root: Path) -> str:
    """16 hex chars naming this copy: the PC's name and the folder's absolute path."""
    where = f"{socket.gethostname()}\0{Path(root).resolve()}"
    return hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def copy_dir(root: Path) -> Path:
    """Where the copy of the workspace at ``root`` keeps its origin id."""
    return Path(root) / ".pilkada" / "copies" / copy_key(root)


def workspace_origin(root: Path, home: Path) -> str:
    """The origin id of the workspace copy at ``root`` (created on first use); StorageError if
    it cannot be read or created."""
    state = copy_dir(root)
    if (state / ORIGIN_FILE).exists():
        return load_origin(state)
    _keep_legacy(state, root, home)
    origin = load_origin(state)
    _note_what_it_holds(root / "records", origin)
    return origin


def current_origin(root: Path) -> str | None:
    """The origin id of the workspace copy at ``root`` if it has one yet (never made here: a
    command that only reads, or judges a bundle it may refuse, must not start one)."""
    state = copy_dir(root)
    return load_origin(state) if (state / ORIGIN_FILE).exists() else None


def copy_operator(root: Path) -> str | None:
    """The operator name this copy was given (`init --operator`), or None: then the shared
    ``operator:`` of pilkada.yaml is only a fallback. Kept beside the origin id, never in the
    shared file, so one office's name is never put on another office's records."""
    try:
        text = (copy_dir(root) / OPERATOR_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        from pilkada_cli.errors import StorageError, os_reason
        from pilkada_cli.i18n import _

        raise StorageError(_("cannot read the operator name from {path}: {reason}").format(
            path=copy_dir(root) / OPERATOR_FILE,
            reason=os_reason(e) if isinstance(e, OSError) else e)) from e
    return text or None


def set_copy_operator(root: Path, name: str) -> None:
    """Keep ``name`` as this copy's operator (durably, replacing any earlier one)."""
    from pilkada_cli.errors import StorageError, os_reason
    from pilkada_cli.i18n import _
    from pilkada_cli.safefile import replace_atomic

    state = copy_dir(root)
    try:
        state.mkdir(parents=True, exist_ok=True)
        replace_atomic(state / OPERATOR_FILE, (name + "\n").encode("utf-8"))
    except OSError as e:
        raise StorageError(_("cannot keep the operator name in {path}: {reason}").format(
            path=state / OPERATOR_FILE, reason=os_reason(e))) from e


def _note_what_it_holds(records: Path, origin: str) -> None:
    """A new copy starts from what its folder holds: it has seen those records (conflicts.py),
    so a decision recorded here settles a conflict among them."""
    from pilkada_cli.conflicts import note_received
    from pilkada_cli.errors import PilkadaError
    from pilkada_cli.events import recorded_now
    from pilkada_cli.journal import Journal

    try:
        events = Journal(records).read().events
        if events:
            note_received(records, origin, events, recorded_now())
    except (OSError, PilkadaError):
        return  # best effort: without the note a later disagreement shows as a conflict


def _keep_legacy(state: Path, root: Path, home: Path) -> None:
    """Give the per-user origin of older versions to the first copy that wrote under it."""
    legacy = home / ORIGIN_FILE
    try:
        old = legacy.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return
    if not is_origin(old) or not any((root / "records").glob(f"*/{old}.jsonl")):
        return
    from pilkada_cli.safefile import create_new, publish

    try:
        create_new(home / LEGACY_MARK, (copy_key(root) + "\n").encode("ascii"))
    except OSError:
        return  # another copy kept it (or the folder is read-only): a new origin here
    try:
        state.mkdir(parents=True, exist_ok=True)
        publish(state / ORIGIN_FILE, (old + "\n").encode("ascii"))
    except OSError:
        return
