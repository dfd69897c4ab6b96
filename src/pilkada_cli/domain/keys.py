"""An office's Ed25519 key pair, and signatures made and checked with it.

The private key lives in the user data folder (``<PILKADA_HOME>/keys/office.key``, mode 0600 in a
0700 folder), never in a workspace: a workspace is copied, synced and sent around, a key must
not be. Public keys are written ``ed25519:<base64 of the 32 raw bytes>`` so that they can be
pasted into ``pilkada.yaml`` (``offices:``) and compared as text.

The library is PyNaCl (PyCA's binding of libsodium): wheels for Windows and Linux with nothing
to compile, Ed25519 as its signing API, 4 MB installed. PyCA's ``cryptography`` does the same
job but weighs 16 MB, nearly all of it the OpenSSL it bundles, whose frequent security releases
are for TLS and certificate parsing that pilkada never uses (docs/architecture.md,
"Dependencies"). Keys and signatures are plain RFC 8032 Ed25519 (a 32-byte seed, 64-byte
signatures), so the key files and signed bundles made with either read with the other. It is
imported only by the commands that sign or verify, so every other command starts as fast.
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

from pilkada_cli.base.errors import InputError, StorageError, os_reason
from pilkada_cli.base.i18n import _

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
        from nacl.signing import SigningKey

        signature = SigningKey(self._private).sign(data).signature
        return base64.b64encode(signature).decode("ascii")


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
    from nacl.exceptions import CryptoError
    from nacl.signing import VerifyKey

    raw = parse_public(public)
    if raw is None:
        return False
    try:
        sig = base64.b64decode(signature, validate=True)
        if len(sig) != 64:
            return False
        VerifyKey(raw).verify(data, sig)
    except (CryptoError, binascii.Error, ValueError, TypeError):
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
    from nacl.signing import SigningKey

    pub = bytes(SigningKey(private).verify_key)
    return PREFIX + base64.b64encode(pub).decode("ascii")


def create(home: Path, office: str, workspace_root: Path | None, force: bool = False) -> OfficeKey:
    """Make a new key pair for ``office`` in ``home``; refuses to replace one unless ``force``
    (a new key is no longer the one other offices trust)."""
    from nacl.signing import SigningKey

    folder = keys_dir(home)
    if workspace_root is not None and _inside(folder, workspace_root):
        raise InputError(_("the user data folder {path} is inside the workspace; a private key "
                           "must never be stored in a workspace (set PILKADA_HOME elsewhere)")
                         .format(path=folder))
    if (folder / KEY_FILE).exists() and not force:
        raise InputError(_("an office key already exists in {path}; other offices trust that "
                           "one. Use --force only to replace it (they must then trust the new "
                           "key)").format(path=folder))
    raw = bytes(SigningKey.generate())  # the 32-byte seed: RFC 8032's private key
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
    from pilkada_cli.base.safefile import replace_atomic

    replace_atomic(path, data, mode=0o600)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
