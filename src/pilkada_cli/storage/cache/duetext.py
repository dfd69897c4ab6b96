"""``due``'s plain text kept per region (``duetext-<context>-<dates>-<key>.pkl``, beside the
fold entry it goes with): render/duetext.py's pieces.

A region's piece is used while the region keeps its fold stamp (folds.Kept: the same pairs, set
by the same events) and its as-of day; the entry's key holds the rest its text depends on: the
list's root and options, the language and the code; the widths the rows are padded to; and,
for pieces that show a conflict, the office names (claimfiles.py) as one digest.

An entry is written when many regions were rendered again (or none was kept): after one
recorded event the next runs render that one region again (a few milliseconds) rather than
rewrite ~14 MB each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pilkada_cli.storage.cache import entries

if TYPE_CHECKING:
    from pilkada_cli.domain.readiness import Readiness

KEEP = 6
entries.kind("duetext-*.pkl", __name__)
WRITE_AT = 16  # regions rendered again in one run before the entry is written again


def code() -> str:
    """The signature of the code (and the words) the entries were made with."""
    return entries.code_key()


def path_of(r: Readiness, key: str) -> Any:
    """Where the entry of ``r``'s fold and this key is kept; None without a fold's stamps."""
    kept = r.kept
    if kept is None:
        return None
    name = kept.name.removeprefix("fold-").removesuffix(".pkl")
    return kept.where / f"duetext-{name}-{key[:16]}.pkl"


def read(r: Readiness, key: str) -> dict[str, Any] | None:
    """The entry for ``key`` (code and options), if there is a usable one."""
    path = path_of(r, key)
    if path is None:
        return None
    found = entries.read(path)
    if (found is None or found.get("key") != key or found.get("code") != code()
            or type(found.get("pieces")) is not dict or type(found.get("widths")) is not tuple):
        return None
    return found


def kept_pieces(r: Readiness, found: dict[str, Any] | None, codes: list[str],
                load: Callable[[object], Any]) -> dict[str, Any]:
    """The kept pieces of ``codes`` still valid (stamp and as-of day as now), loaded."""
    if found is None or r.kept is None:
        return {}
    stamp, results = r.kept.stamp, r.results
    pieces: dict[str, Any] = found["pieces"]
    out: dict[str, Any] = {}
    for region in codes:
        kept = pieces.get(region)
        if (type(kept) is tuple and len(kept) == 3 and kept[0] == stamp(region)
                and kept[1] == results[region].d.toordinal()):
            piece = load(kept[2])
            if piece is not None:
                out[region] = piece
    return out


def write(r: Readiness, key: str, found: dict[str, Any] | None, made: dict[str, Any],
          widths: tuple[int, ...], offices: str | None, stored: Callable[[Any], object],
          every: dict[str, Any]) -> None:
    """Keep the pieces: ``every`` (all of them, padded to ``widths``) when there was no usable
    entry or the widths changed; else the kept ones with ``made`` replaced, if that many."""
    path = path_of(r, key)
    if path is None or r.kept is None or not made:
        return
    fresh = found is None or found["widths"] != widths or found.get("offices") != offices
    if not fresh and len(made) < WRITE_AT:
        return
    stamp, results = r.kept.stamp, r.results
    pieces: dict[str, Any] = {} if fresh or found is None else dict(found["pieces"])
    for region, piece in (every if fresh else made).items():
        pieces[region] = (stamp(region), results[region].d.toordinal(), stored(piece))
    entries.write(path, {"key": key, "code": code(), "widths": widths,
                         "offices": offices, "pieces": pieces})
    entries.prune(path.parent, "duetext-*.pkl", KEEP)
