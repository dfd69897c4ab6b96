"""What sharing records between offices does besides moving them, for ``export``, ``import``,
``sync`` and ``init --git`` alike: this workspace copy's origin, its claim of which office it
belongs to, and its note of what it holds once it has received other offices' events."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import StorageError, os_reason
from pilkada_cli.base.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.domain.keys import OfficeKey


def own_origin(root: Path) -> str:
    """The origin id of the workspace copy at ``root`` (copyorigins.py), made on first use."""
    from pilkada_cli.app.copyorigins import workspace_origin
    from pilkada_cli.domain.workspace import user_home

    return workspace_origin(root, user_home())


def publish_own_claim(root: Path, records: Path, office: str, key: OfficeKey | None) -> bytes:
    """Write (if changed) and return the claim of the copy at ``root`` that it belongs to
    ``office`` (signed with ``key``, if there is one)."""
    from pilkada_cli.domain import claims
    from pilkada_cli.storage import claimfiles

    origin = own_origin(root)
    data = claims.claim(origin, office, key)
    claimfiles.store(records, origin, data)
    return data


def note_received(records: Path) -> None:
    """This workspace copy just received events: note what it now holds (conflicts.py)."""
    from pilkada_cli.domain.events import recorded_now
    from pilkada_cli.storage import conflicts
    from pilkada_cli.storage.journal import Journal

    try:
        conflicts.note_received(records, own_origin(records.parent),
                                Journal(records).read().events, recorded_now())
    except OSError as e:
        raise StorageError(_("cannot write {path}: {reason}").format(
            path=f"records/{conflicts.FOLDER}/", reason=os_reason(e))) from e
