"""`pilkada sync` against a bare repository with three clones (one on a PC without git), and
`init --git`; an unreachable remote loses nothing and a retry works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sharing import Office, without_names, write_cycle

pytestmark = pytest.mark.skipif(shutil.which("git") is None,
                                reason="the bare repository is made with git (CI installs it)")


def _path_without_git() -> str:
    """PATH minus every folder that holds a git program: an office PC without git."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "git").exists()]
    return os.pathsep.join(keep)


class NoGit(Office):
    """An office whose PC has no git: pilkada falls back to dulwich."""

    def run(self, *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        old = os.environ.get("PATH", "")
        os.environ["PATH"] = _path_without_git()
        try:
            assert shutil.which("git") is None
            return super().run(*args, ok=ok)
        finally:
            os.environ["PATH"] = old


def _init(o: Office, *args: str) -> None:
    o.ws.parent.mkdir(parents=True, exist_ok=True)
    result = o.run("init", str(o.ws), *args)
    assert "Error" not in result.output


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("sync")
    cycle = write_cycle(root)
    bare = root / "shared.git"
    _git(root, "init", "--quiet", "--bare", str(bare))
    prov = Office("prov", root / "prov", root / "home-prov")
    # the province creates the shared workspace; relative cycle paths hold for siblings
    prov.ws.mkdir()
    result = prov.run("init", str(prov.ws), "--region", "16", "--depth", "kecamatan", "--cycle",
                      str(cycle), "--operator", "Desk Provinsi", "--language", "en",
                      "--git", str(bare))
    assert "Shared the workspace" in result.output
    return {"root": root, "bare": bare, "prov": prov, "cycle": cycle}


def test_three_clones_end_with_the_same_log_and_status(shared: dict[str, object]) -> None:
    root, bare, prov = shared["root"], shared["bare"], shared["prov"]
    assert isinstance(root, Path) and isinstance(bare, Path) and isinstance(prov, Office)
    oi = Office("oi", root / "oi", root / "home-oi")
    oki = NoGit("oki", root / "oki", root / "home-oki")
    for o in (oi, oki):
        joined = o.run("init", str(o.ws), "--git", str(bare))
        assert "Joined the shared workspace" in joined.output
    assert (oki.ws / "pilkada.yaml").read_bytes() == (prov.ws / "pilkada.yaml").read_bytes()
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20", "--by", "Rina")
    oki.run("blocked", "16.02", "gudang", "--reason", "gudang disewa pihak lain", "--at",
            "2024-02-21", "--by", "Budi")
    prov.run("done", "16.71", "nphd-kpu", "--at", "2024-02-22")
    first = oi.run("sync")
    # its one record (its office claim and what it had seen when it joined are not records)
    assert first.stdout == f"Sent 1 record to {bare}.\n"
    second = oki.run("sync")  # no git on this PC: dulwich merges and pushes
    # without office keys each copy claims the workspace's name, unverified (docs/sharing.md)
    assert second.stdout == (f"Sent 1 record to {bare}.\n"
                             "Received 1 record from Sumatera Selatan (unverified): region "
                             "16.10 Kab. Ogan Ilir.\n")
    third = prov.run("sync")
    assert third.stdout == (f"Sent 1 record to {bare}.\n"
                            "Received 2 records from Sumatera Selatan (unverified): regions "
                            "16.02 Kab. Ogan Komering Ilir, 16.10 Kab. Ogan Ilir.\n")
    for o in (oi, oki, prov, oi, oki):  # until everyone has what everyone saw
        o.run("sync")
    logs = [without_names(o.log()) for o in (prov, oi, oki)]
    assert len(logs[0]) == 3 and logs[0] == logs[1] == logs[2]
    statuses = [o.run("status", "--as-of", "2024-03-05", "--format", "json").stdout
                for o in (prov, oi, oki)]
    assert statuses[0] == statuses[1] == statuses[2]
    assert json.loads(statuses[0])["regions"]
    again = prov.run("sync")
    assert again.stdout == (f"No new records to send or receive: this PC and {bare} hold the "
                            "same records.\n")
    with (prov.ws / "pilkada.yaml").open("a", encoding="utf-8") as f:
        f.write('name: "Rakor Sumsel"\n')  # the province edits the shared configuration
    prov.run("sync")
    oki.run("sync", "--accept-config")  # a changed pilkada.yaml is taken only when accepted
    assert (oki.ws / "pilkada.yaml").read_bytes() == (prov.ws / "pilkada.yaml").read_bytes()
    for o in (prov, oi):
        assert _git(o.ws, "status", "--porcelain") == ""  # nothing left behind uncommitted


def test_an_unreachable_remote_loses_nothing_and_a_retry_works(
        shared: dict[str, object], tmp_path: Path) -> None:
    root, bare = shared["root"], shared["bare"]
    assert isinstance(root, Path) and isinstance(bare, Path)
    a = Office("a", root / "a", root / "home-a")
    b = NoGit("b", root / "b", root / "home-b")
    for o in (a, b):
        o.run("init", str(o.ws), "--git", str(bare))
    moved = tmp_path / "away.git"
    bare.rename(moved)  # the shared drive is not mounted
    try:
        for o in (a, b):
            o.run("done", "16.04", "gudang", "--at", "2024-02-24", "--by", o.name)
            failed = o.run("sync", ok=False)
            assert failed.exit_code == 3, failed.output
            assert f"cannot reach the shared repository {bare}: the network" in failed.output
            assert "Your records are safe: they are committed on this PC" in failed.output
        assert _git(a.ws, "status", "--porcelain", "records") == ""  # the local commit is kept
    finally:
        moved.rename(bare)
    for o in (a, b, a):
        o.run("sync")
    assert {e["by"] for e in a.log("16.04")} == {"a", "b"}
    assert without_names(a.log()) == without_names(b.log())


def test_sync_without_a_shared_repository_says_how_to_set_it_up(
        shared: dict[str, object], tmp_path: Path) -> None:
    o = Office("solo", tmp_path / "solo", tmp_path / "home")
    o.run("init", str(o.ws), "--region", "16.10", "--cycle", str(shared["cycle"]))
    result = o.run("sync", ok=False)
    assert result.exit_code == 2
    assert "this workspace is not set up for sync: run `pilkada init --git REMOTE`" \
        in result.output


def test_joining_a_repository_that_is_not_a_workspace_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "--quiet", "-b", "main")
    (other / "README").write_text("hi\n")
    _git(other, "-c", "user.name=x", "-c", "user.email=x@x", "add", "README")
    _git(other, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "x")
    o = Office("x", tmp_path / "x", tmp_path / "home")
    result = o.run("init", str(o.ws), "--git", str(other), ok=False)
    assert result.exit_code == 2
    assert "is a git repository but holds no pilkada workspace" in result.output
    assert not o.ws.exists()  # nothing left behind


