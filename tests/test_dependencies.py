"""Every runtime dependency is justified in docs/architecture.md ("Dependencies"), and the
footprint the README states is measured by tools/footprint.py."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import lowest_constraints

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _table() -> dict[str, list[str]]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Dependencies\n", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| ")]
    return {_key(name.strip()): row for row in rows[1:] for name in row[0].split(",")}


def test_each_runtime_dependency_has_a_row_saying_why() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    table = _table()
    for requirement in data["project"]["dependencies"]:
        name, _ = lowest_constraints.floor(requirement)
        assert _key(name) in table, f"{name}: no row in docs/architecture.md, Dependencies"
        assert "pilkada" in table[_key(name)][2], name  # brought in by pilkada itself
    # what a dependency brings that weighs as much is named too, with what brings it
    assert table["pygments"][2] == "rich" and table["pydantic"][2] == "typer"
    assert "cryptography" not in table


def test_footprint_lists_each_distribution_largest_first_with_the_total() -> None:
    run = subprocess.run([sys.executable, str(REPO / "tools" / "footprint.py")],
                         capture_output=True, text=True, check=True)
    *rows, total = run.stdout.splitlines()
    found = [re.fullmatch(r" *([0-9.]+) MB  (\S+) (\S+)", row) for row in rows]
    assert all(found), rows
    sizes = [float(m[1]) for m in found if m]
    names = {_key(m[2]) for m in found if m}
    assert sizes == sorted(sizes, reverse=True)
    assert "pilkada-cli" in names and "pytest" in names and "pip" not in names
    counted = re.fullmatch(r" *([0-9.]+) MB  in all \(([0-9]+) distributions, Python 3\.\d+\)",
                           total)
    assert counted is not None, total
    assert int(counted[2]) == len(rows)
    assert abs(float(counted[1]) - sum(sizes)) <= 0.05 * len(rows) + 0.1
