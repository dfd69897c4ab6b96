"""One origin per copy of a workspace: two clones on one PC never append to the same file.

A copy of a workspace is one folder on one PC. Its origin id (origin.py) is kept in the copy's
own local state, ``<workspace>/.pilkada/copies/<key>/origin`` (``.pilkada/`` is never synced),
where ``key`` is derived from the PC's name and the folder's absolute path: a clone, a second
folder, or a folder copied to a flash drive and opened elsewhere (with its ``.pilkada/``) gets
a key of its own, hence a fresh origin.

A folder that was *moved* keeps its origin: renamed, moved on its drive, or its flash drive
given another drive letter or mount path. ``.pilkada/copy`` names the key the folder was last
opened under, and ``copies/<key>/where`` that key's PC and path, so a folder opened at a new
path knows where it was before. It is the same copy, not a second one, when (1) it was last
opened on this PC, and (2) that place no longer holds it (gone, or holding another copy), and
(3) no other folder on this PC holds that origin now: ``<PILKADA_HOME>/origins/<origin>`` names
the folder each origin of this PC was last opened in. A copy made beside its original (both
there) gets a new origin, as does a folder opened on another PC (the old place cannot be seen
from there). A folder left behind by a copy that took its origin over (a copy made while the
original's drive was unplugged) gets a new origin when it is opened again, so the two never
append to the same file. docs/sharing.md, "Copies of a workspace".

Before this, the origin was per user (``<PILKADA_HOME>/origin``). The first copy to write after
the upgrade that already holds records of that origin keeps it (so `undo --last` still reaches
earlier changes); ``<PILKADA_HOME>/origin.kept-by`` says which copy did, and every other copy
gets a new one. A new copy notes the records its folder already holds as seen (conflicts.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pilkada_cli.storage.origin import ORIGIN_FILE, is_origin, load_origin, new_origin

LEGACY_MARK = "origin.kept-by"
OPERATOR_FILE = "operator"  # this copy's own operator name, beside its origin id
MARK = "copy"  # .pilkada/copy: the key this folder was last opened under
WHERE = "where"  # .pilkada/copies/<key>/where: that key's PC and path
CLAIMS = "origins"  # <PILKADA_HOME>/origins/<origin>: the folder of this PC that holds it
_KEY = re.compile(r"[0-9a-f]{16}")  # a copy key (read back from files: never a path)


def host_name() -> str:
    """This PC's name: ``socket.gethostname()``, which on POSIX is ``os.uname``'s node name
    (without importing socket: ~2 ms of every run that records)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


def _place(root: Path) -> tuple[str, str]:
    """This PC's name and the folder's absolute path."""
    return host_name(), str(Path(root).resolve())


def copy_key(root: Path) -> str:
    """16 hex chars naming this copy: the PC's name and the folder's absolute path (SHA-256
    from its C module: hashlib would also load OpenSSL, ~2 ms a run)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # (< 3.12)
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            from hashlib import sha256
    host, path = _place(root)
    digest: str = sha256(f"{host}\0{path}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


def copy_dir(root: Path) -> Path:
    """Where the copy of the workspace at ``root`` keeps its origin id."""
    return Path(root) / ".pilkada" / "copies" / copy_key(root)


def workspace_origin(root: Path, home: Path) -> str:
    """The origin id of the workspace copy at ``root`` (created on first use, or taken over
    from where this folder was before it was moved); StorageError if it cannot be read or
    created."""
    root = Path(root)
    key = copy_key(root)
    state = root / ".pilkada" / "copies" / key
    found, moved = _resolve(root, key, home)
    if found is not None:
        origin = found
        if moved:  # the same copy, at another path
            _adopt(root, key, origin)
    else:  # a new copy (or one left behind): a new origin
        if (state / ORIGIN_FILE).exists():  # its origin went with a copy: never two writers
            origin = new_origin()
            try:
                _replace(state / ORIGIN_FILE, origin)
            except OSError as e:
                from pilkada_cli.base.errors import StorageError, os_reason
                from pilkada_cli.base.i18n import _

                raise StorageError(_("cannot create origin id file {path}: {reason}").format(
                    path=state / ORIGIN_FILE, reason=os_reason(e))) from e
        else:
            _keep_legacy(state, root, home)
            origin = load_origin(state)
        _note_what_it_holds(root / "records", origin)
    _settle(root, key, origin, home)
    return origin


def current_origin(root: Path, home: Path | None = None) -> str | None:
    """The origin id of the workspace copy at ``root`` if it has one yet, or would take over
    one as a moved folder (nothing is made or written here: a command that only reads, or
    judges a bundle it may refuse, must not start one)."""
    if home is None:
        from pilkada_cli.domain.workspace import user_home

        home = user_home()
    return _resolve(Path(root), copy_key(root), home)[0]


def _resolve(root: Path, key: str, home: Path) -> tuple[str | None, bool]:
    """The origin the folder at ``root`` writes under, and whether it comes from where the
    folder was before (True: moved here); (None, False) when it needs a new one."""
    state = root / ".pilkada" / "copies" / key
    if (state / ORIGIN_FILE).exists():
        own = load_origin(state)
        return (None, False) if _held_elsewhere(own, key, home) else (own, False)
    before = _text(root / ".pilkada" / MARK)
    if before is None or before == key or not _KEY.fullmatch(before):
        return None, False
    old = root / ".pilkada" / "copies" / before
    origin = _text(old / ORIGIN_FILE)
    where = (_text(old / WHERE) or "").split("\n")
    if origin is None or not is_origin(origin) or len(where) != 2:
        return None, False
    host, path = where
    if host != host_name() or _holds(path, before, origin):
        return None, False  # another PC (its old place cannot be seen), or a copy beside it
    if _held_elsewhere(origin, before, home):
        return None, False
    return origin, True


def _holds(path: str, key: str, origin: str) -> bool:
    """Whether the folder at ``path`` of this PC is the copy ``key`` writing under ``origin``:
    its state says so, and it was last opened as that copy."""
    state = Path(path) / ".pilkada"
    return (_text(state / "copies" / key / ORIGIN_FILE) == origin
            and _text(state / MARK) == key)


def _held_elsewhere(origin: str, key: str, home: Path) -> bool:
    """Whether another folder of this PC holds ``origin`` now: the one this PC last opened it
    in is not ``key``'s and still holds it (a copy took it over from this folder)."""
    claim = (_text(home / CLAIMS / origin) or "").split("\n")
    if (len(claim) != 3 or claim[0] != host_name() or claim[1] == key
            or not _KEY.fullmatch(claim[1])):
        return False
    return _holds(claim[2], claim[1], origin)


