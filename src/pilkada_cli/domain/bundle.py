"""Bundles: one file with an office's events for a flash drive or a chat app.

A bundle is a ZIP (deflate) holding::

    manifest.json                       what is inside: cycle, regions, event count, a SHA-256
                                        and size per part, sending office and operator, created
    manifest.sig                        optional: base64 Ed25519 signature of manifest.json's bytes
    events/<region>/<origin>.jsonl      events in the record line format (events.py)
    origins/<origin>.json               optional: which office each origin belongs to (claims.py)
    origins/<origin>.seen.jsonl         optional: what each origin had seen (conflicts.py)

The signature covers the manifest, the manifest covers every part by its hash: one altered
byte anywhere is found. Reading never extracts anything to disk and trusts nothing in the ZIP:
names must be exactly the ones above (no ``..``, no absolute paths, no links), sizes are capped
before anything is decompressed, every listed part must be there and nothing else may be.
Everything wrong is collected and raised at once as an InputError (exit 2); nothing is written.
What of a well-formed bundle may be written, and under whose name, is trust.py's to judge.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pilkada_cli.base.errors import InputError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.events import (
    ORIGIN_RE,
    REGION_RE,
    Event,
    RecordFormatError,
    from_obj,
    to_line,
)
from pilkada_cli.domain.regions import within

FORMAT = "pilkada-bundle"
VERSION = 1
SUFFIX = ".pilkada"
MAX_BUNDLE_BYTES = 64 << 20  # the file itself; a whole regency cycle is well under 1 MB
MAX_EXPANDED_BYTES = 512 << 20  # all parts decompressed (a nation's cycle is ~100 MB)
MAX_MEMBERS = 100_000
_MANIFEST_KEYS = frozenset(("format", "version", "id", "cycle", "regions", "since", "events",
                            "parts", "office", "operator", "origin", "created", "key"))


@dataclass(frozen=True)
class Part:
    """One file of a bundle as its manifest describes it."""

    name: str
    sha256: str
    size: int
    events: int


@dataclass(frozen=True)
class Manifest:
    """What a bundle says it holds and who made it."""

    id: str
    cycle: str
    regions: tuple[str, ...]
    since: str | None
    events: int
    parts: tuple[Part, ...]
    office: str
    operator: str
    origin: str
    created: str
    key: str | None  # ed25519:... when signed


@dataclass(frozen=True)
class Bundle:
    """A bundle read and checked whole: its manifest, events and origin claims."""

    path: str
    manifest: Manifest
    signed: bool  # the signature verified with manifest.key
    events: list[Event]
    origins: dict[str, bytes] = field(default_factory=dict)  # origin -> its claim's bytes
    seen: dict[str, bytes] = field(default_factory=dict)  # origin -> its seen file's bytes


# --- writing ------------------------------------------------------------------------------------


def build(events: Sequence[Event], *, cycle: str, regions: Sequence[str], since: str | None,
          office: str, operator: str, origin: str, key: str | None,
          sign: Any = None, origins: dict[str, bytes] | None = None,
          seen: dict[str, bytes] | None = None, bundle_id: str | None = None) -> bytes:
    """The bytes of a bundle of ``events`` (grouped per region and origin, in seq order).

    ``sign`` (bytes -> base64 signature) signs the manifest when given, with public ``key``."""
    from pilkada_cli.domain.events import new_event_id

    groups: dict[tuple[str, str], list[Event]] = {}
    for ev in events:
        groups.setdefault((ev.region, ev.origin), []).append(ev)
    parts: list[tuple[str, bytes, int]] = []
    for (region, org), evs in sorted(groups.items()):
        # as the stored texts sort (of one moment, the form without a fraction first)
        evs.sort(key=lambda e: (e.seq, e.recorded.us, e.recorded.text, e.id))
        parts.append((f"events/{region}/{org}.jsonl", b"".join(to_line(e) for e in evs),
                      len(evs)))
    present = {o for _r, o in groups}
    for org, claim in sorted((origins or {}).items()):
        if org in present:
            parts.append((f"origins/{org}.json", claim, 0))
    for org, lines in sorted((seen or {}).items()):
        if org in present and lines:
            parts.append((f"origins/{org}.seen.jsonl", lines, 0))
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "id": bundle_id or new_event_id(),
        "cycle": cycle, "regions": sorted(set(regions)), "since": since,
        "events": len(events),
        "parts": [{"name": n, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b),
                   "events": k} for n, b, k in parts],
        "office": office, "operator": operator, "origin": origin,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "key": key if sign is not None else None,
    }
    raw = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(_member("manifest.json"), raw)
        if sign is not None:
            z.writestr(_member("manifest.sig"), (sign(raw) + "\n").encode("ascii"))
        for name, data, _n in parts:
            z.writestr(_member(name), data)
    return out.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


# --- reading ------------------------------------------------------------------------------------


class _Problems:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            head = _("{path}: refused, nothing imported:").format(path=self.shown)
            raise InputError("\n".join([head, *(f"  - {m}" for m in self.items)]))


def read(path: Path) -> Bundle:
    """Read and check the bundle at ``path`` whole; InputError listing every problem."""
    shown = str(path)
    p = _Problems(shown)
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            p.add(_("the file is {size} MB; a bundle is at most {limit} MB").format(
                size=size >> 20, limit=MAX_BUNDLE_BYTES >> 20))
            p.raise_if_any()
        data = path.read_bytes()
    except OSError as e:
        raise InputError(_("cannot read {path}: {reason}").format(
            path=shown, reason=os_reason(e))) from None
    return parse(data, shown)


def parse(data: bytes, shown: str) -> Bundle:
    """Check the bytes of a bundle (see ``read``)."""
    p = _Problems(shown)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        p.add(_("not a pilkada bundle, or cut short (the ZIP cannot be read); ask the sender "
                "for the file again"))
        p.raise_if_any()
        raise AssertionError from None  # unreachable
    members = _check_members(infos, p)
    p.raise_if_any()
    raw = _read_member(z, members.get("manifest.json"), p)
    sig = _read_member(z, members.get("manifest.sig"), p) if "manifest.sig" in members else None
    p.raise_if_any()
    assert raw is not None
    manifest = _manifest(raw, p)
    p.raise_if_any()
    assert manifest is not None
    signed = _check_signature(manifest, raw, sig, p)
    listed = {part.name: part for part in manifest.parts}
    for name in sorted(set(members) - {"manifest.json", "manifest.sig"} - set(listed)):
        p.add(_("{name} is in the bundle but not in its manifest (added after it was made)")
              .format(name=name))
    events: list[Event] = []
    origins: dict[str, bytes] = {}
    seen: dict[str, bytes] = {}
    for part in manifest.parts:
        if part.name not in members:
            p.add(_("{name} is listed in the manifest but missing (the bundle is incomplete)")
                  .format(name=part.name))
            continue
        content = _read_member(z, members[part.name], p)
        if content is None:
            continue
        if len(content) != part.size or hashlib.sha256(content).hexdigest() != part.sha256:
            p.add(_("{name} does not match its checksum in the manifest: the bundle was "
                    "altered or damaged").format(name=part.name))
            continue
        if part.name.endswith(".seen.jsonl"):
            seen[part.name[len("origins/"):-len(".seen.jsonl")]] = content
        elif part.name.startswith("origins/"):
            origins[part.name[len("origins/"):-len(".json")]] = content
        else:
            events += _part_events(part, content, manifest, p)
    if len(events) != manifest.events and not p.items:
        p.add(_("the manifest says {n} events but the bundle holds {m}").format(
            n=manifest.events, m=len(events)))
    _check_ids(events, p)
    p.raise_if_any()
    return Bundle(shown, manifest, signed, events, origins, seen)


def _check_members(infos: list[zipfile.ZipInfo], p: _Problems) -> dict[str, zipfile.ZipInfo]:
    """Refuse unsafe or unexpected ZIP entries before decompressing anything."""
    if len(infos) > MAX_MEMBERS:
        p.add(_("the bundle has {n} files; at most {limit} are allowed").format(
            n=len(infos), limit=MAX_MEMBERS))
        return {}
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        mode = info.external_attr >> 16
        if ".." in name.split("/") or name.startswith(("/", "\\")) or "\\" in name or (
                len(name) > 1 and name[1] == ":"):
            p.add(_("unsafe path {name} in the bundle (outside its folder)").format(
                name=repr(name)))
            continue
        if stat.S_ISLNK(mode):
            p.add(_("{name} is a symbolic link; bundles may hold only plain files").format(
                name=repr(name)))
            continue
        if info.flag_bits & 0x1:
            p.add(_("{name} is encrypted; bundles are never encrypted").format(name=repr(name)))
            continue
        if name.endswith("/"):
            continue  # a folder entry some ZIP tools add: nothing to read
        if not _expected_name(name):
            p.add(_("unexpected file {name} in the bundle").format(name=repr(name)))
            continue
        if name in members:
            p.add(_("{name} appears twice in the bundle").format(name=name))
            continue
        members[name] = info
        total += info.file_size
    if total > MAX_EXPANDED_BYTES:
        p.add(_("the bundle would expand to {size} MB; at most {limit} MB is accepted "
                "(a ZIP bomb or not a pilkada bundle)").format(
            size=total >> 20, limit=MAX_EXPANDED_BYTES >> 20))
    if "manifest.json" not in members and not p.items:
        p.add(_("no manifest.json: not a pilkada bundle"))
    return members


def _expected_name(name: str) -> bool:
    if name in ("manifest.json", "manifest.sig"):
        return True
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "events" and parts[2].endswith(".jsonl"):
        return bool(REGION_RE.fullmatch(parts[1]) and ORIGIN_RE.fullmatch(parts[2][:-6]))
    if len(parts) == 2 and parts[0] == "origins" and parts[1].endswith(".seen.jsonl"):
        return bool(ORIGIN_RE.fullmatch(parts[1][:-11]))
    if len(parts) == 2 and parts[0] == "origins" and parts[1].endswith(".json"):
        return bool(ORIGIN_RE.fullmatch(parts[1][:-5]))
    return False


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo | None, p: _Problems) -> bytes | None:
    """A member's bytes, never more than it declares (zipfile stops there and checks the CRC)."""
    if info is None:
        return None
    try:
        with z.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        p.add(_("{name} is damaged ({reason}): the bundle was cut short or altered").format(
            name=info.filename, reason=e))
        return None
    if len(data) != info.file_size:
        p.add(_("{name} is damaged: the bundle was cut short or altered").format(
            name=info.filename))
        return None
    return data


