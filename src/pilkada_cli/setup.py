"""Building a new workspace's configuration from what the user typed."""

from __future__ import annotations

import os
from pathlib import Path

from pilkada_cli.checklist import load_cycle
from pilkada_cli.cycles import resolve_cycle, shipped_dir
from pilkada_cli.errors import InputError
from pilkada_cli.i18n import LANGUAGES, _
from pilkada_cli.regions import DEPTHS, RegionIndex, depth_of_level
from pilkada_cli.tagsets import known_tags
from pilkada_cli.workspace import Config


def new_workspace_config(regions: RegionIndex, region: str, depth: str, cycle: str,
                         folder: Path, operator: str | None, language: str) -> Config:
    """A validated config for ``pilkada init``; the cycle is loaded to prove it is valid."""
    root = regions.resolve(region)
    if depth not in DEPTHS:
        raise InputError(_("unknown depth '{depth}'; expected one of: {depths}").format(
            depth=depth, depths=", ".join(DEPTHS)))
    if depth_of_level(depth) <= root.depth:
        raise InputError(_("depth '{depth}' must be below the root region's level ({level})")
                         .format(depth=depth, level=root.level))
    if language not in LANGUAGES:
        raise InputError(_("unknown language '{lang}'; use id or en").format(lang=language))
    cycle_dir = resolve_cycle(cycle, Path.cwd())
    loaded = load_cycle(cycle_dir)
    # A path is stored relative to the workspace so the folder can be moved or shared.
    shipped = cycle_dir.resolve().parent == shipped_dir().resolve()
    ref = loaded.id if shipped else _relative(cycle_dir, folder)
    known, note = known_tags(root.code)
    # Keep only the tags this cycle knows (a custom cycle may not use sengketa-mk, say).
    tags = {code: t & set(loaded.tags) for code, t in known.items() if t & set(loaded.tags)}
    return Config(cycle=ref, region=root.code, depth=depth, tags=tags, operator=operator,
                  language=language, tags_note=note if loaded.tags else ())


def _relative(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
