"""Every Indonesian region with its official Kemendagri code, and lookup by code or name.

The list ships in ``data/wilayah.csv`` (Kepmendagri 300.2.2-2138/2025; MIT licence in
``data/wilayah.LICENSE``). Codes are Kemendagri codes, not BPS codes (they differ for four Sumsel
regencies, domain.md §4a). The level follows from the code's shape; the time zone from the province.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pilkada_cli.errors import InputError
from pilkada_cli.i18n import _

NATION_CODE = "ID"
LEVELS = ("nasional", "provinsi", "kabupaten", "kota", "kecamatan", "desa")
# The depth a workspace can reach; kabupaten and kota share a depth.
DEPTHS = ("provinsi", "kabupaten", "kecamatan", "desa")
_DEPTH_OF_LEVEL = {
    "nasional": 0, "provinsi": 1, "kabupaten": 2, "kota": 2, "kecamatan": 3, "desa": 4,
}

_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
UTC_OFFSET_HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}
CODE_RE = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$")


@dataclass(frozen=True, slots=True)
class Region:
    """One region: code, official name, level and time zone."""

    code: str
    name: str
    level: str
    timezone: str

    @property
    def depth(self) -> int:
        """0 for the nation, 1 province, 2 kabupaten/kota, 3 kecamatan, 4 desa."""
        return _DEPTH_OF_LEVEL[self.level]

    @property
    def short_name(self) -> str:
        """The name as tables write it: ``Kab. Ogan Ilir``, ``Kota Palembang``."""
        if self.name.startswith("Kabupaten "):
            return "Kab. " + self.name[len("Kabupaten "):]
        return self.name

    @property
    def parent_code(self) -> str | None:
        """The code of the region above, ``ID`` for a province, None for the nation."""
        if self.code == NATION_CODE:
            return None
        head, dot, _tail = self.code.rpartition(".")
        return head if dot else NATION_CODE


def level_of(code: str) -> str:
    """The level a code's shape gives: ``16`` provinsi, ``16.71`` kota, ``16.71.01`` kecamatan…"""
    if code == NATION_CODE:
        return "nasional"
    parts = code.count(".")
    if parts == 0:
        return "provinsi"
    if parts == 1:
        return "kota" if int(code[3:5]) >= 71 else "kabupaten"
    return "kecamatan" if parts == 2 else "desa"


def timezone_of(code: str) -> str:
    """WIB, WITA or WIT, from the province part of the code (the nation counts as WIB)."""
    province = code[:2]
    if province in _WITA:
        return "WITA"
    if province in _WIT:
        return "WIT"
    return "WIB"


def depth_of_level(level: str) -> int:
    """The tree depth of a level name (``kota`` and ``kabupaten`` share depth 2)."""
    return _DEPTH_OF_LEVEL[level]


_PREFIXES = (
    ("provinsi ", "provinsi"), ("prov. ", "provinsi"), ("prov ", "provinsi"),
    ("kabupaten ", "kabupaten"), ("kab. ", "kabupaten"), ("kab ", "kabupaten"),
    ("kota ", "kota"), ("kecamatan ", "kecamatan"), ("kec. ", "kecamatan"),
    ("kec ", "kecamatan"), ("kelurahan ", "desa"), ("kel. ", "desa"), ("desa ", "desa"),
)