def _adopt(root: Path, key: str, origin: str) -> None:
    """Keep ``origin`` (and the operator name) under this folder's new key."""
    from pilkada_cli.base.errors import StorageError, os_reason
    from pilkada_cli.base.i18n import _
    from pilkada_cli.base.safefile import publish

    before = _text(root / ".pilkada" / MARK)
    state = root / ".pilkada" / "copies" / key
    try:
        state.mkdir(parents=True, exist_ok=True)
        operator = _text(root / ".pilkada" / "copies" / str(before) / OPERATOR_FILE)
        if operator and not (state / OPERATOR_FILE).exists():
            publish(state / OPERATOR_FILE, (operator + "\n").encode("utf-8"))
        publish(state / ORIGIN_FILE, (origin + "\n").encode("ascii"))
    except OSError as e:
        raise StorageError(_("cannot create origin id file {path}: {reason}").format(
            path=state / ORIGIN_FILE, reason=os_reason(e))) from e


def _settle(root: Path, key: str, origin: str, home: Path) -> None:
    """Note where this copy is: its PC and path, that the folder was last opened as this copy,
    and (in the user's data folder) that this folder holds ``origin`` on this PC. Best effort:
    without them a later move starts a new origin, as a copy does."""
    import contextlib

    host, path = _place(root)
    state = root / ".pilkada"
    with contextlib.suppress(OSError):
        if _text(state / "copies" / key / WHERE) != f"{host}\n{path}":
            _replace(state / "copies" / key / WHERE, f"{host}\n{path}")
        if _text(state / MARK) != key:
            _replace(state / MARK, key)
        if _text(home / CLAIMS / origin) != f"{host}\n{key}\n{path}":
            (home / CLAIMS).mkdir(parents=True, exist_ok=True)
            _replace(home / CLAIMS / origin, f"{host}\n{key}\n{path}")


def _text(path: Path) -> str | None:
    """A small state file's text, stripped; None if it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _replace(path: Path, text: str) -> None:
    from pilkada_cli.base.safefile import replace_atomic

    replace_atomic(path, (text + "\n").encode("utf-8"))


def copy_operator(root: Path) -> str | None:
    """The operator name this copy was given (`init --operator`), or None: then the shared
    ``operator:`` of pilkada.yaml is only a fallback. Kept beside the origin id, never in the
    shared file, so one office's name is never put on another office's records. A folder
    moved here has the name it had where it was (workspace_origin keeps it under the new key)."""
    try:
        text = (copy_dir(root) / OPERATOR_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if not (copy_dir(root) / ORIGIN_FILE).exists() and current_origin(root) is not None:
            before = _text(Path(root) / ".pilkada" / MARK)  # moved here: the same copy's name
            return _text(Path(root) / ".pilkada" / "copies" / str(before) / OPERATOR_FILE)
        return None
    except (OSError, UnicodeDecodeError) as e:
        from pilkada_cli.base.errors import StorageError, os_reason
        from pilkada_cli.base.i18n import _

        raise StorageError(_("cannot read the operator name from {path}: {reason}").format(
            path=copy_dir(root) / OPERATOR_FILE,
            reason=os_reason(e) if isinstance(e, OSError) else e)) from e
    return text or None


def set_copy_operator(root: Path, name: str) -> None:
    """Keep ``name`` as this copy's operator (durably, replacing any earlier one)."""
    from pilkada_cli.base.errors import StorageError, os_reason
    from pilkada_cli.base.i18n import _
    from pilkada_cli.base.safefile import replace_atomic

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
    from pilkada_cli.base.errors import PilkadaError
    from pilkada_cli.domain.events import recorded_now
    from pilkada_cli.storage.conflicts import note_received
    from pilkada_cli.storage.journal import Journal

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
    from pilkada_cli.base.safefile import create_new, publish

    try:
        create_new(home / LEGACY_MARK, (copy_key(root) + "\n").encode("ascii"))
    except OSError:
        return  # another copy kept it (or the folder is read-only): a new origin here
    try:
        state.mkdir(parents=True, exist_ok=True)
        publish(state / ORIGIN_FILE, (old + "\n").encode("ascii"))
    except OSError:
        return
