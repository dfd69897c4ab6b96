"""Every Indonesian region with its official Kemendagri code, and lookup by code or name.

The list ships in ``data/wilayah.csv`` (Kepmendagri 300.2.2-2138/2025; MIT licence in
``data/wilayah.LICENSE``). Codes are Kemendagri codes, not BPS codes (they differ for four Sumsel
regencies, domain.md §4a). The level follows from the code's shape; the time zone from the province.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _

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


def within(code: str, root: str) -> bool:
    """Whether region ``code`` is ``root`` or lies under it (``ID``, the nation, holds every
    region): the one subtree test."""
    return root == NATION_CODE or code == root or code.startswith(root + ".")


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
    """The national region list, sorted by code, with subtree and name lookups.

    Backed by the CSV's bytes (rows ``code,name``, sorted by code): a code is found by binary
    search over the text and a subtree by one regular-expression pass over its slice, so a run
    that needs a few regions never parses the 91,000 rows (that took ~55 ms per run).
    """

    def __init__(self, rows: list[tuple[str, str]] | None = None, *,
                 data: bytes | None = None) -> None:
        if data is None:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows([("kode", "nama"), *(rows or [])])
            data = buf.getvalue().encode("utf-8")
        self._data = data
        self._start = data.find(b"\n") + 1  # after the header
        self._rows: tuple[list[str], list[str]] | None = None
        self._lower: bytes | None = None
        self._accented: list[int] | None = None

    # -- the raw text ------------------------------------------------------------------------

    def _find(self, code: str) -> int:
        """Offset of the first row whose code sorts at or after ``code``."""
        data, key = self._data, code.encode("ascii")
        lo, hi = self._start, len(data)
        while lo < hi:
            mid = (lo + hi) // 2
            s = data.rfind(b"\n", lo, mid) + 1 or lo
            if data[s:data.find(b",", s)] < key:
                nl = data.find(b"\n", s)
                lo = len(data) if nl < 0 else nl + 1
            else:
                hi = s
        return lo

    def _range(self, code: str) -> tuple[int, int]:
        """Offsets of the rows strictly under ``code`` ('/' sorts right after '.')."""
        if code == NATION_CODE:
            return self._start, len(self._data)
        return self._find(code + "."), self._find(code + "/")

    def _row_at(self, offset: int) -> tuple[str, str]:
        end = self._data.find(b"\n", offset)
        line = self._data[offset:end if end >= 0 else len(self._data)].rstrip(b"\r")
        code, _, name = line.partition(b",")
        return code.decode("ascii"), _name(name)

    def _all(self) -> tuple[list[str], list[str]]:
        if self._rows is None:
            reader = csv.reader(io.StringIO(self._data[self._start:].decode("utf-8")))
            rows = [row for row in reader if row]
            self._rows = ([r[0] for r in rows], [r[1] for r in rows])
        return self._rows

    @property
    def _codes(self) -> list[str]:
        return self._all()[0]

    @property
    def _names(self) -> list[str]:
        return self._all()[1]

    def __len__(self) -> int:
        return self._data.count(b"\n", self._start) + (not self._data.endswith(b"\n"))

    def _make(self, i: int) -> Region:
        code = self._codes[i]
        return Region(code, self._names[i], level_of(code), timezone_of(code))

    # -- lookups -----------------------------------------------------------------------------

    def get(self, code: str) -> Region | None:
        """The region with this exact code, or None."""
        if code == NATION_CODE:
            return Region(NATION_CODE, "Indonesia", "nasional", "WIB")
        if not code.isascii():
            return None
        offset = self._find(code)
        if offset >= len(self._data):
            return None
        found, name = self._row_at(offset)
        if found != code:
            return None
        return Region(code, name, level_of(code), timezone_of(code))

    def descendants(self, code: str, max_depth: int) -> Iterator[Region]:
        """Regions under ``code`` (not itself) down to ``max_depth``, in code order."""
        start, end = self._range(code)
        if start >= end or max_depth < 1:
            return
        pattern = _row_pattern(min(max_depth, 4))
        # Every row follows a newline: start the search on the one before the first row.
        for m in pattern.finditer(self._data, start - 1, end):
            c = m.group(1).decode("ascii")
            yield Region(c, _name(m.group(2)), level_of(c), timezone_of(c))

    def children(self, code: str) -> list[Region]:
        """The regions directly under ``code``."""
        region = self.get(code)
        if region is None:
            return []
        return list(self.descendants(code, region.depth + 1))

    def _named(self, key: str) -> list[Region]:
        """Regions whose normalised name, without spaces, is ``key`` (or is it once a leading
        kabupaten/kota/provinsi is dropped), in code order."""
        return self._scan_names(key)

    def _scan_names(self, key: str) -> list[Region]:
        """Rows whose normalised name has the key ``key``. A regular
        expression over the raw bytes finds every ASCII row that could match (letters and
        digits of the key in order, anything else between them) and every non-ASCII row; each
        candidate is then checked exactly, as the full name index would."""
        if self._lower is None:
            self._lower = self._data.lower()
        sep = rb"[^0-9a-z\r\n]*"
        body = sep.join(re.escape(ch.encode("ascii")) for ch in key)
        pattern = re.compile(rb"," + sep + rb"(?:(?:kabupaten|kota|provinsi)" + sep + rb")?"
                             + body + sep + rb"\r?\n")
        data = self._lower
        hits: dict[int, None] = {}
        for m in pattern.finditer(data, self._start):
            hits[data.rfind(b"\n", 0, m.start()) + 1] = None
        for offset in self._non_ascii_rows():
            hits[offset] = None
        out = []
        for offset in sorted(hits):
            code, name = self._row_at(offset)
            norm = normalise_name(name)
            if _key(norm) == key or _key(_strip_kind(norm)) == key:
                out.append(Region(code, name, level_of(code), timezone_of(code)))
        return out

    def _non_ascii_rows(self) -> list[int]:
        """Offsets of the rows with a non-ASCII byte (a handful): found chunk by chunk, as a
        regular expression over all of the text would take 15 ms."""
        if self._accented is None:
            data, step = self._data, 1 << 16
            found: dict[int, None] = {}
            for start in range(self._start, len(data), step):
                if not data[start:start + step].isascii():
                    for m in _NON_ASCII.finditer(data, start, start + step):
                        found[data.rfind(b"\n", 0, m.start()) + 1] = None
            self._accented = list(found)
        return self._accented

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
        found = self._named(_key(key))
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
        import difflib

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


_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_DEPTH_PARTS = {1: rb"", 2: rb"(?:\.\d\d)?", 3: rb"(?:\.\d\d(?:\.\d\d)?)?",
                4: rb"(?:\.\d\d(?:\.\d\d(?:\.\d{4})?)?)?"}


@cache
def _row_pattern(max_depth: int) -> re.Pattern[bytes]:
    """A row (after its newline) whose code has at most ``max_depth`` parts."""
    return re.compile(rb"\n(\d\d" + _DEPTH_PARTS[max_depth] + rb"),([^\r\n]*)")


def _name(raw: bytes) -> str:
    """A CSV name field: quoted only when it holds a comma (two rows do)."""
    raw = raw.rstrip(b"\r")
    if raw.startswith(b'"'):
        return next(csv.reader([raw.decode("utf-8")]))[0]
    return raw.decode("utf-8")


def _strip_kind(key: str) -> str:
    for prefix in ("kabupaten ", "kota ", "provinsi "):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


@cache
def load_regions() -> RegionIndex:
    """The shipped national list (read once per process)."""
    path = Path(__file__).parents[1] / "data" / "wilayah.csv"
    try:
        data = path.read_bytes()
    except OSError:  # not a plain folder (e.g. a zip import): ask importlib
        from importlib import resources

        data = resources.files("pilkada_cli").joinpath("data/wilayah.csv").read_bytes()
    return RegionIndex(data=data)
