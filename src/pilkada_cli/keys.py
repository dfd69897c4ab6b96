"""An office's Ed25519 key pair, and signatures made and checked with it.

The private key lives in the user data folder (``<PILKADA_HOME>/keys/office.key``, mode 0600 in a
0700 folder), never in a workspace: a workspace is copied, synced and sent around, a key must
not be. Public keys are written ``ed25519:<base64 of the 32 raw bytes>`` so that they can be
pasted into ``pilkada.yaml`` (``offices:``) and compared as text.

The library is ``cryptography`` (PyCA): maintained with frequent security releases, wheels for
Windows and Linux with nothing to compile, Ed25519 in its stable API; PyNaCl (also PyCA) would
do the same job but is released far less often. It is imported only by the commands that sign
or verify, so every other command starts as fast as before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilkada_cli.errors import InputError, StorageError, os_reason
from pilkada_cli.i18n import _

PREFIX = "ed25519:"
KEY_FILE = "office.key"
INFO_FILE = "office.json"
_POSIX = os.name == "posix"


@dataclass(frozen=True)
class OfficeKey:
    """This user's office identity: its name and key pair (the private part stays here)."""

    office: str
    public: str  # ed25519:...
    _private: bytes  # raw 32 bytes

    def sign(self, data: bytes) -> str:
        """A base64 Ed25519 signature of ``data``."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.from_private_bytes(self._private)
        return base64.b64encode(key.sign(data)).decode("ascii")


def keys_dir(home: Path) -> Path:
    """Where the office key is kept in a user data folder."""
    return home / "keys"


def fingerprint(public: str) -> str:
    """A short, stable name for a public key: 16 hex chars of its SHA-256 (for messages)."""
    return hashlib.sha256(public.encode("ascii", "replace")).hexdigest()[:16]


def parse_public(text: str) -> bytes | None:
    """The 32 raw bytes of a ``ed25519:...`` public key, or None if it is not one."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        return None
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def verify(public: str, signature: str, data: bytes) -> bool:
    """Whether ``signature`` (base64) is ``public``'s Ed25519 signature of ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = parse_public(public)
    if raw is None:
        return False
    try:
        sig = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, data)
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


def load(home: Path) -> OfficeKey | None:
    """This user's office key, or None if ``pilkada keys init`` was never run.

    Raises StorageError when the files exist but cannot be read or are damaged."""
    folder = keys_dir(home)
    key_path, info_path = folder / KEY_FILE, folder / INFO_FILE
    if not key_path.exists():
        return None
    try:
        raw = base64.b64decode(key_path.read_text(encoding="ascii").strip(), validate=True)
        info = json.loads(info_path.read_text(encoding="utf-8"))
        office = info["office"]
        if len(raw) != 32 or not isinstance(office, str) or not office:
            raise ValueError
    except OSError as e:
        raise StorageError(_("cannot read the office key in {path}: {reason}").format(
            path=folder, reason=os_reason(e))) from e
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise StorageError(_("the office key in {path} is damaged; move the folder away and "
                             "run `pilkada keys init` again").format(path=folder)) from None
    return OfficeKey(office, _public_of(raw), raw)


def _public_of(private: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pub = Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    return PREFIX + base64.b64encode(pub).decode("ascii")


def create(home: Path, office: str, workspace_root: Path | None, force: bool = False) -> OfficeKey:
    """Make a new key pair for ``office`` in ``home``; refuses to replace one unless ``force``
    (a new key is no longer the one other offices trust)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    folder = keys_dir(home)
    if workspace_root is not None and _inside(folder, workspace_root):
        raise InputError(_("the user data folder {path} is inside the workspace; a private key "
                           "must never be stored in a workspace (set PILKADA_HOME elsewhere)")
                         .format(path=folder))
    if (folder / KEY_FILE).exists() and not force:
        raise InputError(_("an office key already exists in {path}; other offices trust that "
                           "one. Use --force only to replace it (they must then trust the new "
                           "key)").format(path=folder))
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                      NoEncryption())
    key = OfficeKey(office, _public_of(raw), raw)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _POSIX:
            folder.chmod(0o700)
        _write_private(folder / KEY_FILE, base64.b64encode(raw) + b"\n")
        info: dict[str, Any] = {"office": office, "key": key.public}
        _write_private(folder / INFO_FILE,
                       (json.dumps(info, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as e:
        raise StorageError(_("cannot write the office key in {path}: {reason}").format(
            path=folder, reason=os_reason(e))) from e
    return key


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable by this user only, replacing it atomically."""
    from pilkada_cli.safefile import replace_atomic

    replace_atomic(path, data, mode=0o600)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
