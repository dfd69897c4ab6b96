"""Only the needed code is imported (issue 18): a run imports the module of the command it
names and no other command's; a view's JSON imports no renderer; a workspace whose config and
checklists come from the derived cache never imports PyYAML. Checked in fresh interpreters
started as the ``pilkada`` script starts (``sys.modules`` at exit: ``-X importtime`` does not
see modules imported through importlib). And Typer's pydantic-based coercion is loaded only
when a parameter's value needs it (cli/coercion.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.cli.app import COMMANDS


def test_the_command_modules_register_what_commands_says() -> None:
    """``COMMANDS`` (what a run imports for a command name) is what each module registers."""
    found: dict[str, list[str]] = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.replace("_", "-")
        found.setdefault(info.callback.__module__.rsplit(".", 1)[1], []).append(name)
    for group in app.registered_groups:
        first = group.typer_instance.registered_commands[0].callback
        assert group.name is not None and first is not None
        found.setdefault(first.__module__.rsplit(".", 1)[1], []).append(group.name)
    assert {m: tuple(names) for m, names in found.items()} == COMMANDS
    assert list(found) == list(COMMANDS)  # the order --help lists them in


# Signatures alone decide what changed, as for files last changed seconds ago (here everything
# was written a moment ago: the cache would not trust it yet).
_RUN = """\
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
from pilkada_cli.storage.cache import entries
entries.RACY_NS = -(10**18)
from pilkada_cli.entry import main
main()
"""


def _imported(cwd: Path, *args: str, colour: bool = False) -> set[str]:
    """The modules a run of ``pilkada ARGS`` had imported when it ended (it must succeed);
    its output is piped, and with ``colour`` FORCE_COLOR is set (a screen, as ``less -R``)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "FORCE_COLOR", "TTY_COMPATIBLE")}
    if colour:
        env["FORCE_COLOR"] = "1"
        env.pop("NO_COLOR", None)  # (conftest sets it for every test)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                         env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", _RUN, *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line[len("MODULES "):]))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imports") / "demo"
    env = {"PILKADA_HOME": str(folder.parent / "home"), "PILKADA_LANG": "en"}
    assert CliRunner().invoke(app, ["demo", str(folder)], env=env).exit_code == 0
    return folder


def test_a_run_imports_only_its_command_and_format(demo: Path) -> None:
    _imported(demo, "status")  # the first run fills the derived cache
    plain = _imported(demo, "status")
    ours = {m for m in plain if m.startswith("pilkada_cli.cli.")}
    assert ours == {"pilkada_cli.cli.app", "pilkada_cli.cli._common", "pilkada_cli.cli.options",
                    "pilkada_cli.cli.click_words", "pilkada_cli.cli.coercion",
                    "pilkada_cli.cli.status", "pilkada_cli.cli.readinessview",
                    "pilkada_cli.cli.terminal", "pilkada_cli.cli.ends",
                    "pilkada_cli.cli.screenformats"}
    assert "yaml" not in plain  # the config and the cycle came from the cache
    # seen files are read through trust.py, bundles and signing keys are not: no zipfile, no
    # OpenSSL for a view
    assert "pilkada_cli.domain.trust" in plain
    assert not {"pilkada_cli.domain.bundle", "pilkada_cli.domain.keys", "zipfile",
                "hashlib"} & plain
    # no value given (and due's --within 14 a default): Typer builds no pydantic adapter
    assert "pydantic" not in plain and "pydantic" not in _imported(demo, "due")
    assert "pydantic" not in _imported(demo, "status", "palembang")  # text needs no adapter
    # plain values given (a whole number in range, a choice, the items of record): no adapter
    assert "pydantic" not in _imported(demo, "due", "--within", "3", "--format", "json")
    assert "pydantic" not in _imported(demo, "record", "16.71", "hibah-dianggarkan-apbd-2023",
                                       "hibah-dianggarkan-apbd-2024", "--status", "in_progress",
                                       "--progress", "50")
    after = _imported(demo, "status")  # after the record: a refold, cache entries replaced
    # (safefile.temporary)
    assert "pilkada_cli.storage.cache.ids" in after and "tempfile" not in after
    assert "pydantic" in _imported(demo, "due", "--within", "03")  # Typer's to judge
    assert "pydantic" not in _imported(demo.parent, "-w", "demo", "status")  # as cron runs it
    # plain text (pipes, cron) is written without rich's console or its Text and Table
    assert "pilkada_cli.render.screen" in plain
    assert not {"rich.console", "rich.text", "rich.table"} & plain
    assert {"rich.console", "rich.text"} <= _imported(demo, "status", colour=True)
    data = _imported(demo, "status", "--format", "json")  # (render.status is there, unloaded)
    assert not {"pilkada_cli.render.screen", "rich.table"} & data
    # nothing changed
    assert not {"pilkada_cli.storage.cache.columns", "pilkada_cli.storage.cache.ids"} & data
    everything = _imported(demo, "--help")
    assert {f"pilkada_cli.cli.{m}" for m in COMMANDS} <= everything