def _manifest(raw: bytes, p: _Problems) -> Manifest | None:
    try:
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        p.add(_("manifest.json is not valid JSON"))
        return None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        p.add(_("manifest.json is not a pilkada bundle manifest"))
        return None
    if m.get("version") != VERSION:
        p.add(_("bundle format version {v}; this pilkada reads version {mine} (upgrade "
                "pilkada)").format(v=m.get("version"), mine=VERSION))
        return None
    unknown = sorted(set(m) - _MANIFEST_KEYS)
    missing = sorted(_MANIFEST_KEYS - set(m))
    if unknown or missing:
        p.add(_("manifest.json has unknown or missing keys: {keys}").format(
            keys=", ".join(unknown + missing)))
        return None
    try:
        parts = tuple(Part(str(x["name"]), str(x["sha256"]), int(x["size"]), int(x["events"]))
                      for x in m["parts"])
        regions = tuple(str(r) for r in m["regions"])
        manifest = Manifest(
            id=_str(m["id"]), cycle=_str(m["cycle"]), regions=regions,
            since=None if m["since"] is None else _str(m["since"]), events=int(m["events"]),
            parts=parts, office=_str(m["office"]), operator=_str(m["operator"]),
            origin=_str(m["origin"]), created=_str(m["created"]),
            key=None if m["key"] is None else _str(m["key"]))
    except (KeyError, TypeError, ValueError):
        p.add(_("manifest.json has a field of the wrong type"))
        return None
    if any(not REGION_RE.fullmatch(r) for r in regions) or len(
            {part.name for part in parts}) != len(parts):
        p.add(_("manifest.json lists a bad region code or a part twice"))
        return None
    return manifest


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _check_signature(m: Manifest, raw: bytes, sig: bytes | None, p: _Problems) -> bool:
    if m.key is None:
        if sig is not None:
            p.add(_("the bundle has a signature but its manifest names no key"))
        return False
    if sig is None:
        p.add(_("the manifest names a signing key but the signature is missing"))
        return False
    from pilkada_cli.domain.keys import fingerprint, verify

    if not verify(m.key, sig.decode("ascii", "replace").strip(), raw):
        p.add(_("the signature does not match (key {fp}): the bundle was altered after it "
                "was signed, or the signature is forged").format(fp=fingerprint(m.key)))
        return False
    return True


