"""`pilkada sync` against a hostile office (issue 28): what another office pushes to the shared
repository is judged before anything is merged, with the system's git and with dulwich alike.

A hostile office clones the shared bare repository with plain `git`, makes one commit that no
office may make, and pushes it; the province's `pilkada sync` must then exit 2 saying which
commit, office and files, and leave its record files, pilkada.yaml and HEAD byte for byte as
they were."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.domain import claims, keys
from sharing import Office, records_digest, without_names, write_cycle

pytestmark = pytest.mark.skipif(shutil.which("git") is None,
                                reason="the hostile office uses plain git (CI installs it)")

WHEN = "2024-08-21T10:00:00+07:00"  # the hostile commit's date
REFUSED = ("Error: Nothing was taken from the shared repository {bare}: it holds changes no "
           "office may make, so this PC refused them and changed nothing.")
# The province lists no offices here: Ogan Ilir is named by its own claim, marked (trust.py).
ASK = ("Ask Kabupaten Ogan Ilir (unverified) ({oi}) or your IT staff to restore these files in "
       "the shared repository as they were before, then run `pilkada sync` again. This office's "
       "own new records stay committed on this PC and are sent by that sync.")


@pytest.fixture(params=["git", "dulwich"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the system's git and with the built-in one."""
    if request.param == "dulwich":
        monkeypatch.setenv("PILKADA_GIT", "dulwich")
    else:
        monkeypatch.delenv("PILKADA_GIT", raising=False)
    return str(request.param)


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout


def _flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (the terminal wraps)."""
    return " ".join(text.split())


@dataclass
class World:
    root: Path
    bare: Path
    prov: Office
    oi: Office
    prov_origin: str
    oi_origin: str
    cycle: Path

    def state(self) -> tuple[str, bytes, str]:
        """What must not change when the province refuses a sync."""
        ws = self.prov.ws
        return (records_digest(ws), (ws / "pilkada.yaml").read_bytes(),
                _git(ws, "rev-parse", "HEAD"))


@pytest.fixture
def world(tmp_path: Path, backend: str) -> World:
    """The province shares a workspace; Ogan Ilir (with an office key) joins; both record and
    sync until the province has everything."""
    cycle = write_cycle(tmp_path)
    bare = tmp_path / "shared.git"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    prov = Office("prov", tmp_path / "prov", tmp_path / "home-prov")
    prov.run("init", str(prov.ws), "--region", "16", "--depth", "kecamatan", "--cycle",
             str(cycle), "--operator", "Desk Provinsi", "--language", "en", "--git", str(bare))
    oi = Office("oi", tmp_path / "oi", tmp_path / "home-oi")
    oi.run("init", str(oi.ws), "--git", str(bare))
    oi.run("keys", "init", "--office", "Kabupaten Ogan Ilir")
    prov.run("done", "16.71", "nphd-kpu", "--at", "2024-02-22")
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20", "--by", "Rina")
    oi.run("blocked", "16.10", "gudang", "--reason", "gudang disewa", "--at", "2024-02-21",
           "--by", "Rina")
    for o in (prov, oi, prov):
        o.run("sync")
    prov_origin = next((prov.ws / "records" / "16.71").glob("*.jsonl")).stem
    oi_origin = next((oi.ws / "records" / "16.10").glob("*.jsonl")).stem
    assert (prov.ws / "records" / "16.10" / f"{oi_origin}.jsonl").is_file()
    return World(tmp_path, bare, prov, oi, prov_origin, oi_origin, cycle)


def _push_hostile(w: World, change: Callable[[Path], None], name: str = "hostile") -> str:
    """Clone the shared repository with plain git, ``change`` the copy, commit as Ogan Ilir's
    copy and push; the commit's short hash."""
    h = w.root / name
    _git(w.root, "clone", "--quiet", str(w.bare), str(h))
    change(h)
    env = dict(os.environ, GIT_AUTHOR_DATE=WHEN, GIT_COMMITTER_DATE=WHEN)
    _git(h, "add", "--all", "--force", ".")
    _git(h, "-c", "user.name=Desk OI", "-c", f"user.email={w.oi_origin}@pilkada.invalid",
         "commit", "--quiet", "-m", "hostile", env=env)
    _git(h, "push", "--quiet", "origin", "HEAD:main")
    return _git(h, "rev-parse", "--short=7", "HEAD").strip()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_lines(path: Path, events: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in events),
                    encoding="utf-8")


