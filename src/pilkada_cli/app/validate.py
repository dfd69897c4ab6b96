"""``pilkada validate``: check cycles and workspace configs, collecting every problem."""

from __future__ import annotations

from pathlib import Path

from pilkada_cli.base.errors import InputError, Problem, ValidationError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.checklist import CYCLE_FILE, Cycle, load_cycle
from pilkada_cli.domain.cycles import resolve_cycle, shipped_cycles
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.workspace import CONFIG_FILE, find_workspace, load_config, unknown_tags


def validate_paths(paths: list[Path], workspace: Path | None) -> list[str]:
    """Validate each path (or, with none, the workspace and every shipped cycle).

    Returns one line per thing checked; raises ValidationError listing every problem.
    """
    problems: list[Problem] = []
    checked: list[str] = []
    targets: list[tuple[str, Path]] = [_classify(p, problems) for p in paths]
    if not paths:
        ws = find_workspace(workspace)
        if ws.config_path is not None:
            targets.append(("workspace", ws.config_path))
        targets += [("cycle", folder) for folder in shipped_cycles()]
    seen: set[Path] = set()
    for kind, path in targets:
        if kind == "" or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            checked += _check(kind, path, seen, bool(paths))
        except ValidationError as e:
            problems.extend(e.problems)
        except InputError as e:
            problems.append(Problem(str(path), None, str(e)))
    if problems:
        raise ValidationError(problems)
    return checked


def _classify(path: Path, problems: list[Problem]) -> tuple[str, Path]:
    if path.is_dir():
        if (path / CYCLE_FILE).is_file():
            return "cycle", path
        if (path / CONFIG_FILE).is_file():
            return "workspace", path / CONFIG_FILE
    elif path.is_file():
        if path.name == CONFIG_FILE:
            return "workspace", path
        if (path.parent / CYCLE_FILE).is_file():
            return "cycle", path.parent
        problems.append(Problem(str(path), None, _(
            "not part of a cycle folder (no cycle.yaml beside it) and not a pilkada.yaml")))
        return "", path
    problems.append(Problem(str(path), None, _("no such file or folder, or nothing to check")))
    return "", path


def _check(kind: str, path: Path, seen: set[Path], named: bool) -> list[str]:
    if kind == "cycle":
        cycle = load_cycle(path)
        count = sum(len(s.items) for s in cycle.stages)
        return [_("{path}: cycle {id}, {stages} stages, {items} items").format(
            path=path, id=cycle.id, stages=len(cycle.stages), items=count),
            *absolute_dates(cycle, named)]
    regions = load_regions()
    config = load_config(path, regions)
    folder = resolve_cycle(config.cycle, path.parent)
    cycle = load_cycle(folder)
    seen.add(folder.resolve())
    unknown = unknown_tags(config, cycle.tags, cycle.id)
    if unknown:
        raise ValidationError(unknown)
    return [_("{path}: workspace for region {code}, cycle {id}").format(
        path=path, code=config.region, id=cycle.id)]


def absolute_dates(cycle: Cycle, listed: bool) -> list[str]:
    """How the cycle's dates are written: how many are absolute (an ISO date, which a cycle
    for another voting day must change by hand) and, when ``listed``, the lines of each file
    that hold one."""
    absolute = [d for d in cycle.dates if d.kind == "absolute"]
    out = [_("  {n} of {total} dates are absolute (YYYY-MM-DD); the others count from voting "
             "day (H±N) or a fiscal year (Y±N:MM-DD)").format(n=len(absolute),
                                                              total=len(cycle.dates))]
    if listed:
        by_file: dict[str, list[str]] = {}
        for d in absolute:
            by_file.setdefault(d.path, []).append(str(d.line))
        out += [_("  absolute at {file}: lines {lines}").format(file=file, lines=", ".join(lines))
                for file, lines in by_file.items()]
    return out