def normalise_name(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a region name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("’", "'").replace("'", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _key(normalised: str) -> str:
    """Spaces do not matter either: ``Lubuklinggau`` is ``Lubuk Linggau``."""
    return normalised.replace(" ", "")


def _split_level_prefix(query: str) -> tuple[str | None, str]:
    lowered = " ".join(query.casefold().split())
    for prefix, level in _PREFIXES:
        if lowered.startswith(prefix):
            return level, query.strip()[len(prefix) :]
    return None, query


class RegionIndex:
    """The national region list, sorted by code, with subtree and name lookups."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self._codes = [code for code, _name in rows]
        self._names = [name for _code, name in rows]
        self._by_name: dict[str, list[int]] | None = None

    def __len__(self) -> int:
        return len(self._codes)

    def _make(self, i: int) -> Region:
        code = self._codes[i]
        return Region(code, self._names[i], level_of(code), timezone_of(code))

    def get(self, code: str) -> Region | None:
        """The region with this exact code, or None."""
        if code == NATION_CODE:
            return Region(NATION_CODE, "Indonesia", "nasional", "WIB")
        i = bisect_left(self._codes, code)
        if i < len(self._codes) and self._codes[i] == code:
            return self._make(i)
        return None

    def descendants(self, code: str, max_depth: int) -> Iterator[Region]:
        """Regions under ``code`` (not itself) down to ``max_depth``, in code order."""
        if code == NATION_CODE:
            start, prefix = 0, ""
        else:
            prefix = code + "."
            start = bisect_left(self._codes, prefix)
        for i in range(start, len(self._codes)):
            c = self._codes[i]
            if not c.startswith(prefix):
                break
            if c.count(".") + 1 <= max_depth:
                yield self._make(i)

    def children(self, code: str) -> list[Region]:
        """The regions directly under ``code``."""
        region = self.get(code)
        if region is None:
            return []
        return list(self.descendants(code, region.depth + 1))

    def _name_index(self) -> dict[str, list[int]]:
        if self._by_name is None:
            index: dict[str, list[int]] = {}
            for i, name in enumerate(self._names):
                norm = normalise_name(name)
                index.setdefault(_key(norm), []).append(i)
                stripped = _strip_kind(norm)
                if stripped != norm:
                    index.setdefault(_key(stripped), []).append(i)
            self._by_name = index
        return self._by_name

    def resolve(self, query: str, scope: str = NATION_CODE) -> Region:
        """A region by code or name; names are searched in ``scope`` first, then nationwide.

        Raises InputError listing candidates when ambiguous and the closest names when unknown.
        """
        text = query.strip()
        if CODE_RE.match(text):
            region = self.get(text)
            if region is None:
                raise InputError(_("unknown region code '{code}'").format(code=text))
            return region
        if normalise_name(text) in ("indonesia", "nasional", "id"):
            return self.get(NATION_CODE)  # type: ignore[return-value]
        level, name = _split_level_prefix(text)
        key = normalise_name(name)
        if not key:
            raise InputError(_("empty region name"))
        found = [self._make(i) for i in self._name_index().get(_key(key), [])]
        if level is not None:
            found = [r for r in found if r.level == level or (level == "desa" and r.depth == 4)]
        in_scope = [r for r in found if scope == NATION_CODE or r.code.startswith(scope)]
        candidates = in_scope or found
        if not candidates:
            raise InputError(self._unknown_message(query, key, scope))
        # A regency and its capital district often share a name ("Lahat"): the higher level wins.
        top = min(r.depth for r in candidates)
        best = [r for r in candidates if r.depth == top]
        if len(best) == 1:
            return best[0]
        listed = "\n".join(f"  {r.code}  {r.name} ({r.level})" for r in best[:20])
        raise InputError(
            _("region name '{name}' is ambiguous; use a code:").format(name=query) + "\n" + listed
        )

    def _unknown_message(self, query: str, key: str, scope: str) -> str:
        close: list[str] = []
        for within in dict.fromkeys((scope, NATION_CODE)):
            stripped = {
                _strip_kind(normalise_name(self._names[i])): i
                for i in range(len(self._codes))
                if self._codes[i].count(".") <= 2
                and (within == NATION_CODE or self._codes[i].startswith(within))
            }
            close = difflib.get_close_matches(key, list(stripped), n=5, cutoff=0.6)
            if close:
                break
        message = _("unknown region '{name}'").format(name=query)
        if close:
            hints = ", ".join(
                f"{self._codes[stripped[c]]} {self._names[stripped[c]]}" for c in close
            )
            message += "; " + _("did you mean: {hints}?").format(hints=hints)
        return message


def _strip_kind(key: str) -> str:
    for prefix in ("kabupaten ", "kota ", "provinsi "):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


@cache
def load_regions() -> RegionIndex:
    """The shipped national list (read once per process)."""
    text = resources.files("pilkada_cli").joinpath("data/wilayah.csv").read_text("utf-8")
    reader = csv.reader(io.StringIO(text))
    next(reader)
    return RegionIndex([(row[0], row[1]) for row in reader])
