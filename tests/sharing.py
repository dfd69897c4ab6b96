"""Helpers for tests with several offices: each has its own workspace and user data folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result

from conftest import MINI_CYCLE
from pilkada_cli.cli import app

RUNNER = CliRunner()


@dataclass
class Office:
    """One office: a workspace folder and its own user data folder (PILKADA_HOME)."""

    name: str
    ws: Path
    home: Path

    def run(self, *args: str, ok: bool = True) -> Result:
        """``pilkada --workspace WS ARGS`` with this office's user data folder."""
        result = RUNNER.invoke(app, ["--workspace", str(self.ws), *args],
                               env={"PILKADA_HOME": str(self.home), "PILKADA_LANG": "en",
                                    "PILKADA_WORKSPACE": None, "PILKADA_OPERATOR": None},
                               catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def log(self, *args: str) -> list[dict]:  # type: ignore[type-arg]
        return json.loads(self.run("log", *args, "--format", "json").stdout)[  # type: ignore[no-any-return]
            "events"]

    def copy(self, root: Path, name: str) -> Office:
        """A copy of this office's workspace (a sibling folder, so relative cycle paths hold)
        with the same user data folder."""
        target = root / name
        shutil.copytree(self.ws, target, ignore=shutil.ignore_patterns(".pilkada"))
        return Office(self.name, target, self.home)


def write_cycle(root: Path) -> Path:
    folder = root / "mini"
    for name, text in MINI_CYCLE.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def new_office(root: Path, name: str, region: str, depth: str, cycle: Path,
               office: str | None = None) -> Office:
    """A new workspace under ``root`` with its own user data folder; with ``office``, a key."""
    home = root / f"home-{name}"
    o = Office(name, root / name, home)
    result = RUNNER.invoke(app, ["init", str(o.ws), "--region", region, "--depth", depth,
                                 "--cycle", str(cycle), "--operator", name, "--language", "en"],
                           env={"PILKADA_HOME": str(home)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if office:
        o.run("keys", "init", "--office", office)
    return o


def public_key(o: Office) -> str:
    return json.loads((o.home / "keys" / "office.json").read_text())["key"]  # type: ignore[no-any-return]


def trust(o: Office, *offices: tuple[Office, str, list[str]]) -> None:
    """Add ``offices:`` (office, name, regions) to ``o``'s pilkada.yaml."""
    lines = ["offices:"]
    for other, name, regions in offices:
        lines += [f'  - name: "{name}"', f"    key: {public_key(other)}",
                  f"    regions: {json.dumps(regions)}"]
    with (o.ws / "pilkada.yaml").open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def records_digest(ws: Path) -> str:
    """Everything under records/ (names and bytes): equal digests mean nothing was written."""
    h = hashlib.sha256()
    for p in sorted((ws / "records").rglob("*")):
        if p.is_file() and ".local" not in p.parts and not p.name.endswith(".lock"):
            h.update(str(p.relative_to(ws)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()
