"""Workspaces: init, discovery, the embedded default and strict config."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.domain.workspace import find_workspace, load_config


def test_init_creates_a_workspace_validate_accepts(tmp_path: Path, cli: RunCli) -> None:
    result = cli("init", "ws", "--region", "16")
    assert result.exit_code == 0, result.output
    ws = tmp_path / "ws"
    assert (ws / "records").is_dir()
    assert "*.lock" in (ws / ".gitignore").read_text()
    assert "merge=union" in (ws / ".gitattributes").read_text()
    config = load_config(ws / "pilkada.yaml")
    assert (config.cycle, config.region, config.depth) == ("pilkada-2024", "16", "kecamatan")
    assert config.tags["16.10"] == frozenset({"calon-tunggal", "sengketa-mk"})
    # domain.md §8e: of Sumsel's nine MK regions only Empat Lawang re-voted (psu-mk)
    assert config.tags["16.11"] == frozenset({"calon-tunggal", "sengketa-mk", "psu-mk"})
    assert config.tags["16.71"] == frozenset({"sengketa-mk"})
    assert "16.06" not in config.tags and len(config.tags) == 9
    assert (config.thresholds.warn_days, config.thresholds.red_gap) == (7, 25)
    checked = cli("validate", str(ws))
    assert checked.exit_code == 0, checked.output


def test_init_refuses_to_overwrite(tmp_path: Path, cli: RunCli) -> None:
    assert cli("init", "ws", "--region", "16").exit_code == 0
    before = (tmp_path / "ws" / "pilkada.yaml").read_bytes()
    result = cli("init", "ws", "--region", "palembang")
    assert result.exit_code == 2
    assert "already exists; not overwriting a workspace" in result.stderr
    assert (tmp_path / "ws" / "pilkada.yaml").read_bytes() == before


def test_init_by_name_and_nation(tmp_path: Path, cli: RunCli) -> None:
    assert cli("init", "plg", "--region", "palembang").exit_code == 0
    assert load_config(tmp_path / "plg" / "pilkada.yaml").region == "16.71"
    plg = load_config(tmp_path / "plg" / "pilkada.yaml")
    assert plg.tags == {"16.71": frozenset({"sengketa-mk"})}
    assert cli("init", "nas", "--region", "indonesia", "--depth", "kabupaten").exit_code == 0
    assert load_config(tmp_path / "nas" / "pilkada.yaml").region == "ID"
    assert cli("validate", str(tmp_path / "nas")).exit_code == 0


def test_init_with_cycle_path_stores_it_relative(tmp_path: Path, cli: RunCli,
                                                 mini_cycle: Path) -> None:
    result = cli("init", "ws", "--region", "16.71", "--cycle", str(mini_cycle))
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "ws" / "pilkada.yaml").cycle == "../mini"


def test_discovery_order(tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("init", "a", "--region", "16").exit_code == 0
    assert cli("init", "b", "--region", "19").exit_code == 0
    (tmp_path / "a" / "deep" / "er").mkdir(parents=True)
    assert find_workspace(None, tmp_path / "a" / "deep" / "er").root == tmp_path / "a"
    monkeypatch.setenv("PILKADA_WORKSPACE", str(tmp_path / "b"))
    assert find_workspace(None, tmp_path / "a").root == tmp_path / "b"
    assert find_workspace(tmp_path / "a", tmp_path / "b").root == tmp_path / "a"


def test_embedded_default_is_announced_once(cli: RunCli, isolated_env: Path) -> None:
    result = cli("stages")
    assert result.exit_code == 0
    assert result.stderr.count("using the embedded default") == 1
    ws = find_workspace(None)
    assert ws.is_default and ws.root == isolated_env / "default"
    assert ws.config.region == "16" and ws.config.depth == "kecamatan"


def test_missing_explicit_workspace_is_exit_2(cli: RunCli) -> None:
    result = cli("--workspace", "nowhere", "stages")
    assert result.exit_code == 2
    assert "no workspace at nowhere" in result.stderr


_COUNT_READS = """\
import sys
reads = []
def hook(event, args):
    if event == "open" and str(args[0]).endswith("pilkada.yaml"):
        reads.append(str(args[0]))
sys.addaudithook(hook)
import atexit
atexit.register(lambda: sys.stderr.write(f"READS {len(reads)}\\n"))
from pilkada_cli.entry import main
main()
"""


@pytest.mark.parametrize("no_cache", ["", "1"])
def test_a_run_finds_its_workspace_once_and_reads_pilkada_yaml_once(
        tmp_path: Path, cli: RunCli, no_cache: str) -> None:
    """The language is decided from pilkada.yaml twice (before the commands load, then by the
    global options) and the workspace opened after: one rule finds it (locate.py), and the
    file is read once, with the derived cache and without it."""
    import os
    import subprocess
    import sys

    assert cli("init", "ws", "--region", "16", "--language", "id").exit_code == 0
    (tmp_path / "ws" / "deep").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                         env.get("PYTHONPATH", "")])
    env["PILKADA_NO_CACHE"] = no_cache
    for _run in range(2):  # (the second with the derived cache built, unless disabled)
        result = subprocess.run([sys.executable, "-c", _COUNT_READS, "stages"],
                                cwd=tmp_path / "ws" / "deep", env=env, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
        assert "Hari pemungutan suara: 27 Nov 2024" in result.stdout  # its language: id
        assert result.stderr.strip().splitlines()[-1] == "READS 1"
