"""Readers of one record file's events by their lines' byte offsets, made when a view asks
for an event (the latest of a region, a conflict's sides): a restored readiness (folds.py) keeps
no events, only where each is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pilkada_cli.domain.chunks import EventLoader

if TYPE_CHECKING:
    from pilkada_cli.domain.events import Event
    from pilkada_cli.storage.journal import Journal


class Loader:
    """Reads one event of a record file by its line's byte offset, when a view asks for it."""

    def __init__(self, journal: Journal, region: str, origin: str) -> None:
        self.journal, self.region, self.origin = journal, region, origin

    def __call__(self, offset: int) -> Event:
        return self.many([offset])[0]

    def many(self, offsets: Sequence[int]) -> list[Event]:
        """Several events of the file, opened once."""
        from pilkada_cli.base.errors import StorageError
        from pilkada_cli.base.i18n import _

        try:
            return self.journal.events_at(self.region, self.origin, offsets)
        except (OSError, ValueError) as e:
            raise StorageError(_("the record files changed while being read ({reason}); run "
                                 "the command again").format(reason=e)) from None


class Loaders(list[EventLoader]):
    """One loader per record file, created when first asked for (a national workspace has
    tens of thousands of files; a view reads a few)."""

    def __init__(self, journal: Journal, sources: Sequence[tuple[str, str]]) -> None:
        super().__init__([None] * len(sources))  # type: ignore[list-item]
        self._journal = journal
        self._sources = sources

    def __getitem__(self, i: Any) -> Any:
        found = super().__getitem__(i)
        if found is None:
            region, origin = self._sources[i]
            found = Loader(self._journal, region, origin)
            self[i] = found
        return found
