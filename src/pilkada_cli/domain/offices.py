"""Trust between offices: the ``offices:`` list of ``pilkada.yaml``.

A province lists the regency offices whose bundles it accepts: a name, the office's public key
(``pilkada keys show`` prints it) and the regions it may report (each with everything under it).
With the list present a bundle is accepted only when signed by a listed key and only for that
office's regions; without it any bundle is accepted with a warning (docs/sharing.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.fields import Checker
from pilkada_cli.domain.regions import CODE_RE, NATION_CODE, RegionIndex, within


@dataclass(frozen=True)
class Office:
    """One trusted office: who, its public key, the regions it may report."""

    name: str
    key: str  # ed25519:...
    regions: tuple[str, ...]

    def may_report(self, code: str) -> bool:
        """Whether ``code`` is one of this office's regions or under one."""
        return any(within(code, r) for r in self.regions)


def parse_offices(c: Checker, raw: Any, regions: RegionIndex | None) -> tuple[Office, ...]:
    """The ``offices:`` list, every problem reported through ``c``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(("offices",), _("'offices' must be a list of offices (name, key, regions)"))
        return ()
    out: list[Office] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        key = ("offices", i)
        m: Mapping[str, Any] | None = c.mapping(entry, key, ("name", "key", "regions"), ())
        if m is None:
            continue
        name = c.text(m, key, "name")
        public = c.text(m, key, "key")
        if public and _parse_public(public) is None:
            c.add((*key, "key"), _("'{value}' is not a public key (ed25519:… as printed by "
                                   "`pilkada keys show`)").format(value=public[:60]))
        elif public in seen:
            c.add((*key, "key"), _("the same key is listed for offices {a} and {b}").format(
                a=seen[public] + 1, b=i + 1))
        seen.setdefault(public, i)
        codes = c.text_list(m, key, "regions")
        if not codes and m.get("regions") is not None:
            c.add((*key, "regions"), _("an office needs at least one region"))
        for j, code in enumerate(codes):
            if code != NATION_CODE and not CODE_RE.match(code):
                c.add((*key, "regions", j), _("'{code}' is not a region code (like 16 or "
                                              "16.71)").format(code=code))
            elif regions is not None and code != NATION_CODE and regions.get(code) is None:
                c.add((*key, "regions", j), _("unknown region code '{code}'").format(code=code))
        out.append(Office(name, public, tuple(codes)))
    return tuple(out)


def office_for(offices: tuple[Office, ...], public: str | None) -> Office | None:
    """The listed office with key ``public``."""
    return next((o for o in offices if public and o.key == public), None)


# --- adding an office from what its `pilkada keys show` printed ---------------------------------

_FIELD_RE = re.compile(r"^\s*(?:-\s+)?(name|key|regions)\s*:(.*)$")
_OFFICES_RE = re.compile(r"^offices\s*:(.*)$")
_TOP_KEY_RE = re.compile(r"^[^\s#-]")  # a top-level key ends the offices: list


def office_block(office: Office, indent: str = "  ") -> str:
    """The lines of one ``offices:`` entry (what `keys show` prints and `offices add` writes).
    JSON strings are YAML double-quoted scalars, so any name stays text."""
    return (f'{indent}- name: {json.dumps(office.name, ensure_ascii=False)}\n'
            f"{indent}  key: {office.key}\n"
            f"{indent}  regions: {json.dumps(list(office.regions))}\n")


def shown_office(text: str, shown: str, regions: RegionIndex | None) -> Office:
    """The office in ``text``: what another office's `pilkada keys show` printed, whole or only
    its ``name:``, ``key:`` and ``regions:`` lines. InputError (every problem at once, named by
    ``shown``) when one is missing, repeated or not valid."""
    from pilkada_cli.base.errors import InputError, Problem, ValidationError
    from pilkada_cli.domain.yamlload import load_bytes

    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = _FIELD_RE.match(line)
        if m:
            found.setdefault(m.group(1), []).append(f"{m.group(1)}:{m.group(2)}")
    if any(len(v) > 1 for v in found.values()):
        raise InputError(_("{shown} holds more than one office; add them one at a time").format(
            shown=shown))
    missing = [f for f in ("name", "key", "regions") if f not in found]
    if missing:
        raise InputError(_("{shown} does not hold what `pilkada keys show` prints: no {fields} "
                           "line").format(shown=shown,
                                          fields=", ".join(f"'{f}:'" for f in missing)))
    doc = load_bytes("\n".join(v[0] for v in found.values()).encode("utf-8"), shown)
    problems: list[Problem] = []
    c = Checker(doc, problems)
    (office,) = parse_offices(c, [doc.data], regions) or (None,)
    if office is not None and not office.name.strip():
        problems.append(Problem(shown, None, _("the office has no name")))
    if problems or office is None:
        raise ValidationError([Problem(p.path, None, p.message) for p in problems])
    return office


def duplicate(offices: tuple[Office, ...], new: Office) -> str | None:
    """Why ``new`` cannot join ``offices`` (its key or name is listed already), or None."""
    for o in offices:
        if o.key == new.key:
            return _("pilkada.yaml already lists this key, as the office '{name}'").format(
                name=o.name)
        if o.name.strip().casefold() == new.name.strip().casefold():
            return _("pilkada.yaml already lists an office named '{name}'").format(name=o.name)
    return None


def with_office(config: str, office: Office) -> str:
    """The text of ``pilkada.yaml`` with ``office`` appended to its ``offices:`` list, every
    other line (comments and order included) kept as it was. InputError when the list is
    written in a way a line cannot be appended to (a flow list ``offices: [...]``)."""
    from pilkada_cli.base.errors import InputError

    lines = config.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, t in enumerate(lines) if _OFFICES_RE.match(t)), None)
    if start is None:
        return "".join(lines) + "offices:\n" + office_block(office)
    rest = _OFFICES_RE.match(lines[start]).group(1)  # type: ignore[union-attr]
    value = rest.split("#", 1)[0].strip()
    if value in ("[]", "~", "null"):
        lines[start] = "offices:\n"
    elif value:
        raise InputError(_("the offices: list of pilkada.yaml is written on one line; write "
                           "each office as a block (as `pilkada keys show` prints it), then "
                           "run this again"))
    last, indent = start, None
    for i in range(start + 1, len(lines)):
        text = lines[i]
        if _TOP_KEY_RE.match(text):
            break
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            last = i
            if indent is None and stripped.startswith("-"):
                indent = text[:len(text) - len(text.lstrip())]
    lines.insert(last + 1, office_block(office, "  " if indent is None else indent))
    return "".join(lines)


def _parse_public(text: str) -> object:
    from pilkada_cli.domain.keys import parse_public  # (signing's module: a run lists offices only)

    return parse_public(text)
