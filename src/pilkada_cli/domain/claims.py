"""An origin's claim of which office it belongs to: its bytes, and their check (pure).

Each origin (a workspace copy on one PC) states its office in ``records/origins/<origin>.json``,
signed with the office key when it has one::

    {"key": "ed25519:…" or null, "office": "Kabupaten Ogan Ilir", "origin": "pc-a1b2c3d4",
     "sig": "<base64 Ed25519 of the same object without sig>" or null, "v": 1}

A claim proves only that the holder of ``key`` made it; which office that key is, and whether
a claim may be stored at all, is decided by the receiver (trust.py). Reading and writing the
files is claimfiles.py's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pilkada_cli.domain.keys import OfficeKey

MAX_BYTES = 4096


@dataclass(frozen=True)
class Sender:
    """An origin's office as its claim says, and whether the claim is signed (and verified)
    by ``key``; ``data`` the claim's bytes (two claims are the same claim when these are)."""

    origin: str
    office: str
    key: str | None
    signed: bool
    data: bytes = field(default=b"", compare=False, repr=False)


def claim(origin: str, office: str, key: OfficeKey | None) -> bytes:
    """The bytes of ``origin``'s claim to belong to ``office`` (signed when ``key`` is given)."""
    body: dict[str, Any] = {"v": 1, "origin": origin, "office": office,
                            "key": key.public if key else None}
    body["sig"] = key.sign(_canonical(body)) if key else None
    return (json.dumps(body, ensure_ascii=True, sort_keys=True) + "\n").encode("ascii")


def _canonical(body: dict[str, Any]) -> bytes:
    rest = {k: v for k, v in body.items() if k != "sig"}
    return json.dumps(rest, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()


def parse(origin: str, data: bytes) -> Sender | None:
    """The claim in ``data`` if it is well formed, about ``origin``, and its signature (if
    any) verifies; else None."""
    if len(data) > MAX_BYTES:
        return None
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if (not isinstance(body, dict) or set(body) != {"v", "origin", "office", "key", "sig"}
            or body["v"] != 1 or body["origin"] != origin or not isinstance(body["office"], str)
            or not body["office"].strip() or len(body["office"]) > 200
            or not body["office"].isprintable()):
        return None
    key, sig = body["key"], body["sig"]
    if key is None and sig is None:
        return Sender(origin, body["office"], None, False, data)
    if not isinstance(key, str) or not isinstance(sig, str):
        return None
    from pilkada_cli.domain.keys import verify

    if not verify(key, sig, _canonical(body)):
        return None
    return Sender(origin, body["office"], key, True, data)
