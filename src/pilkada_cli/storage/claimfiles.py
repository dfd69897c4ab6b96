"""The origins' claims of which office they belong to (claims.py), read from and written to
``records/origins/<origin>.json``.

The file travels with the records (git sync, and inside bundles), so every office that has an
event also has its claim. Only the origin itself writes its file (one writer, like the record
files); an importer stores the copy that came with a bundle only where trust.py allows it, and
the name shown for an origin is the receiver's (trust.office_names).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pilkada_cli.domain.claims import MAX_BYTES, Sender, parse
from pilkada_cli.domain.events import ORIGIN_RE

FOLDER = "origins"


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
            data = path.read_bytes()[:MAX_BYTES + 1]
        except OSError:
            continue
        sender = parse(origin, data)
        if sender is not None:
            out[origin] = sender
    return out


def store(records: Path, origin: str, data: bytes) -> bool:
    """Write ``origin``'s claim unless the same bytes are there; True if written. Atomic;
    StorageError if it cannot be written."""
    from pilkada_cli.storage.reportfiles import write_atomic

    if not ORIGIN_RE.fullmatch(origin):
        raise ValueError(origin)
    path = records / FOLDER / f"{origin}.json"
    with contextlib.suppress(OSError):
        if not path.is_symlink() and path.read_bytes() == data:
            return False
    write_atomic(path, data)
    return True
