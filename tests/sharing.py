"""Helpers for tests with several offices: each has its own workspace and user data folder."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result

from conftest import MINI_CYCLE
from pilkada_cli.cli import app
from pilkada_cli.domain import bundle, keys
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.instant import parse_at, parse_recorded

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


def view(o: Office, args: tuple[str, ...], cached: bool) -> tuple[int, str, str]:
    """A command in ``o``'s workspace, in English, with the cache on or off
    (``PILKADA_NO_CACHE``): its exit code, output and messages."""
    result = RUNNER.invoke(app, ["--workspace", str(o.ws), *args],
                           env={"PILKADA_HOME": str(o.home), "PILKADA_LANG": "en",
                                "PILKADA_WORKSPACE": None, "PILKADA_OPERATOR": None,
                                "PILKADA_NO_CACHE": None if cached else "1"},
                           catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


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


def without_names(log: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """A log without the office names, which each workspace gives by its own offices list (so
    two offices' logs of the same records may name them differently)."""
    return [{k: v for k, v in e.items() if k not in ("office", "office_verified")} for e in log]


def records_files(ws: Path) -> dict[str, bytes]:
    """Every file under records/ (record files, claims, seen files) by path: equal snapshots
    mean nothing under records/ was written."""
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted((ws / "records").rglob("*"))
            if p.is_file() and ".local" not in p.parts and not p.name.endswith(".lock")}


def own_origin(o: Office) -> str:
    """The origin id of ``o``'s workspace copy (it must have written something)."""
    (path,) = (o.ws / ".pilkada" / "copies").glob("*/origin")
    return path.read_text().strip()


def origin_of(o: Office, by: str) -> str:
    """The origin of the events ``by`` recorded, as ``o`` holds them."""
    (origin,) = {e["origin"] for e in o.log() if e["by"] == by}
    return origin  # type: ignore[no-any-return]


def forge(o: Office, events: list[Event], *, regions: tuple[str, ...] = ("16.10",),
          claims: dict[str, bytes] | None = None, seen: dict[str, bytes] | None = None,
          cycle: str = "mini") -> bytes:
    """A bundle signed with ``o``'s own office key holding exactly these events, claims and
    seen files: what a hostile office can make (``bundle.build`` leaves out the claims and seen
    files of origins without events; a hand-made bundle need not)."""
    key = keys.load(o.home)
    assert key is not None
    data = bundle.build(events, cycle=cycle, regions=regions, since=None, office=key.office,
                        operator="x", origin="pc-x", key=key.public)
    src = zipfile.ZipFile(io.BytesIO(data))
    parts = {i.filename: src.read(i) for i in src.infolist()}
    manifest = json.loads(parts.pop("manifest.json"))
    extra = {f"origins/{org}.json": b for org, b in (claims or {}).items()}
    extra |= {f"origins/{org}.seen.jsonl": b for org, b in (seen or {}).items()}
    for name, body in sorted(extra.items()):
        manifest["parts"].append({"name": name, "sha256": hashlib.sha256(body).hexdigest(),
                                  "size": len(body), "events": 0})
        parts[name] = body
    manifest["key"] = key.public
    raw = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", raw)
        z.writestr("manifest.sig", (key.sign(raw) + "\n").encode("ascii"))
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def event(origin: str, *, region: str = "16.10", item: str = "nphd-kpu", seq: int = 1,
          status: str = "done", at: str = "2024-02-22T12:00:00+07:00",
          recorded: str = "2024-02-22T05:00:00.000000+00:00", id_: str | None = None,
          batch: str | None = None, batch_size: int = 1) -> Event:
    """One event as a bundle carries it (id from the other fields unless given)."""
    ident = id_ or hashlib.sha256(f"{origin}{region}{item}{seq}{status}{at}{recorded}".encode()
                                  ).hexdigest()[:32]
    return Event(id=ident, origin=origin, seq=seq, region=region, item=item, status=status,
                 progress=None, note="" if status == "done" else "alasan", evidence=(), by="x",
                 at=parse_at(at), recorded=parse_recorded(recorded), batch=batch,
                 batch_size=batch_size)


_COPIES = itertools.count()


def copy_of(world: dict[str, object], name: str) -> Office:
    """A fresh copy of office ``name``'s workspace in a module's shared ``world`` (a dict with
    ``root`` and the offices), beside the others so relative cycle paths hold."""
    o = world[name]
    assert isinstance(o, Office)
    return o.copy(world["root"], f"{name}-{next(_COPIES)}")  # type: ignore[arg-type]