def _forged(like: dict[str, object], **changes: object) -> dict[str, object]:
    """A valid event like ``like`` with a new id and seq, and ``changes``."""
    ev = dict(like, id="f" * 32, seq=int(str(like["seq"])) + 50)
    ev.update(changes)
    return ev


# --- one hostile commit each ------------------------------------------------------------------


def _delete_province_file(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.71/{w.prov_origin}.jsonl"
    (h / path).unlink()
    return path, "deleted; record files are never deleted, only added to"


def _edit_other_office_line(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.10/{w.oi_origin}.jsonl"
    events = _lines(h / path)
    events[0]["status"] = "todo"
    _write_lines(h / path, events)
    return path, "line 1 was changed or removed; record files only grow"


def _shorten_file(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.10/{w.oi_origin}.jsonl"
    data = (h / path).read_bytes()
    (h / path).write_bytes(data[:data.index(b"\n") + 1])
    return path, "line 2 was changed or removed; record files only grow"


def _forge_province_line(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.71/{w.prov_origin}.jsonl"
    events = _lines(h / path)
    with (h / path).open("a", encoding="utf-8") as f:
        f.write(json.dumps(_forged(events[0], status="todo"), sort_keys=True) + "\n")
    return path, ("line 2 adds a record under this office's own name that this PC never "
                  "made")


def _event_in_2099(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.10/{w.oi_origin}.jsonl"
    events = _lines(h / path)
    with (h / path).open("a", encoding="utf-8") as f:
        f.write(json.dumps(_forged(events[0], at="2099-01-01T10:00:00+07:00",
                                   recorded="2099-01-01T03:00:00.000001+00:00"),
                           sort_keys=True) + "\n")
    return path, ("line 3 is dated 2099-01-01T10:00:00+07:00, more than an hour after this "
                  "PC's clock")


def _not_an_event(w: World, h: Path) -> tuple[str, str]:
    path = f"records/16.10/{w.oi_origin}.jsonl"
    with (h / path).open("a", encoding="utf-8") as f:
        f.write('{"status": "done"}\n')
    return path, "line 3 is not a valid event: missing or non-integer schema version 'v'"


def _claim_with_another_key(w: World, h: Path) -> tuple[str, str]:
    path = f"records/origins/{w.oi_origin}.json"
    other = keys.create(w.root / "thief-home", "Kabupaten Ogan Ilir", None)
    (h / path).write_bytes(claims.claim(w.oi_origin, "Kabupaten Ogan Ilir", other))
    return path, ("the claim was signed by an office key and is now replaced by one without "
                  "that key's signature")


def _file_in_local_state(w: World, h: Path) -> tuple[str, str]:
    (h / ".pilkada" / "cache").mkdir(parents=True)
    (h / ".pilkada" / "cache" / "planted.pkl").write_bytes(b"cos\nsystem\n")
    return ".pilkada/cache/planted.pkl", "this PC's own local state (.pilkada/) is never shared"


def _change_gitattributes(w: World, h: Path) -> tuple[str, str]:
    with (h / ".gitattributes").open("a", encoding="utf-8") as f:
        f.write("pilkada.yaml merge=union\n")
    return ".gitattributes", "the workspace's git settings may not be changed by an office"


def _other_file(w: World, h: Path) -> tuple[str, str]:
    (h / "records" / "16.10" / "run.sh").write_text("echo hi\n")
    return "records/16.10/run.sh", ("not a file offices share (only pilkada.yaml and the "
                                    "record files under records/ are)")


HOSTILE = {
    "delete-province-file": _delete_province_file,
    "edit-other-office-line": _edit_other_office_line,
    "shorten-file": _shorten_file,
    "forge-province-line": _forge_province_line,
    "event-in-2099": _event_in_2099,
    "not-an-event": _not_an_event,
    "claim-with-another-key": _claim_with_another_key,
    "file-in-local-state": _file_in_local_state,
    "change-gitattributes": _change_gitattributes,
    "other-file": _other_file,
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_commit_is_refused_and_changes_nothing(world: World, case: str) -> None:
    found: list[tuple[str, str]] = []
    short = _push_hostile(world, lambda h: found.append(HOSTILE[case](world, h)))
    path, reason = found[0]
    before = world.state()
    result = world.prov.run("sync", ok=False)
    assert result.exit_code == 2, result.output
    said = _flat(result.output)
    assert _flat(REFUSED.format(bare=world.bare)) in said
    assert _flat(f"Commit {short} of 2024-08-21 by Kabupaten Ogan Ilir (unverified) "
                 f"({world.oi_origin}) made these changes:") in said
    assert _flat(f"{path}: {reason}") in said
    assert _flat(ASK.format(oi=world.oi_origin)) in said
    assert world.state() == before
    assert not (world.prov.ws / ".pilkada" / "cache" / "planted.pkl").exists()
    again = world.prov.run("sync", ok=False)  # a second try changes nothing either
    assert again.exit_code == 2 and world.state() == before


def test_an_office_not_known_by_its_claim_is_named_by_its_git_author(world: World) -> None:
    h = world.root / "stranger"
    _git(world.root, "clone", "--quiet", str(world.bare), str(h))
    (h / "records" / f"16.71/{world.prov_origin}.jsonl").unlink()
    _git(h, "add", "--all")
    _git(h, "-c", "user.name=Orang Lain", "-c", "user.email=orang@example.org", "commit",
         "--quiet", "-m", "x", env=dict(os.environ, GIT_COMMITTER_DATE=WHEN))
    _git(h, "push", "--quiet", "origin", "HEAD:main")
    short = _git(h, "rev-parse", "--short=7", "HEAD").strip()
    result = world.prov.run("sync", ok=False)
    assert result.exit_code == 2
    assert _flat(f"Commit {short} of 2024-08-21 by Orang Lain <orang@example.org> (not a "
                 "pilkada office copy) made these changes:") in _flat(result.output)


def test_own_records_stay_committed_and_go_once_the_files_are_restored(world: World) -> None:
    _push_hostile(world, lambda h: _delete_province_file(world, h))
    world.prov.run("done", "16.71", "gudang", "--at", "2024-02-25")
    refused = world.prov.run("sync", ok=False)
    assert refused.exit_code == 2
    assert "This office's own new records stay committed on this PC" in _flat(refused.output)
    assert _git(world.prov.ws, "status", "--porcelain", "records") == ""
    h = world.root / "hostile"  # the office restores what it deleted, as the message asks
    _git(h, "revert", "--no-edit", "HEAD", env=dict(
        os.environ, GIT_AUTHOR_NAME="Desk OI", GIT_AUTHOR_EMAIL="x@pilkada.invalid",
        GIT_COMMITTER_NAME="Desk OI", GIT_COMMITTER_EMAIL="x@pilkada.invalid"))
    _git(h, "push", "--quiet", "origin", "HEAD:main")
    world.prov.run("sync")
    world.oi.run("sync")
    assert {e["item"] for e in world.oi.log("16.71")} == {"nphd-kpu", "gudang"}


def test_another_history_force_pushed_is_refused_and_changes_nothing(world: World) -> None:
    other = world.root / "other"
    other.mkdir()
    _git(other, "init", "--quiet", "--initial-branch=main")
    shutil.copy(world.prov.ws / "pilkada.yaml", other / "pilkada.yaml")
    _git(other, "add", "pilkada.yaml")
    _git(other, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "new")
    _git(other, "push", "--quiet", "--force", str(world.bare), "main:main")
    before = world.state()
    result = world.prov.run("sync", ok=False)
    assert result.exit_code == 2, result.output
    assert _flat(
        f"Error: The shared repository {world.bare} now holds another history that does not "
        "continue this workspace's (it was replaced, for example by a force-push, or it is "
        "another repository). Nothing was changed here. Ask your IT staff to put the shared "
        "repository back as it was (from its backup, or from an office's copy of the "
        "workspace), then run `pilkada sync` again.") in _flat(result.output)
    assert world.state() == before
    assert world.prov.run("sync", ok=False).exit_code == 2  # not stuck: the same answer
    assert world.state() == before


@pytest.mark.parametrize("own_commit", [False, True], ids=["fast-forward", "merge-commit"])
def test_a_merge_that_would_change_a_line_is_rolled_back(
        world: World, monkeypatch: pytest.MonkeyPatch, own_commit: bool) -> None:
    """Belt and braces: were the rules ever to let an edit through, the merge is undone."""
    from pilkada_cli.storage import syncguard

    monkeypatch.setattr(syncguard, "judge", lambda *a, **k: syncguard.Verdict((), None))
    path = world.prov.ws / "records" / "16.10" / f"{world.oi_origin}.jsonl"
    had = path.read_bytes()
    _push_hostile(world, lambda h: _edit_other_office_line(world, h))
    if own_commit:  # the province's own new record makes the merge a real merge commit
        world.prov.run("done", "16.71", "gudang", "--at", "2024-02-25")
    before = world.state()
    result = world.prov.run("sync", ok=False)
    assert result.exit_code == 2, result.output
    assert _flat("taking in the other offices' changes would have changed lines this PC "
                 f"already had in records/16.10/{world.oi_origin}.jsonl; nothing was merged.") \
        in _flat(result.output)
    assert path.read_bytes() == had
    assert len(_git(world.prov.ws, "rev-list", "--parents", "-n", "1", "HEAD").split()) == 2
    assert _git(world.prov.ws, "status", "--porcelain") == ""
    if not own_commit:
        assert world.state() == before


# --- pilkada.yaml --------------------------------------------------------------------------


def _change_config(w: World, h: Path) -> str:
    """Trust a new key for the whole province, freeze as_of, change a threshold."""
    thief = keys.create(w.root / "thief-home", "Penyusup", None)
    text = (h / "pilkada.yaml").read_text(encoding="utf-8")
    assert "  red_gap: 25 " in text
    text = text.replace("  red_gap: 25 ", "  red_gap: 90 ") + (
        f'as_of: 2024-03-01\noffices:\n  - name: "Penyusup"\n    key: {thief.public}\n'
        f'    regions: ["16"]\n')
    (h / "pilkada.yaml").write_text(text, encoding="utf-8")
    return keys.fingerprint(thief.public)


def test_a_changed_config_is_shown_and_taken_only_when_accepted(world: World) -> None:
    found: list[str] = []
    short = _push_hostile(world, lambda h: found.append(_change_config(world, h)))
    before = world.state()
    status_before = json.loads(world.prov.run("status", "--format", "json").stdout)
    result = world.prov.run("sync", ok=False)
    assert result.exit_code == 2, result.output
    said = _flat(result.output)
    for part in (
            f"Commit {short} of 2024-08-21 by Kabupaten Ogan Ilir (unverified) "
            f"({world.oi_origin}) changed pilkada.yaml, the settings every office shares:",
            f"- office added: Penyusup, regions 16, key {found[0]}",
            "- threshold red_gap: 25 → 90",
            "- as_of (the frozen today): none (the real today) → 2024-03-01",
            "Nothing was changed here. If these changes are right (ask the office that made "
            "them if unsure), take them with: pilkada sync --accept-config"):
        assert _flat(part) in said
    assert "warn_days" not in said and "language" not in said
    assert world.state() == before
    assert json.loads(world.prov.run("status", "--format", "json").stdout) == status_before
    taken = world.prov.run("sync", "--accept-config")
    assert "Taking the new pilkada.yaml (--accept-config)." in taken.output
    assert (world.prov.ws / "pilkada.yaml").read_bytes() == \
        (world.root / "hostile" / "pilkada.yaml").read_bytes()
    status = json.loads(world.prov.run("status", "--format", "json").stdout)
    assert status["as_of"] == "2024-03-01"
    assert status["thresholds"] == {"warn_days": 7, "red_gap": 90}


def test_an_invalid_config_is_refused_even_when_accepting(world: World) -> None:
    def change(h: Path) -> None:
        with (h / "pilkada.yaml").open("a", encoding="utf-8") as f:
            f.write("thresholds:\n  red_gap: banyak\n")

    _push_hostile(world, change)
    before = world.state()
    result = world.prov.run("sync", "--accept-config", ok=False)
    assert result.exit_code == 2
    assert "pilkada.yaml: pilkada.yaml is not valid: pilkada.yaml:" in _flat(result.output)
    assert world.state() == before


# --- what this office sends ----------------------------------------------------------------


def test_a_hand_edit_of_another_office_line_is_refused_at_commit_and_restored(
        world: World) -> None:
    prov = world.prov
    path = prov.ws / "records" / "16.10" / f"{world.oi_origin}.jsonl"
    shared = path.read_bytes()
    first, second = shared.splitlines(keepends=True)
    ev = json.loads(second)
    ev.update(status="done", note="")  # Ogan Ilir's "blocked", rewritten by hand
    path.write_bytes(first + json.dumps(ev).encode() + b"\n")
    head = _git(prov.ws, "rev-parse", "HEAD")
    remote = _git(world.bare, "rev-parse", "main")
    result = prov.run("sync", ok=False)
    assert result.exit_code == 2, result.output
    said = _flat(result.output)
    assert _flat("Nothing was committed or sent: files shared before were changed on this PC, "
                 "and sync only ever adds lines to them:") in said
    assert _flat(f"records/16.10/{world.oi_origin}.jsonl: line 2 differs from the version "
                 "already shared") in said
    assert _flat("Put them back with `pilkada sync --restore`") in said
    assert _git(prov.ws, "rev-parse", "HEAD") == head
    assert _git(world.bare, "rev-parse", "main") == remote
    restored = prov.run("sync", "--restore")
    assert _flat(f"records/16.10/{world.oi_origin}.jsonl: put back as last shared; 0 line(s) "
                 "added since kept, 1 changed or unreadable line(s) left out") in \
        _flat(restored.output)
    assert path.read_bytes() == shared
    saved = list((prov.ws / ".pilkada" / "restored").rglob(f"{world.oi_origin}.jsonl"))
    assert len(saved) == 1 and saved[0].read_bytes() == first + json.dumps(ev).encode() + b"\n"
    prov.run("sync")
    world.oi.run("sync")
    assert {(e["item"], e["status"]) for e in world.oi.log("16.10")} == {
        ("nphd-kpu", "done"), ("gudang", "blocked")}


def test_a_hand_edit_of_an_own_line_is_restored_keeping_later_records(world: World) -> None:
    prov = world.prov
    path = prov.ws / "records" / "16.71" / f"{world.prov_origin}.jsonl"
    shared = path.read_bytes()
    path.write_bytes(shared.replace(b'"done"', b'"todo"'))
    prov.run("done", "16.71", "gudang", "--at", "2024-02-26")  # recorded after the edit
    result = prov.run("sync", ok=False)
    assert result.exit_code == 2
    assert _flat(f"records/16.71/{world.prov_origin}.jsonl: line 1 differs from the version "
                 "already shared") in _flat(result.output)
    restored = prov.run("sync", "--restore")
    assert _flat("1 line(s) added since kept, 1 changed or unreadable line(s) left out") in \
        _flat(restored.output)
    assert path.read_bytes().startswith(shared) and len(path.read_bytes().splitlines()) == 2
    prov.run("sync")
    world.oi.run("sync")
    assert {(e["item"], e["status"]) for e in world.oi.log("16.71")} == {
        ("nphd-kpu", "done"), ("gudang", "done")}


def test_a_deleted_record_file_is_refused_at_commit_and_restored(world: World) -> None:
    prov = world.prov
    path = prov.ws / "records" / "16.71" / f"{world.prov_origin}.jsonl"
    shared = path.read_bytes()
    path.unlink()
    result = prov.run("sync", ok=False)
    assert result.exit_code == 2
    assert _flat(f"records/16.71/{world.prov_origin}.jsonl: deleted") in _flat(result.output)
    prov.run("sync", "--restore")
    assert path.read_bytes() == shared
    nothing = prov.run("sync", "--restore")
    assert "Nothing to put back" in nothing.output


# --- honest offices ------------------------------------------------------------------------


def test_honest_offices_still_exchange_everything(world: World) -> None:
    prov, oi = world.prov, world.oi
    oki = Office("oki", world.root / "oki", world.root / "home-oki")
    oki.run("init", str(oki.ws), "--git", str(world.bare))
    oi.run("done", "16.10", "gudang", "--at", "2024-02-23", "--by", "Rina")
    oki.run("done", "16.02", "nphd-kpu", "--at", "2024-02-24", "--by", "Budi")
    prov.run("done", "16.71", "gudang", "--at", "2024-02-24")
    # the province's bundle reaches Ogan Ilir by flash drive too: its own events come back
    prov.run("export", "--out", str(world.root / "prov.pilkada"))
    oi.run("import", str(world.root / "prov.pilkada"))
    for o in (oi, oki, prov, oi, oki, prov):
        o.run("sync")
    logs = [o.log() for o in (prov, oi, oki)]
    assert len(logs[0]) == 6 and without_names(logs[0]) == without_names(logs[1]) == \
        without_names(logs[2])  # names: each office by its own offices list (trust.py)


def _same_second_history(folder: Path, variant: int) -> tuple[bytes, bytes]:
    """In a new dulwich repository at ``folder``: the remote head T (two commits on the first
    one) merged into this copy's own commit, and one more own commit N on the merge, all made
    in the same second as when offices sync in turn. ``variant`` changes the commit ids, which
    order commits of the same second in dulwich's walks. (N, T)."""
    from dulwich.objects import Blob, Commit, Tree

    from pilkada_cli.storage import gitsync

    repo = gitsync.create(folder, str(folder.parent / "shared.git"))
    store: Any = repo.repo.object_store  # type: ignore[attr-defined]

    def commit(files: dict[bytes, bytes], parents: list[bytes]) -> bytes:
        tree = Tree()
        for name, data in files.items():
            blob = Blob.from_string(data)
            store.add_object(blob)
            tree.add(name, 0o100644, blob.id)
        store.add_object(tree)
        c = Commit()
        c.tree, c.parents = tree.id, parents
        c.author = c.committer = b"Desk <x@pilkada.invalid>"
        c.author_time = c.commit_time = 1_700_000_000
        c.author_timezone = c.commit_timezone = 0
        c.message = b"variant %d\n" % variant
        store.add_object(c)
        return c.id  # type: ignore[no-any-return]

    files = {b"pilkada.yaml": b"variant: %d\n" % variant}
    first = commit(files, [])
    own = commit({**files, b"own": b"1\n"}, [first])
    t1 = commit({**files, b"t1": b"1\n"}, [first])
    theirs = commit({**files, b"t1": b"1\n", b"t": b"1\n"}, [t1])
    both = {**files, b"own": b"1\n", b"t1": b"1\n", b"t": b"1\n"}
    merged = commit(both, [own, theirs])
    head = commit({**both, b"own": b"1\n2\n"}, [merged])
    refs: Any = repo.repo.refs  # type: ignore[attr-defined]
    refs[b"refs/heads/main"] = head
    refs[b"refs/remotes/origin/main"] = theirs
    return head, theirs


def test_a_remote_head_already_merged_brings_nothing_when_commits_share_a_second(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dulwich's merge base walks by commit time: with commits of one second it could also
    name an older common ancestor, first, so a remote head this copy had already merged was
    taken for a new one and `pilkada sync` ended in an internal error (KeyError: b'') or made
    a needless merge commit. Some of these variants did so (dulwich 1.2)."""
    from pilkada_cli.storage import gitsync

    monkeypatch.setenv("PILKADA_GIT", "dulwich")
    for variant in range(40):
        head, theirs = _same_second_history(tmp_path / f"v{variant}", variant)
        repo = gitsync.open_repo(tmp_path / f"v{variant}")
        assert repo is not None
        assert repo.incoming() is None, variant
        assert repo.merge("Desk <x@pilkada.invalid>", theirs.decode()) == gitsync.Merged(0, False)
        assert repo.repo.refs[b"refs/heads/main"] == head  # type: ignore[attr-defined]


def test_each_commit_is_later_than_its_parents_whatever_the_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An office's commits (and its merge commits) are dated after their parents even within
    one second, or on a PC whose clock is behind the commit it builds on: dulwich's walks by
    commit time (the merge base, the push's fast-forward check) then follow the history, where
    a tie made a push be refused as if another office had pushed meanwhile."""
    import time

    from dulwich.objects import Commit

    from pilkada_cli.storage import gitsync

    monkeypatch.setenv("PILKADA_GIT", "dulwich")
    folder = tmp_path / "ws"
    repo: Any = gitsync.create(folder, str(tmp_path / "shared.git"))
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.5)  # (a clock that stands still)
    made = []
    for n in range(3):
        (folder / f"r{n}.jsonl").write_text("{}\n", encoding="utf-8")
        assert repo.commit([f"r{n}.jsonl"], f"record {n}", "Desk <x@pilkada.invalid>") == 1
        made.append(repo.repo[repo._head()])
    assert [c.commit_time for c in made] == [1_700_000_000, 1_700_000_001, 1_700_000_002]
    assert [c.author_time for c in made] == [1_700_000_000] * 3  # (when it was made: as is)
    # a parent dated an hour ahead (the other office's clock): the merge is dated after it
    ahead = Commit()
    ahead.tree, ahead.parents = made[0].tree, [made[0].id]
    ahead.author = ahead.committer = b"Other <o@pilkada.invalid>"
    ahead.author_time = ahead.commit_time = 1_700_003_600
    ahead.author_timezone = ahead.commit_timezone = 0
    ahead.message = b"other office\n"
    repo.repo.object_store.add_object(ahead)
    merged = repo.merge("Desk <x@pilkada.invalid>", ahead.id.decode())
    assert merged.merged_commit
    top = repo.repo[repo._head()]
    assert top.parents == [made[2].id, ahead.id]
    assert (top.commit_time, top.author_time) == (1_700_003_601, 1_700_000_000)


# --- init --git ----------------------------------------------------------------------------


def test_init_git_shares_a_workspace_made_from_an_empty_folder(
        tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "empty.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(bare))
    here = tmp_path / "kantor"
    here.mkdir()
    monkeypatch.chdir(here)
    o = Office("prov", Path("rakor"), tmp_path / "home-prov")
    result = CliRunner().invoke(app, ["init", "rakor", "--region", "16", "--language", "en",
                                      "--git", str(bare)],
                                env={"PILKADA_HOME": str(o.home)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Shared the workspace rakor on" in result.output
    assert "pilkada.yaml" in _git(bare, "ls-tree", "-r", "--name-only", "main")
    oi = Office("oi", tmp_path / "oi", tmp_path / "home-oi")
    oi.run("init", str(oi.ws), "--git", str(bare))
    oi.run("done", "16.10", "nphd-kpu-tanda-tangan", "--at", "2024-02-20", "--by", "Rina")
    oi.run("sync")
    monkeypatch.delenv("PILKADA_GIT", raising=False)  # IT installs git on that PC later
    prov = Office("prov", here / "rakor", o.home)
    assert prov.run("sync").output == ("Received 1 record from Sumatera Selatan (unverified): "
                                       "region 16.10 Kab. Ogan Ilir.\n")


def test_a_failed_init_git_leaves_nothing_behind(
        tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilkada_cli.storage import gitsync

    def cut(self: object) -> None:
        raise gitsync.Unreachable("cannot reach the shared repository: injected")

    monkeypatch.setattr(gitsync.SystemGit, "push", cut)
    monkeypatch.setattr(gitsync.DulwichGit, "push", cut)
    bare = tmp_path / "empty.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(bare))
    fresh = Office("a", tmp_path / "new", tmp_path / "home")
    assert fresh.run("init", str(fresh.ws), "--region", "16", "--git", str(bare),
                     ok=False).exit_code == 3
    assert not fresh.ws.exists()
    empty = Office("b", tmp_path / "empty", tmp_path / "home")
    empty.ws.mkdir()
    assert empty.run("init", str(empty.ws), "--region", "16", "--git", str(bare),
                     ok=False).exit_code == 3
    assert empty.ws.is_dir() and list(empty.ws.iterdir()) == []


def test_init_git_speaks_the_joined_workspace_language(
        tmp_path: Path, backend: str) -> None:
    cycle = write_cycle(tmp_path)
    bare = tmp_path / "shared.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(bare))
    runner = CliRunner()
    made = runner.invoke(app, ["init", str(tmp_path / "prov"), "--region", "16", "--cycle",
                               str(cycle), "--language", "id", "--git", str(bare)],
                         env={"PILKADA_HOME": str(tmp_path / "h1")}, catch_exceptions=False)
    assert made.exit_code == 0, made.output
    assert _flat(f"Ruang kerja {tmp_path / 'prov'} dibagikan di {bare}") in _flat(made.output)
    joined = runner.invoke(app, ["init", str(tmp_path / "oi"), "--git", str(bare)],
                           env={"PILKADA_HOME": str(tmp_path / "h2")}, catch_exceptions=False)
    assert joined.exit_code == 0, joined.output
    assert _flat(f"Bergabung ke ruang kerja bersama dari {bare} di {tmp_path / 'oi'}") in \
        _flat(joined.output)


def test_a_line_other_offices_would_refuse_is_not_sent(world: World) -> None:
    prov = world.prov
    path = prov.ws / "records" / "16.71" / f"{world.prov_origin}.jsonl"
    shared = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"status": "done"}\n')
    result = prov.run("sync", ok=False)
    assert result.exit_code == 2
    assert _flat(f"records/16.71/{world.prov_origin}.jsonl: line 2 is not a valid event: "
                 "missing or non-integer schema version 'v'") in _flat(result.output)
    prov.run("sync", "--restore")
    assert path.read_bytes() == shared


def test_a_claim_under_a_new_key_is_held_back_and_records_still_go(world: World) -> None:
    oi = world.oi
    claim = f"records/origins/{world.oi_origin}.json"
    shared = (oi.ws / claim).read_bytes()
    oi.run("keys", "init", "--office", "Kabupaten Ogan Ilir", "--force")  # the key was lost
    oi.run("done", "16.10", "gudang", "--at", "2024-02-27", "--by", "Rina")
    sent = oi.run("sync")
    assert _flat(f"Not sent: {claim} (an office's claim now signed by another key than the one "
                 "that signed it before; the other offices would refuse it). Records are sent "
                 "as usual.") in _flat(sent.output)
    assert _git(world.bare, "show", f"main:{claim}").encode() == shared
    world.prov.run("sync")  # nothing the province refuses reached the shared repository
    assert len(world.prov.log("16.10")) == 3


# --- the rules themselves ------------------------------------------------------------------


def _event_line(at: str, recorded: str) -> bytes:
    ev = {"v": 1, "id": "a" * 32, "origin": "pc-b", "seq": 1, "region": "16.10",
          "item": "x", "status": "done", "progress": None, "note": "", "evidence": [],
          "by": "Rina", "at": at, "recorded": recorded}
    return json.dumps(ev).encode() + b"\n"


@pytest.mark.parametrize(("at", "taken"), [
    ("2024-08-21T11:00:00+07:00", True),  # an hour after the clock: a wrong clock, taken
    ("2024-08-21T11:00:01+07:00", False),  # a second more: refused at the door
])
def test_events_more_than_an_hour_ahead_are_refused(at: str, taken: bool) -> None:
    from datetime import datetime, timezone

    from pilkada_cli.storage.syncguard import Change, Commit, judge

    now = datetime(2024, 8, 21, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
    line = _event_line(at, "2024-08-21T03:00:00.000000+00:00")
    change = Change("records/16.10/pc-b.jsonl", None, line, None, Commit("abc1234", "x", "y"))
    verdict = judge([change], own="pc-a", now=now)
    assert (verdict.refused == ()) is taken
    if not taken:
        assert verdict.refused[0].reason == (
            f"line 1 is dated {at}, more than an hour after this PC's clock")


def test_the_config_change_names_offices_changed_and_removed() -> None:
    from pilkada_cli.domain.configdiff import describe
    from pilkada_cli.domain.offices import Office as Trusted
    from pilkada_cli.domain.workspace import Config

    a, b = "ed25519:" + "A" * 43 + "=", "ed25519:" + "B" * 43 + "="
    old = Config("mini", "16", offices=(Trusted("Lahat", a, ("16.04",)),
                                        Trusted("Muara Enim", b, ("16.03",))))
    new = Config("mini", "16", language="id",
                 offices=(Trusted("Lahat", b, ("16.04", "16.05")),))
    assert describe(old, new, {"name": "x"}, {"name": "y", "language": "id"}) == [
        f"office changed: Lahat, regions 16.04 → 16.04, 16.05, key {keys.fingerprint(a)} → "
        f"{keys.fingerprint(b)}",
        f"office removed: Muara Enim, regions 16.03, key {keys.fingerprint(b)}",
        "language: not set → id",
        "other settings changed: name",
    ]