def _part_events(part: Part, content: bytes, m: Manifest, p: _Problems) -> list[Event]:
    """The events of one part; each must be valid and belong to the part's region and origin,
    inside the regions the manifest names."""
    _events, region, file = part.name.split("/")
    origin = file[:-len(".jsonl")]
    out: list[Event] = []
    try:
        lines = content.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        p.add(_("{name} is not UTF-8 text").format(name=part.name))
        return []
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            ev = from_obj(json.loads(line))
        except (ValueError, RecursionError) as e:
            reason = str(e) if isinstance(e, RecordFormatError) else _("not valid JSON")
            p.add(_("{name}:{line}: not a valid event: {reason}").format(
                name=part.name, line=n, reason=reason))
            continue
        if ev.region != region or ev.origin != origin:
            p.add(_("{name}:{line}: event of region {region} by {origin} is in the wrong part")
                  .format(name=part.name, line=n, region=ev.region, origin=ev.origin))
            continue
        out.append(ev)
    if len(out) != part.events and len(out) == len(lines):
        p.add(_("{name} holds {m} events; the manifest says {n}").format(
            name=part.name, m=len(out), n=part.events))
    if not any(within(region, r) for r in m.regions):
        p.add(_("{name} is about region {region}, which the manifest does not list").format(
            name=part.name, region=region))
    return out


def _check_ids(events: list[Event], p: _Problems) -> None:
    seen: dict[str, Event] = {}
    for ev in events:
        first = seen.setdefault(ev.id, ev)
        if first is not ev and first != ev:
            p.add(_("event id {id} appears twice with different content").format(id=ev.id))
