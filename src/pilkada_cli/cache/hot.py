"""The columns of the record files a refold just read (``hot.pkl``), so that the next refold
of the same region parses only the lines added since (columns.extended): a region that changed
is the likeliest to change next, and its files grow all cycle long. Kept for the files of at
most ``REGIONS`` regions; never trusted by signature (``extended`` checks the bytes)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.cache import entries

if TYPE_CHECKING:
    from pilkada_cli.cache.columns import FileColumns
    from pilkada_cli.recordfile import RecordFile

NAME = "hot.pkl"
REGIONS = 16


class Hot:
    """``hot.pkl`` of a cache folder, read when first asked."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self._files: dict[str, Any] | None = None

    def get(self, shown: str) -> FileColumns | None:
        """The kept columns of a file (as shown: records/<region>/<origin>.jsonl), if any."""
        if self._files is None:
            found = entries.read(self.where / NAME)
            self._files = (found["files"] if found is not None and found.get("code")
                           == entries.code_key() and type(found.get("files")) is dict else {})
        kept = self._files.get(shown)
        if kept is None:
            return None
        from pilkada_cli.cache.columns import FileColumns

        try:
            return FileColumns.from_stored(kept)
        except (KeyError, TypeError, ValueError):
            return None  # a damaged entry: the file is read whole

    def keep(self, files: Sequence[RecordFile], cols: Mapping[str, FileColumns],
             regions: Collection[str]) -> None:
        """Keep the columns read this run of the files of ``regions`` (the ones just folded
        again), if they are few."""
        if not regions or len(regions) > REGIONS:
            return
        kept = {f.shown: cols[f.shown].stored() for f in files
                if f.region in regions and f.shown in cols}
        entries.write(self.where / NAME, {"code": entries.code_key(), "files": kept})
