"""Which office each origin (a workspace copy on one PC) belongs to: shown as "From" in `log`.

Each origin states its office in ``records/origins/<origin>.json``, signed with the office key
when it has one::

    {"key": "ed25519:…" or null, "office": "Kabupaten Ogan Ilir", "origin": "pc-a1b2c3d4",
     "sig": "<base64 Ed25519 of the same object without sig>" or null, "v": 1}

The file travels with the records (git sync, and inside bundles), so every office that has an
event also knows who recorded it, and `pilkada log` reads the same everywhere. Only the origin
itself writes its file (one writer, like the record files); an importer stores the copy that
came with a verified bundle.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.events import ORIGIN_RE

if TYPE_CHECKING:
    from pilkada_cli.keys import OfficeKey

FOLDER = "origins"
_MAX_BYTES = 4096


@dataclass(frozen=True)
class Sender:
    """An origin's office, and whether its claim is signed (and verified) by ``key``."""

    origin: str
    office: str
    key: str | None
    signed: bool


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
    if len(data) > _MAX_BYTES:
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
        return Sender(origin, body["office"], None, False)
    if not isinstance(key, str) or not isinstance(sig, str):
        return None
    from pilkada_cli.keys import verify

    if not verify(key, sig, _canonical(body)):
        return None
    return Sender(origin, body["office"], key, True)


def load(records: Path) -> dict[str, Sender]:
    """Every readable claim under ``records/origins`` (bad ones are left out)."""
    folder = records / FOLDER
    out: dict[str, Sender] = {}
    try:
        names = sorted(os.listdir(folder))  # noqa: PTH208 (names only: thousands of files)
    except OSError:
        return out
    for name in names:
        origin = name[:-5]
        if not name.endswith(".json") or not ORIGIN_RE.fullmatch(origin):
            continue
        path = folder / name
        if path.is_symlink():
            continue
        try:
            data = path.read_bytes()[:_MAX_BYTES + 1]
        except OSError:
            continue
        sender = parse(origin, data)
        if sender is not None:
            out[origin] = sender
    return out


def store(records: Path, origin: str, data: bytes) -> bool:
    """Write ``origin``'s claim unless the same bytes are there; True if written. Atomic;
    StorageError if it cannot be written."""
    from pilkada_cli.report.output import write_atomic

    if not ORIGIN_RE.fullmatch(origin):
        raise ValueError(origin)
    path = records / FOLDER / f"{origin}.json"
    with contextlib.suppress(OSError):
        if not path.is_symlink() and path.read_bytes() == data:
            return False
    write_atomic(path, data)
    return True
