"""Trust between offices: the ``offices:`` list of ``pilkada.yaml``.

A province lists the regency offices whose bundles it accepts: a name, the office's public key
(``pilkada keys show`` prints it) and the regions it may report (each with everything under it).
With the list present a bundle is accepted only when signed by a listed key and only for that
office's regions; without it any bundle is accepted with a warning (docs/sharing.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pilkada_cli.fields import Checker
from pilkada_cli.i18n import _
from pilkada_cli.keys import parse_public
from pilkada_cli.regions import CODE_RE, NATION_CODE, RegionIndex, within


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
        if public and parse_public(public) is None:
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