class _Kind(str, Enum):
    one = "one"
    two = "two"


def test_coercion_without_adapters_gives_what_typer_gives(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Parameters not given, and plain defaults, come out as Typer's own coercion gives them
    (value and type), given values are Typer's to check; an invalid value is refused alike."""
    from typer import core

    import pilkada_cli.cli  # noqa: F401 (installs cli/coercion.py)

    patched = core._TyperParameter.process_value
    assert getattr(patched, "lazy", False)
    demo = typer.Typer()
    seen: list[dict[str, object]] = []

    @demo.command()
    def cmd(a: Annotated[str | None, typer.Option()] = None,
            n: Annotated[int, typer.Option(min=0)] = 14,
            x: Annotated[float, typer.Option()] = 0.5,
            s: Annotated[str, typer.Option()] = "s",
            many: Annotated[list[str] | None, typer.Option()] = None,
            kind: Annotated[_Kind | None, typer.Option()] = None,
            k2: Annotated[_Kind, typer.Option()] = _Kind.one,
            flag: Annotated[bool, typer.Option()] = False,
            items: Annotated[list[str] | None, typer.Option()] = None,
            c: Annotated[int, typer.Option(min=1, max=10, clamp=True)] = 2,
            d: Annotated[str, typer.Option(parser=str.upper)] = "d",
            ci: Annotated[_Kind | None, typer.Option(
                case_sensitive=False)] = None,
            p: Annotated[Path | None, typer.Option()] = None,
            pd: Annotated[Path, typer.Option()] = Path(),
            ps: Annotated[list[Path] | None, typer.Option()] = None,
            pe: Annotated[Path | None, typer.Option(
                exists=True, file_okay=False)] = None,
            pse: Annotated[list[Path] | None, typer.Option(
                exists=True)] = None) -> None:
        seen.append({k: (v, type(v)) for k, v in locals().items()})

    cases = ([], ["--a", "z"], ["--s", ""],
             ["--n", "3", "--many", "a", "--many", "b", "--kind", "two", "--a", "z"],
             ["--x", "2", "--s", "t", "--k2", "two", "--flag"], ["--n", "-1"], ["--n", "q"],
             ["--n", "0"], ["--n", "007"], ["--n", "+3"], ["--n", " 3"], ["--n", "3.0"],
             ["--n", "99999999999999999999999"], ["--kind", "TWO"], ["--kind", "three"],
             ["--k2", "one", "--kind", "one"], ["--many", ""], ["--x", "-2.5"],
             ["--items", "a"], ["--items", "a", "--items", "b", "--items", "a"],
             ["--c", "5"], ["--c", "0"], ["--c", "20"], ["--c", "-4"], ["--d", "text"],
             ["--ci", "TWO"], ["--ci", "One"], ["--p", "a b/c"], ["--p", ""], ["--p", "~/x"],
             ["--p", "/tmp/../x/"], ["--pd", "d"], ["--ps", "a", "--ps", "b/", "--ps", ""],
             ["--pe", "no-such-folder"], ["--pe", "."], ["--pe", __file__],
             ["--pse", "no-such-file", "--pse", "."], ["--pse", ".", "--pse", "/"],
             ["--p", "C:\\x", "--pd", "é"])
    for args in cases:
        ours = CliRunner().invoke(demo, args)
        monkeypatch.setattr(core._TyperParameter, "process_value", patched.typers)
        theirs = CliRunner().invoke(demo, args)
        monkeypatch.setattr(core._TyperParameter, "process_value", patched)
        assert (ours.exit_code, ours.output) == (theirs.exit_code, theirs.output), args
        if ours.exit_code == 0:
            assert seen[-2] == seen[-1], args
