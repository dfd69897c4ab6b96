"""The ranges in pyproject.toml are the ranges CI tests: tools/lowest_constraints.py turns every
runtime floor into a pin, and .ci/run runs the suite a second time with those pins on the oldest
Python requires-python allows."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import lowest_constraints

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def project(**fields: object) -> dict[str, object]:
    return {"project": {"requires-python": ">=3.10", **fields}}


def test_each_runtime_floor_and_user_extra_is_pinned_and_developer_tools_float() -> None:
    pins = lowest_constraints.constraints(project(
        dependencies=["typer>=0.26,<0.30", "PyYAML>=6.0.1", "Foo_Bar.baz >= 2.1"],
        **{"optional-dependencies": {"png": ["pillow>=10.1"],
                                     "test": ["pytest>=8", "types-PyYAML", "pillow>=10.1"]}}))
    assert pins == ["foo-bar-baz==2.1", "pillow==10.1", "pyyaml==6.0.1", "typer==0.26"]


@pytest.mark.parametrize(("requirement", "why"), [
    ("typer", "'typer' needs exactly one '>=' floor to be tested at"),
    ("typer<0.30", "'typer<0.30' needs exactly one '>=' floor to be tested at"),
    ("typer==0.26", "'typer==0.26' needs exactly one '>=' floor to be tested at"),
    ("typer>=0.26,>=0.27", "'typer>=0.26,>=0.27' needs exactly one '>=' floor to be tested at"),
    ("~typer", "cannot read the requirement '~typer'"),
])
def test_a_runtime_requirement_without_one_floor_is_refused(requirement: str, why: str) -> None:
    with pytest.raises(ValueError) as e:
        lowest_constraints.constraints(project(dependencies=[requirement]))
    assert str(e.value) == why


def test_two_floors_for_one_package_are_refused() -> None:
    with pytest.raises(ValueError) as e:
        lowest_constraints.constraints(project(
            dependencies=["pillow>=10.1"], **{"optional-dependencies": {"png": ["Pillow>=11"]}}))
    assert str(e.value) == "Pillow has two different floors: 10.1 and 11"


def test_the_real_pyproject_pins_every_runtime_dependency_at_its_floor() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    run = subprocess.run([sys.executable, str(REPO / "tools" / "lowest_constraints.py"),
                          str(REPO / "pyproject.toml")], capture_output=True, text=True,
                         check=True)
    pins = dict(line.split("==") for line in run.stdout.splitlines())
    wanted = list(data["project"]["dependencies"]) + [
        r for extra, rs in data["project"]["optional-dependencies"].items() if extra != "test"
        for r in rs]
    for requirement in wanted:
        name, floor = lowest_constraints.floor(requirement)
        assert pins[name.lower().replace("_", "-").replace(".", "-")] == floor, requirement
    assert len(pins) == len({lowest_constraints.floor(r)[0].lower() for r in wanted})
    python = subprocess.run([sys.executable, str(REPO / "tools" / "lowest_constraints.py"),
                             "--python", str(REPO / "pyproject.toml")], capture_output=True,
                            text=True, check=True)
    assert python.stdout == data["project"]["requires-python"].removeprefix(">=") + "\n"


def test_a_requires_python_without_a_floor_is_refused() -> None:
    with pytest.raises(ValueError) as e:
        lowest_constraints.oldest_python({"project": {"requires-python": "~=3.10"}})
    assert str(e.value) == "requires-python needs one '>=X.Y' floor to be tested at"


def test_ci_runs_the_suite_again_with_the_floors_on_the_oldest_python() -> None:
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    main = lines.index('pip install ".[test]" && python -m pytest')
    after = lines[main + 1:]
    assert "python tools/lowest_constraints.py > /tmp/pilkada-ci-lowest.txt" in after
    assert "floor=$(python3 tools/lowest_constraints.py --python)" in lines[:main]
    assert '"$oldest" -m venv --clear /tmp/pilkada-ci-lowest' in after
    assert ('/tmp/pilkada-ci-lowest/bin/python -m pip install -q -c /tmp/pilkada-ci-lowest.txt'
            ' ".[test]"') in after
    # the suite again, leaving out only files that compare pilkada's own two paths or print
    # through programs outside pyproject.toml (said in .ci/run)
    run = " ".join(after[after.index("/tmp/pilkada-ci-lowest/bin/python -m pytest \\"):])
    assert run.startswith("/tmp/pilkada-ci-lowest/bin/python -m pytest")
    left_out = re.findall(r"--ignore=(\S+)", run)
    assert set(left_out) <= {"tests/test_log_stream.py", "tests/test_never_stale.py",
                             "tests/test_cache_damage.py", "tests/test_cache.py",
                             "tests/test_no_cliff.py", "tests/test_report_print.py"}
    assert all((REPO / path).is_file() for path in left_out)
