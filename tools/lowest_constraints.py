"""The lowest versions pyproject.toml allows, as a pip constraints file (``name==floor``).

CI installs the package with these constraints into a second environment and runs the suite
there (.ci/run), so the floors in pyproject.toml are versions that were tested, not guesses.
Derived from pyproject.toml on every run, so it cannot drift from it.

What is pinned: every runtime dependency and every extra a user installs (``png``), each at
its ``>=`` floor. The ``test`` extra's own tools (pytest, ruff, mypy, Playwright, …) are left
to float: they are what the developers run, not what an office installs, and a runtime
dependency they share (Pillow) is pinned by the user extra that names it.

A runtime requirement without a ``>=`` floor, or with a form this script does not read, is an
error rather than something silently left out.

    python tools/lowest_constraints.py [pyproject.toml] > constraints.txt
    python tools/lowest_constraints.py --python [pyproject.toml]   # 3.10: requires-python's floor
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same reader from PyPI, where it is installed
    import tomli as tomllib  # type: ignore[no-redef]

# Extras that only the developers install: their tools float (see above).
DEVELOPER_EXTRAS = frozenset({"test"})

# name, optional [extras], then the specifiers; no environment markers are used (or read).
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)$")
_FLOOR = re.compile(r"^>=\s*(?P<version>[0-9][0-9A-Za-z.+!-]*)$")


def floor(requirement: str) -> tuple[str, str]:
    """``("typer", "0.20")`` for ``"typer>=0.20,<0.30"``; ValueError when there is no floor."""
    found = _REQUIREMENT.match(requirement)
    if found is None:
        raise ValueError(f"cannot read the requirement {requirement!r}")
    floors = [m["version"] for part in found["spec"].split(",")
              if (m := _FLOOR.match(part.strip()))]
    if len(floors) != 1:
        raise ValueError(f"{requirement!r} needs exactly one '>=' floor to be tested at")
    return found["name"], floors[0]


def constraints(pyproject: dict[str, object]) -> list[str]:
    """``name==floor`` for every runtime requirement and user extra, sorted, each once."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    requirements = list(project.get("dependencies", []))
    for extra, names in project.get("optional-dependencies", {}).items():
        if extra not in DEVELOPER_EXTRAS:
            requirements.extend(names)
    pins: dict[str, str] = {}
    for requirement in requirements:
        name, version = floor(requirement)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if pins.get(key, version) != version:
            raise ValueError(f"{name} has two different floors: {pins[key]} and {version}")
        pins[key] = version
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def oldest_python(pyproject: dict[str, object]) -> str:
    """``"3.10"`` for ``requires-python = ">=3.10"``: the Python the floors are tested on."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    found = _FLOOR.match(str(project.get("requires-python", "")).strip())
    if found is None or found["version"].count(".") != 1:
        raise ValueError("requires-python needs one '>=X.Y' floor to be tested at")
    return found["version"]


def main(argv: list[str]) -> int:
    args = argv[1:]
    python = "--python" in args
    path = Path(next((a for a in args if a != "--python"), "pyproject.toml"))
    with path.open("rb") as f:
        data = tomllib.load(f)
    try:
        lines = [oldest_python(data)] if python else constraints(data)
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