def test_two_clones_on_one_pc_write_under_different_origins(
        shared: dict[str, object], tmp_path: Path) -> None:
    """Same PC, same user data folder, two copies of one workspace: each its own origin, so
    their record files never meet in a merge."""
    bare = shared["bare"]
    root = shared["root"]
    assert isinstance(bare, Path) and isinstance(root, Path)
    home = root / "home-same-pc"
    first, second = Office("c1", root / "c1", home), Office("c2", root / "c2", home)
    for o in (first, second):
        o.run("init", str(o.ws), "--git", str(bare))
        o.run("done", "16.11", "nphd-kpu", "--at", "2024-02-26", "--by", o.name)
    for o in (first, second, first):
        o.run("sync")
    files = sorted(p.name for p in (first.ws / "records" / "16.11").glob("*.jsonl"))
    assert len(files) == 2
    for name in files:
        assert len((first.ws / "records" / "16.11" / name).read_text().splitlines()) == 1
    assert {e["by"] for e in first.log("16.11")} == {"c1", "c2"}
    assert without_names(first.log("16.11")) == without_names(second.log("16.11"))
    # a copy of a folder (with its local .pilkada/) is a new copy too
    third = Office("c3", root / "c3", home)
    shutil.copytree(first.ws, third.ws)
    third.run("done", "16.11", "gudang", "--at", "2024-02-27", "--by", "c3")
    origins = {e["origin"] for e in third.log("16.11")}
    assert len(origins) == 3
