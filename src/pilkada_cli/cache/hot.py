"""The columns of the record files a refold just read (``hot.pkl``), so that the next refold
of the same region parses only the lines added since (columns.extended): a region that changed
is the likeliest to change next, and its files grow all cycle long. Kept for the files of at
most ``REGIONS`` regions. A file whose signature is the one kept, and was not racy when it was
kept (entries.racy), is unchanged: its columns are used as they are (the rule of every other
entry). Any other is read from where the kept bytes end, after they are checked
(``extended``)."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.cache import entries

if TYPE_CHECKING:
    from pilkada_cli.cache.columns import FileColumns
    from pilkada_cli.recordfile import RecordFile, Sig

NAME = entries.kind("hot.pkl", __name__)
REGIONS = 16


class Hot:
    """``hot.pkl`` of a cache folder, read when first asked."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self._files: dict[str, Any] | None = None
        self._written = 0

    def unchanged(self, prev: FileColumns, sig: Sig | None) -> bool:
        """Whether a file whose columns ``get`` gave as ``prev`` is unchanged since (``sig``:
        its signature now)."""
        return sig is not None and prev.sig == sig and not entries.racy(sig, self._written)

    def get(self, shown: str) -> FileColumns | None:
        """The kept columns of a file (as shown: records/<region>/<origin>.jsonl), if any."""
        if self._files is None:
            found = entries.read(self.where / NAME)
            self._files = {}
            if (found is not None and found.get("code") == entries.code_key()
                    and type(found.get("files")) is dict and type(found.get("written")) is int):
                self._files, self._written = found["files"], found["written"]
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
        entries.write(self.where / NAME, {"code": entries.code_key(), "files": kept,
                                          "written": time.time_ns()})
