"""Workspaces: ``pilkada.yaml`` plus ``records/``, found like git finds a repository.

With no workspace at all the tool works on the embedded default (pilkada-2024, Sumatera Selatan
to kecamatan), whose records live in the user data folder.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.errors import InputError, Problem, StorageError, ValidationError, os_reason
from pilkada_cli.base.i18n import LANGUAGES, _
from pilkada_cli.base.safefile import make_dir
from pilkada_cli.domain import locate
from pilkada_cli.domain.checklist import TIMEZONES
from pilkada_cli.domain.daterange import in_range, out_of_range
from pilkada_cli.domain.fields import Checker, parse_iso_date
from pilkada_cli.domain.regions import (
    CODE_RE,
    DEPTHS,
    NATION_CODE,
    RegionIndex,
    depth_of_level,
    within,
)
from pilkada_cli.domain.yamlload import Document, load_bytes, load_file

if TYPE_CHECKING:
    from pilkada_cli.domain.offices import Office

CONFIG_FILE = locate.CONFIG_FILE
RECORDS_DIR = "records"
DEFAULT_CYCLE = "pilkada-2024"
DEFAULT_REGION = "16"
DEFAULT_DEPTH = "kecamatan"
# Sumatera Selatan in Pilkada 2024: Ogan Ilir and Empat Lawang had a single candidate pair
# (domain.md §4b, §8d); nine kab/kota went to the MK (§8e), and only Empat Lawang's case ended in a
# re-vote ordered by the MK (PSU, 19 Apr 2025); the other petitions were dismissed on 4-5 Feb 2025.
_MK = ("16.01", "16.03", "16.04", "16.07", "16.09", "16.10", "16.11", "16.71", "16.72")
SUMSEL_TAGS: dict[str, tuple[str, ...]] = {
    code: (("calon-tunggal",) if code in ("16.10", "16.11") else ()) + ("sengketa-mk",)
    + (("psu-mk",) if code == "16.11" else ())
    for code in _MK
}

CONFIG_KEYS = ("cycle", "region")
CONFIG_OPTIONAL = ("depth", "tags", "own_tags", "thresholds", "language", "operator",
                   "timezone", "name", "as_of", "sample", "offices")
THRESHOLD_KEYS = ("warn_days", "red_gap")

GITIGNORE = """\
# Local-only files: locks, torn fragments saved by the journal, the per-machine origin id, caches.
*.lock
*.torn-*
*.tmp
records/.local/
.pilkada/
"""
GITATTRIBUTES = """\
# Record files are append-only JSON Lines; each file has one writer, so merges never conflict.
# union is a belt-and-braces fallback for order-insensitive, id-deduplicated lines only.
records/**/*.jsonl text eol=lf merge=union
"""


@dataclass(frozen=True)
class Thresholds:
    """When an item counts as due soon, and how far behind the schedule is critical."""

    warn_days: int = 7
    red_gap: int = 25


@dataclass(frozen=True)
class Config:
    """A validated ``pilkada.yaml``."""

    cycle: str
    region: str
    depth: str = DEFAULT_DEPTH
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    thresholds: Thresholds = Thresholds()
    language: str | None = None
    operator: str | None = None
    timezone: str | None = None
    name: str = ""
    as_of: date | None = None  # a frozen "today" (demos, training); None = the real today
    sample: bool = False  # sample data: every view says so
    tags_note: tuple[str, ...] = ()  # comment lines written above `tags:` (not read back)
    # Tags of a region alone, not passed to the regions below it: Papua's re-vote is the
    # province's own election, not its regencies'.
    own_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    offices: tuple[Office, ...] = ()  # whose signed bundles `pilkada import` accepts
    # The parsed file, for the lines of problems found later (tags the cycle does not know).
    source: Document | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Workspace:
    """Where a workspace's config and records are, and whether it is the embedded default."""

    config: Config
    root: Path
    is_default: bool = False
    config_path: Path | None = None

    @property
    def records_dir(self) -> Path:
        """The folder of the record files."""
        return self.root / RECORDS_DIR

    @property
    def state_dir(self) -> Path:
        """Local-only state (never synced): origin id, caches."""
        return self.root / ".pilkada"


def default_config() -> Config:
    """The embedded default: Pilkada 2024 in Sumatera Selatan, down to kecamatan."""
    tags = {code: frozenset(t) for code, t in SUMSEL_TAGS.items()}
    return Config(cycle=DEFAULT_CYCLE, region=DEFAULT_REGION, depth=DEFAULT_DEPTH, tags=tags)


