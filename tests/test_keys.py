"""Office keys sign and verify plain RFC 8032 Ed25519: a key file and a signed bundle made by an
earlier pilkada (which signed with PyCA's cryptography) read and verify the same way now."""

from __future__ import annotations

import base64
from pathlib import Path

from pilkada_cli.domain import keys

# RFC 8032, section 7.1, TEST 2: the private key (the 32-byte seed), its public key, a one-byte
# message and the signature every conforming Ed25519 implementation makes of it.
SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
MESSAGE = bytes.fromhex("72")
SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_folder(home: Path, seed: bytes) -> None:
    """A key folder as ``pilkada keys init`` writes it (base64 of the raw seed, office.json)."""
    folder = keys.keys_dir(home)
    folder.mkdir(parents=True)
    (folder / keys.KEY_FILE).write_text(b64(seed) + "\n", encoding="ascii")
    (folder / keys.INFO_FILE).write_text('{"office": "oi"}\n', encoding="utf-8")


def test_a_key_file_signs_as_rfc_8032_says(tmp_path: Path) -> None:
    key_folder(tmp_path, SEED)
    key = keys.load(tmp_path)
    assert key is not None
    assert key.public == "ed25519:" + b64(PUBLIC)
    assert key.sign(MESSAGE) == b64(SIGNATURE)


def test_the_rfc_8032_signature_verifies_and_a_changed_one_does_not() -> None:
    public = "ed25519:" + b64(PUBLIC)
    assert keys.verify(public, b64(SIGNATURE), MESSAGE) is True
    assert keys.verify(public, b64(SIGNATURE), b"\x73") is False
    flipped = bytes([SIGNATURE[0] ^ 1]) + SIGNATURE[1:]
    assert keys.verify(public, b64(flipped), MESSAGE) is False
    assert keys.verify(public, b64(SIGNATURE[:63]), MESSAGE) is False
    assert keys.verify(public, b64(SIGNATURE + b"\0"), MESSAGE) is False
    assert keys.verify(public, "not base64!", MESSAGE) is False
    assert keys.verify("ed25519:" + b64(PUBLIC[:31]), b64(SIGNATURE), MESSAGE) is False
    assert keys.verify("rsa:" + b64(PUBLIC), b64(SIGNATURE), MESSAGE) is False


def test_a_new_key_signs_what_its_public_key_verifies(tmp_path: Path) -> None:
    key = keys.create(tmp_path / "home", "oi", None)
    raw = base64.b64decode((keys.keys_dir(tmp_path / "home") / keys.KEY_FILE).read_text())
    assert len(raw) == 32
    assert keys.load(tmp_path / "home") == key
    signature = key.sign(b"records")
    assert len(base64.b64decode(signature)) == 64
    assert keys.verify(key.public, signature, b"records") is True
    assert keys.verify(key.public, signature, b"records!") is False
