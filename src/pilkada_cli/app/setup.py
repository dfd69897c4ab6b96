"""Building a new workspace's configuration, or a new cycle, from what the user typed."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from pilkada_cli.base.errors import InputError, Problem, StorageError, ValidationError
from pilkada_cli.base.i18n import LANGUAGES, _, format_date
from pilkada_cli.domain.checklist import CYCLE_FILE, Cycle, load_cycle, stage_files
from pilkada_cli.domain.cycles import resolve_cycle, shipped_dir
from pilkada_cli.domain.regions import DEPTHS, RegionIndex, depth_of_level
from pilkada_cli.domain.regiontags import known_tags
from pilkada_cli.domain.workspace import Config


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
    known, own, note = known_tags(root.code, loaded.voting_day)
    # Keep only the tags this cycle knows (a custom cycle may not use sengketa-mk, say).
    allowed = set(loaded.tags)
    tags = {code: t & allowed for code, t in known.items() if t & allowed}
    own_tags = {code: t & allowed for code, t in own.items() if t & allowed}
    return Config(cycle=ref, region=root.code, depth=depth, tags=tags, operator=operator,
                  language=language, tags_note=note if loaded.tags else (), own_tags=own_tags)


def _relative(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()


def new_cycle(target: Path, source: str, voting_day: str, cycle_id: str | None = None,
              name: str | None = None, name_en: str | None = None) -> Cycle:
    """``pilkada cycle new``: the cycle ``source`` (a shipped id or a folder) re-based on
    ``voting_day`` (rebase.py), checked as ``validate`` checks it, then written to ``target``
    (absent or empty) whole or not at all. A problem of the re-based cycle is an input error
    naming the source's file:line."""
    import shutil
    import tempfile

    from pilkada_cli.domain.fields import SLUG_RE, parse_iso_date
    from pilkada_cli.domain.rebase import rebase_texts

    day = parse_iso_date(voting_day)
    if day is None:
        raise InputError(_("'{value}' is not a date (YYYY-MM-DD)").format(value=voting_day))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(_("{path} is not an empty folder; a new cycle is written only into "
                           "a new or empty folder").format(path=target))
    new_id = cycle_id or target.resolve().name
    if not SLUG_RE.match(new_id):
        raise InputError(_("cycle '{id}' is not a valid id: use lowercase letters, digits and "
                           "'-' (give one with --id)").format(id=new_id))
    src_dir = resolve_cycle(source, Path.cwd())
    cycle = load_cycle(src_dir)
    files = [src_dir / CYCLE_FILE, *stage_files(src_dir)]
    texts = {p.name: p.read_text(encoding="utf-8") for p in files}
    rebased = rebase_texts(
        cycle, texts, day, new_id,
        # A cycle's name is written in Indonesian, as officials write checklists, and its
        # English name in English, whatever language this run speaks.
        name or f"{cycle.name} (pemungutan suara {format_date(day, 'id')})",
        name_en or (f"{cycle.name_en} (voting day {format_date(day, 'en')})"
                    if cycle.name_en else ""))
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{new_id}-", dir=parent))
    try:
        for file, text in rebased.items():
            (staging / file).write_text(text, encoding="utf-8", newline="\n")
        try:
            made = load_cycle(staging)
        except ValidationError as e:
            raise ValidationError([Problem(str(src_dir / Path(p.path).name), p.line, _(
                "re-based on {day}: {message}").format(day=day.isoformat(), message=p.message))
                for p in e.problems]) from None
        if target.exists():
            target.rmdir()  # empty (checked above): the staged folder takes its place whole
        staging.replace(target)
    except OSError as e:
        raise StorageError(_("cannot write the cycle to {path}: {reason}").format(
            path=target, reason=e.strerror or e)) from e
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return replace(made, path=str(target))