def user_home() -> Path:
    """The user data folder (``PILKADA_HOME`` overrides platformdirs)."""
    env = os.environ.get("PILKADA_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir  # only needed without a workspace

    return Path(user_data_dir("pilkada", appauthor=False))


def find_workspace(explicit: Path | None, cwd: Path | None = None,
                   regions: RegionIndex | None = None,
                   load: Callable[[Path, RegionIndex | None], Config] | None = None
                   ) -> Workspace:
    """``--workspace``, then ``PILKADA_WORKSPACE``, then the current folder and its parents,
    else the embedded default. With ``regions``, region codes in the config are checked;
    ``load`` loads the config (default ``load_config``; the CLI's keeps it in the cache)."""
    folder, named = locate.locate(explicit, cwd=cwd)
    if named and folder is not None and not (folder / CONFIG_FILE).is_file():
        raise InputError(_("no workspace at {path} (no {file} there)").format(
            path=folder, file=CONFIG_FILE))
    if folder is not None:
        return _open(folder, regions, load or load_config)
    return Workspace(config=default_config(), root=user_home() / "default", is_default=True)


def _open(folder: Path, regions: RegionIndex | None,
          load: Callable[[Path, RegionIndex | None], Config]) -> Workspace:
    path = folder / CONFIG_FILE
    return Workspace(config=load(path, regions), root=folder, config_path=path)


def load_config(path: Path, regions: RegionIndex | None = None) -> Config:
    """Load and strictly validate ``pilkada.yaml``; region codes are checked when ``regions``
    is given. Raises ValidationError with every problem."""
    return _config(load_file(path, read=locate.config_bytes), regions)


def config_from_bytes(raw: bytes, shown: str, regions: RegionIndex | None = None) -> Config:
    """``load_config`` of a version that is not on disk (one a sync brings); ``shown`` names it
    in messages."""
    return _config(load_bytes(raw, shown), regions)


def _config(doc: Document, regions: RegionIndex | None) -> Config:
    problems: list[Problem] = []
    c = Checker(doc, problems)
    m = c.mapping(doc.data, (), CONFIG_KEYS, CONFIG_OPTIONAL)
    if m is None:
        raise ValidationError(problems)
    region = c.text(m, (), "region")
    if region and region != NATION_CODE and not CODE_RE.match(region):
        c.add(("region",), _("'{code}' is not a region code (like 16 or 16.71)").format(
            code=region))
    elif region and regions is not None and regions.get(region) is None:
        c.add(("region",), _("unknown region code '{code}'").format(code=region))
    depth = c.text(m, (), "depth", DEFAULT_DEPTH)
    c.choice(depth, ("depth",), DEPTHS, _("depth"))
    language = c.text(m, (), "language") or None
    if language:
        c.choice(language, ("language",), LANGUAGES, _("language"))
    timezone = c.text(m, (), "timezone") or None
    if timezone:
        c.choice(timezone, ("timezone",), TIMEZONES, _("time zone"))
    # Tagged regions are checked against the root only when the root itself is known.
    known_root = region if regions is not None and region and (
        region == NATION_CODE or regions.get(region) is not None) else ""
    from pilkada_cli.domain.offices import parse_offices  # only when a config is read (not cached)

    config = Config(
        cycle=c.text(m, (), "cycle"), region=region, depth=depth,
        tags=_tags(c, m.get("tags"), regions, known_root),
        own_tags=_tags(c, m.get("own_tags"), regions, known_root, "own_tags"),
        thresholds=_thresholds(c, m.get("thresholds")),
        language=language, operator=c.text(m, (), "operator") or None, timezone=timezone,
        name=c.text(m, (), "name"), as_of=_as_of(c, m), sample=c.flag(m, (), "sample"),
        offices=parse_offices(c, m.get("offices"), regions),
        source=doc,
    )
    if region and depth in DEPTHS and region != NATION_CODE and CODE_RE.match(region):
        if depth_of_level(depth) < region.count(".") + 1:
            c.add(("depth",), _("depth '{depth}' is above the workspace region {code}").format(
                depth=depth, code=region))
    if problems:
        raise ValidationError(problems)
    return config


def unknown_tags(config: Config, known: Collection[str], cycle: str) -> list[Problem]:
    """A problem, at its line, for each tag in ``config`` that the cycle does not declare: such
    a tag would silently change which items count for the region."""
    allowed = sorted(known)
    problems: list[Problem] = []
    doc = config.source
    placed: list[tuple[str, int | None]] = []
    for name, given in (("tags", config.tags), ("own_tags", config.own_tags)):
        raw = doc.data.get(name) if doc is not None and isinstance(doc.data, dict) else None
        if doc is not None and isinstance(raw, dict):
            placed += [(str(t), doc.line(name, code, i)) for code, tags in raw.items()
                       if isinstance(tags, list) for i, t in enumerate(tags)]
        else:
            placed += [(t, None) for tags in given.values() for t in sorted(tags)]
    shown = doc.path if doc is not None else CONFIG_FILE
    for tag, line in placed:
        if tag in known:
            continue
        close = difflib.get_close_matches(tag, allowed, n=1)
        hint = " " + _("(did you mean '{key}'?)").format(key=close[0]) if close else ""
        problems.append(Problem(shown, line, _(
            "unknown tag '{tag}': cycle {cycle} knows {tags}").format(
            tag=tag, cycle=cycle, tags=", ".join(allowed) or "-") + hint))
    return problems


def _as_of(c: Checker, m: Mapping[str, Any]) -> date | None:
    raw = c.text(m, (), "as_of")
    if not raw:
        return None
    day = parse_iso_date(raw)
    if day is None:
        c.add(("as_of",), _("'{value}' is not a date (YYYY-MM-DD)").format(value=raw))
    elif not in_range(day):
        c.add(("as_of",), out_of_range(raw))
        return None
    return day


def _tags(c: Checker, raw: Any, regions: RegionIndex | None,
          root: str, name: str = "tags") -> dict[str, frozenset[str]]:
    if raw is None:
        return {}
    m = c.mapping(raw, (name,), (), list(raw) if isinstance(raw, dict) else ())
    out: dict[str, frozenset[str]] = {}
    for code in m or {}:
        key = (name, code)
        if not CODE_RE.match(code):
            c.add(key, _("'{code}' is not a region code (like 16 or 16.71)").format(code=code))
            continue
        if regions is not None and regions.get(code) is None:
            c.add(key, _("unknown region code '{code}'").format(code=code))
        elif root and not within(code, root):
            c.add(key, _("region {code} is outside this workspace's region {root}: its tags "
                         "would count nowhere").format(code=code, root=root))
        tags = c.text_list(m, (name,), code)  # type: ignore[arg-type]
        for i, tag in enumerate(tags):
            c.slug(tag, (*key, i), _("tag"))
        out[code] = frozenset(tags)
    return out


def _thresholds(c: Checker, raw: Any) -> Thresholds:
    if raw is None:
        return Thresholds()
    m = c.mapping(raw, ("thresholds",), (), THRESHOLD_KEYS)
    if m is None:
        return Thresholds()
    key = ("thresholds",)
    return Thresholds(
        warn_days=c.integer(m, key, "warn_days", 7, 0, 365),
        red_gap=c.integer(m, key, "red_gap", 25, 0, 100),
    )


def render_config(config: Config) -> str:
    """The text of a new ``pilkada.yaml``, commented for the people who will edit it."""
    lines = [
        "# pilkada workspace: which cycle, which regions, and the readiness thresholds.",
        "# Check it with `pilkada validate`; the JSON Schema is `pilkada schema workspace`.",
        f"cycle: {config.cycle}",
        f'region: "{config.region}"',
        f"depth: {config.depth}",
    ]
    if config.name:
        lines.append(f'name: "{_yaml_escape(config.name)}"')
    if config.sample:
        lines.append("sample: true   # invented sample data: every view says so")
    if config.as_of is not None:
        lines.append(f"as_of: {config.as_of.isoformat()}   # a frozen 'today' (demos only)")
    lines += [
        f"language: {config.language or 'id'}",
        f'operator: "{_yaml_escape(config.operator or "")}"',
        "thresholds:",
        "  warn_days: 7   # an item due within this many days counts as due soon",
        "  red_gap: 25    # score this many points under expected makes a region KRITIS",
        "# Region tags used by checklist items' `when:` (inherited by the regions below).",
        *(f"# {line}" for line in config.tags_note),
    ]
    if config.tags:
        lines.append("tags:")
        for code, tags in sorted(config.tags.items()):
            lines.append(f'  "{code}": [{", ".join(sorted(tags))}]')
    else:
        lines.append("tags: {}")
    if config.own_tags:
        lines.append("# Tags of a region alone, not passed to the regions below it (a "
                     "province's own election).")
        lines.append("own_tags:")
        for code, tags in sorted(config.own_tags.items()):
            lines.append(f'  "{code}": [{", ".join(sorted(tags))}]')
    return "\n".join(lines) + "\n"


def _yaml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def init_workspace(folder: Path, config: Config) -> Path:
    """Create a workspace in ``folder``; refuses to overwrite one. Returns the config path."""
    path = folder / CONFIG_FILE
    if path.exists():
        raise InputError(_("{path} already exists; not overwriting a workspace").format(
            path=path))
    try:
        if not folder.is_dir():  # (the modes a shared folder gives: safefile.mode_in)
            folder.parent.mkdir(parents=True, exist_ok=True)
            make_dir(folder)
        make_dir(folder / RECORDS_DIR)
        _write_new(folder / ".gitignore", GITIGNORE)
        _write_new(folder / ".gitattributes", GITATTRIBUTES)
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(render_config(config))
    except OSError as e:
        raise StorageError(_("cannot create the workspace in {path}: {reason}").format(
            path=folder, reason=os_reason(e))) from e
    return path


def _write_new(path: Path, text: str) -> None:
    if not path.exists():
        path.write_text(text, encoding="utf-8", newline="\n")
