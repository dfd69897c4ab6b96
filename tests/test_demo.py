"""`pilkada demo`: a sample Sumsel workspace as of 21 August 2024, marked as sample."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli
from pilkada_cli.workspace import load_config


def test_demo_creates_a_marked_sample_and_shows_its_status(tmp_path: Path, cli: RunCli) -> None:
    result = cli("demo", "d")
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "d" / "pilkada.yaml")
    assert config.sample and config.as_of is not None and config.as_of.isoformat() == "2024-08-21"
    assert config.language == "en"
    assert result.stdout.startswith("SAMPLE DATA — not real records")
    assert "As of 21 August 2024 · H-98" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line[:3] == "16."]
    assert len(rows) == 17
    data = json.loads(cli("--workspace", str(tmp_path / "d"), "status", "--format",
                          "json").stdout)
    levels = {r["code"]: r["level"] for r in data["regions"]}
    assert levels["16.04"] == "critical" and levels["16.71"] == "on_track"
    assert data["totals"]["levels"] == {"critical": 3, "at_risk": 6, "on_track": 8}
    assert cli("--workspace", str(tmp_path / "d"), "verify").exit_code == 0


def test_demo_again_shows_status_and_never_touches_a_real_workspace(tmp_path: Path,
                                                                    cli: RunCli) -> None:
    assert cli("demo", "d").exit_code == 0
    before = sorted(p.name for p in (tmp_path / "d" / "records").rglob("*.jsonl"))
    again = cli("demo", "d")
    assert again.exit_code == 0 and "already exists" in again.stderr
    assert sorted(p.name for p in (tmp_path / "d" / "records").rglob("*.jsonl")) == before
    assert cli("init", "real", "--region", "16").exit_code == 0
    refused = cli("demo", "real")
    assert refused.exit_code == 2 and "is a real workspace" in refused.stderr


def test_demo_speaks_the_language_it_was_asked_in(tmp_path: Path, cli: RunCli) -> None:
    result = cli("--lang", "id", "demo", "d")
    assert result.exit_code == 0
    assert load_config(tmp_path / "d" / "pilkada.yaml").language == "id"
    assert result.stdout.startswith("DATA CONTOH")
    assert "Per 21 Agustus 2024" in result.stdout
