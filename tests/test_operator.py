"""Each office's operator name is its own: kept in the workspace copy's local state
(``.pilkada/``), never in the shared pilkada.yaml, so the log never puts one office's staff name
on another office's work (issue 26 point 1)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sharing import Office, write_cycle


def _names_by_region(o: Office) -> dict[str, str]:
    return {e["region"]: e["by"] for e in o.log()}


@pytest.mark.skipif(shutil.which("git") is None,
                    reason="the bare repository is made with git (CI installs it)")
def test_a_regency_joining_by_git_records_under_its_own_name(tmp_path: Path) -> None:
    cycle = write_cycle(tmp_path)
    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    prov = Office("prov", tmp_path / "prov", tmp_path / "home-prov")
    prov.run("init", str(prov.ws), "--region", "16", "--depth", "kecamatan", "--cycle",
             str(cycle), "--operator", "Desk Provinsi", "--language", "en", "--git", str(bare))
    oi = Office("oi", tmp_path / "oi", tmp_path / "home-oi")
    joined = oi.run("init", str(oi.ws), "--git", str(bare), "--operator", "Rina Ogan Ilir")
    assert "Joined the shared workspace" in joined.output
    shared = (prov.ws / "pilkada.yaml").read_text(encoding="utf-8")
    assert "Desk Provinsi" not in shared and "Rina" not in shared  # the names stay local
    prov.run("done", "16.71", "nphd-kpu", "--at", "2024-02-22")
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    for o in (oi, prov, oi):
        o.run("sync")
    expected = {"16.71": "Desk Provinsi", "16.10": "Rina Ogan Ilir"}
    assert _names_by_region(prov) == expected
    assert _names_by_region(oi) == expected


def test_a_copied_folder_is_another_office_and_never_takes_the_first_ones_name(
        tmp_path: Path) -> None:
    cycle = write_cycle(tmp_path)
    prov = Office("prov", tmp_path / "prov", tmp_path / "home-prov")
    prov.run("init", str(prov.ws), "--region", "16", "--depth", "kecamatan", "--cycle",
             str(cycle), "--operator", "Desk Provinsi", "--language", "en")
    # the regency copies the whole folder, .pilkada/ included, and sets the shared fallback
    regency = Office("oi", tmp_path / "oi", tmp_path / "home-oi")
    shutil.copytree(prov.ws, regency.ws)
    config = regency.ws / "pilkada.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'operator: ""', 'operator: "Bersama"'), encoding="utf-8")
    regency.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    regency.run("done", "16.11", "nphd-kpu", "--at", "2024-02-20", "--by", "Budi")
    prov.run("done", "16.71", "nphd-kpu", "--at", "2024-02-22")
    assert _names_by_region(regency) == {"16.10": "Bersama", "16.11": "Budi"}
    assert _names_by_region(prov) == {"16.71": "Desk Provinsi"}


def test_pilkada_operator_outranks_the_copys_name_and_a_bad_name_is_refused(
        tmp_path: Path) -> None:
    cycle = write_cycle(tmp_path)
    o = Office("prov", tmp_path / "prov", tmp_path / "home-prov")
    bad = o.run("init", str(o.ws), "--cycle", str(cycle), "--operator", "Rina\nX", ok=False)
    assert bad.exit_code == 2 and "--operator contains" in bad.output
    assert not (o.ws / "pilkada.yaml").exists()
    o.run("init", str(o.ws), "--region", "16", "--cycle", str(cycle), "--operator", "Rina",
          "--language", "en")
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    result = CliRunner().invoke(app, ["--workspace", str(o.ws), "done", "16.10", "nphd-kpu",
                                      "--at", "2024-02-20"],
                                env={"PILKADA_HOME": str(o.home), "PILKADA_LANG": "en",
                                     "PILKADA_OPERATOR": "Sari"})
    assert result.exit_code == 0, result.output
    o.run("done", "16.11", "nphd-kpu", "--at", "2024-02-20")
    assert _names_by_region(o) == {"16.10": "Sari", "16.11": "Rina"}
