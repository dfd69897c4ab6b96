"""Where cycles are: the shipped ones (inside the package) and user folders."""

from __future__ import annotations

from pathlib import Path

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.checklist import CYCLE_FILE, Cycle, load_cycle


def shipped_dir() -> Path:
    """The folder of the shipped cycles.

    A built wheel carries them as ``pilkada_cli/checklists``; an editable install or a source
    checkout reads the repository's ``checklists/`` folder, the source of truth.
    """
    inside = Path(__file__).parents[1] / "checklists"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[3] / "checklists"


def shipped_cycles() -> list[Path]:
    """Every shipped cycle folder, by name."""
    root = shipped_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / CYCLE_FILE).is_file())


def resolve_cycle(ref: str, base: Path | None = None) -> Path:
    """A cycle folder from a shipped id (``pilkada-2024``) or a path (relative to ``base``)."""
    looks_like_path = any(sep in ref for sep in ("/", "\\")) or ref.startswith(".")
    if not looks_like_path:
        for folder in shipped_cycles():
            if folder.name == ref:
                return folder
    candidate = Path(ref).expanduser()
    if not candidate.is_absolute() and base is not None:
        candidate = base / candidate
    if (candidate / CYCLE_FILE).is_file():
        return candidate
    if candidate.name == CYCLE_FILE and candidate.is_file():
        return candidate.parent
    known = ", ".join(p.name for p in shipped_cycles())
    raise InputError(_("unknown cycle '{ref}'; shipped cycles: {known}").format(
        ref=ref, known=known))


def open_cycle(ref: str, base: Path | None = None) -> Cycle:
    """Resolve and load a cycle."""
    return load_cycle(resolve_cycle(ref, base))


def shipped_list() -> list[Cycle]:
    """Every shipped cycle, loaded (a broken one is left out: ``validate`` reports it)."""
    from pilkada_cli.base.errors import ValidationError

    out = []
    for folder in shipped_cycles():
        try:
            out.append(load_cycle(folder))
        except ValidationError:
            continue
    return out
