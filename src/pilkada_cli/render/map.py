"""The readiness map: a region's children coloured by level, as inline SVG (or, through
``render.map_png``, as PNG).

Pure: :func:`layout` turns a :class:`~pilkada_cli.domain.readiness.Readiness` into a list of drawing
primitives with their pixel positions, and :func:`readiness_map_svg` writes them as SVG; the PNG
renderer draws the very same primitives, so both pictures agree.

What the map promises (issue #8): every area is filled by its level with the colours used
everywhere (red KRITIS, amber WASPADA, green SIAP, grey upcoming); regions with no report at all
carry a hatch and a dashed outline; regions that elect no head of their own in the cycle (DI
Yogyakarta's governor, DKI Jakarta's administrative cities: domain.md §8a) carry a grey hatch
and no level colour, and a legend entry says why; every area is numbered, worst first, and the
numbers are keyed to a list beside the map with the level as a word and score / expected, so a
black-and-white print reads; a legend carries the words; each area has a hover title with name,
score and expected; small areas get a marker of a minimum size so they stay visible and
hoverable; regions without boundary data are listed under the map. All text is escaped; there
are no scripts and no external references (the only references are to the hatch patterns
defined inside the picture).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html import escape

from pilkada_cli.base.i18n import _, format_date, format_percent, language
from pilkada_cli.domain import geo
from pilkada_cli.domain.readiness import LEVEL_ORDER, NO_REPORT, Readiness, Summary, days_to_voting
from pilkada_cli.domain.regions import NATION_CODE, Region
from pilkada_cli.domain.views import overview
from pilkada_cli.render.labels import (
    LEVEL_COLOURS,
    level_letter,
    level_word,
    no_election_word,
    no_head_word,
)
from pilkada_cli.render.text import inert

FILL = {level: fill for level, (fill, _ink) in LEVEL_COLOURS.items()}
INK = {level: ink for level, (_fill, ink) in LEVEL_COLOURS.items()}
TEXT = "#1a1a1a"
MUTED = "#5f6368"
EDGE = "#3c4043"  # borders between areas
CONTEXT_FILL = "#ecebe6"
CONTEXT_EDGE = "#b9b7ae"
CONTEXT_TEXT = "#8a887f"
SEA = "#f4f8fb"
HATCH = "#000000"
HATCH_SPACING = 7  # between the hatch lines of "no report"
HATCH_WIDTH = 1.6
HATCH_OPACITY = 0.6
NO_HEAD_FILL = "#f4f4f4"  # a region with no election of its own: no level colour,
NO_HEAD_HATCH = "#9e9e9e"  # a grey hatch the other way round
NO_HEAD_SPACING = 6
NO_HEAD_WIDTH = 1.4
# The two hatches (a Shape's, Circle's or Rect's ``hatch``; "" for none).
NO_REPORT_HATCH = "no-report"  # black lines over the NO REPORT grey, with a dashed outline
NO_HEAD_HATCH_KIND = "no-head"  # grey lines over NO_HEAD_FILL
FONT = "'DejaVu Sans', 'Segoe UI', Arial, Helvetica, sans-serif"

DEFAULT_WIDTH = 1200
MARGIN = 16
GAP = 20
KEY_NAME_MAX = 270  # longer names in the numbered list are cut with an ellipsis
KEY_ROW = 25
KEY_FONT = 14  # names and numbers in the list
KEY_SMALL = 13  # headers and level words (bold)
MAP_MAX_H = 620  # at the default width; wider pictures get taller maps (half the width)
MARKER_R = 10  # small areas get a round marker of this radius
SMALL_PX = 16  # an area whose largest part is smaller than this (either way) is "small"
LABEL_ROOM = 7  # a number needs this much room (pole distance) to sit inside its area

# Primitives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Filled polygons (outer ring first, then holes), optionally hatched and dashed."""

    polygons: list[geo.Polygon]
    fill: str
    stroke: str
    stroke_width: float
    hatch: str = ""  # NO_REPORT_HATCH, NO_HEAD_HATCH_KIND or none
    dashed: bool = False


@dataclass(frozen=True)
class Circle:
    """A round marker."""

    x: float
    y: float
    r: float
    fill: str
    stroke: str
    stroke_width: float
    hatch: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Rect:
    """A rectangle (swatches, sea)."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None
    hatch: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Line:
    """A straight line (leader from a displaced marker to its area)."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float


@dataclass(frozen=True)
class Text:
    """One line of text at a baseline point; ``anchor`` is start, middle or end."""

    x: float
    y: float
    text: str
    size: float
    fill: str = TEXT
    bold: bool = False
    italic: bool = False
    anchor: str = "start"
    halo: str | None = None  # a contrasting outline behind the letters


Primitive = Shape | Circle | Rect | Line | Text


@dataclass(frozen=True)
class Area:
    """One region on the map: its primitives share one hover title."""

    code: str
    level: str | None
    no_report: bool
    title: str
    parts: tuple[Primitive, ...]
    elects: bool = True  # False: drawn with the grey hatch, no level colour


@dataclass
class Picture:
    """A laid-out map: what to draw, in order, and its size."""

    width: float
    height: float
    label: str  # the accessible name: region and level counts
    items: list[Primitive | Area] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)  # codes of the areas on the map
    missing: list[str] = field(default_factory=list)  # codes listed under the map instead


# Entries: what is known about each region before it is placed --------------------------------


@dataclass(frozen=True)
class Entry:
    """A region of the map with its number (worst first) and numbers."""

    number: int
    region: Region
    summary: Summary
    no_report: bool
    elects: bool = True  # False: the region elects no head of its own in the cycle


def _entries(r: Readiness, root_code: str, stage: str | None) -> tuple[list[Entry], Summary]:
    root = r.region(root_code)
    ov = overview(r, stage, root=root)
    rows = list(ov.rows) if root.depth < 2 and ov.rows else [ov.root]
    entries = [Entry(i, row.region, row.summary, row.no_report,
                     row.elects or row.region.depth > 2) for i, row in enumerate(rows, 1)]
    return entries, ov.root.summary


# Text helpers --------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return escape(inert(text), quote=True)


# Advance widths of DejaVu Sans (regular, bold) for ASCII 32–126, in hundredths of an em: the
# widest common sans-serif, so text measured with it fits in Arial or Segoe UI too.
_WIDTHS = (
    (32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64,
     64, 64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86,
     75, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63,
     62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64,
     34, 64, 84),
    (35, 46, 52, 84, 70, 100, 87, 31, 46, 46, 52, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70, 70,
     70, 70, 70, 40, 40, 84, 84, 84, 58, 100, 77, 76, 73, 83, 68, 68, 82, 84, 37, 37, 77, 64,
     100, 84, 85, 73, 85, 77, 72, 68, 81, 77, 110, 77, 72, 73, 46, 37, 46, 84, 50, 50, 67, 72, 59,
     72, 68, 44, 72, 71, 34, 34, 67, 34, 104, 71, 69, 72, 72, 49, 60, 48, 71, 65, 92, 65, 65, 58,
     71, 37, 71, 84),
)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of a line in DejaVu Sans (other characters count as wide ones), used to fit
    and truncate text."""
    table = _WIDTHS[bold]
    units = sum(table[o - 32] if 32 <= (o := ord(c)) < 127 else 80 for c in text)
    return units * size / 100


def fit_text(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it fits ``width`` pixels."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


_SHORT = (("Kabupaten Administrasi ", "Kab. Adm. "), ("Kota Administrasi ", "Kota Adm. "),
          ("Kabupaten ", "Kab. "))


def short_name(name: str) -> str:
    """``Kab. Ogan Ilir`` for the numbered list (the hover title keeps the official name)."""
    for long, short in _SHORT:
        if name.startswith(long):
            return short + name[len(long):]
    return name


def pct(value: float | None) -> str:
    """A share as every view shows it (one decimal, ``85,5%`` in Indonesian)."""
    return format_percent(value, 1)


def _score_text(s: Summary) -> str:
    return _("{score} / {expected}").format(score=pct(s.score), expected=pct(s.expected))


def _area_title(e: Entry) -> str:
    lines = [
        _("{number}. {name} ({code})").format(number=e.number, name=e.region.name,
                                             code=e.region.code),
        _("{level} · score {score} · target {expected}").format(
            level=level_word(e.summary.level), score=pct(e.summary.score),
            expected=pct(e.summary.expected)),
    ]
    if e.no_report:
        lines.append(_("no report"))
    if not e.elects:
        lines.append(no_head_word())
    return "\n".join(lines)


def _day(n: int) -> str:
    return f"H-{n}" if n > 0 else ("H" if n == 0 else f"H+{-n}")


# Layout --------------------------------------------------------------------------------------


def layout(r: Readiness, root_code: str, stage: str | None = None, *,
           width: int = DEFAULT_WIDTH, notice: str | None = None,
           heading: bool = True, key: bool = True) -> Picture:
    """Lay out the map of ``root_code``'s children (or of the region itself when it has none
    with boundaries, below province level) coloured by overall level, or by ``stage``'s.
    ``key=False`` leaves out the numbered list (a page that lists the regions itself, in the
    same order, e.g. the report's first page)."""
    root = r.region(root_code)
    entries, root_summary = _entries(r, root_code, stage)
    boundaries = geo.load_boundaries()
    drawn = [e for e in entries if e.region.code in boundaries]
    missing = [e for e in entries if e.region.code not in boundaries]

    counts: dict[str | None, int] = {}
    for e in entries:
        if e.elects:  # the others are drawn without a level colour, and counted apart
            counts[e.summary.level] = counts.get(e.summary.level, 0) + 1
    no_report = sum(e.no_report and e.elects for e in entries)
    no_head = sum(not e.elects for e in entries)
    label = _("Readiness map of {region}: {counts}; no report: {none}").format(
        region=root.name, none=no_report,
        counts=", ".join(f"{counts[lvl]} {level_word(lvl)}" for lvl in (*LEVEL_ORDER, None)
                         if counts.get(lvl)) or "—")
    if no_head:
        label += "; " + _("{word} ({n})").format(word=no_election_word(), n=no_head)
    pic = Picture(width=width, height=0, label=label,
                  drawn=[e.region.code for e in drawn], missing=[e.region.code for e in missing])

    y = float(MARGIN)
    if heading:
        y = _heading(pic, r, root, root_summary, stage, notice, y)

    bbox = geo.union_bbox(boundaries[e.region.code].bbox for e in drawn)
    province = boundaries.get(root.code[:2])
    if root.depth >= 2 and drawn and province is not None:
        bbox = province.bbox  # one regency or city: show it within its province
    aspect = 1.0
    if bbox is not None:
        aspect = (bbox[2] - bbox[0]) * math.cos(math.radians((bbox[1] + bbox[3]) / 2)) / max(
            bbox[3] - bbox[1], 1e-6)
    inner = width - 2 * MARGIN
    key_names = {e.region.code: _key_name(e, pic.drawn) for e in entries}
    key_w = _key_width(entries, key_names) if key else 0.0
    # The list beside the map unless the map would be the smaller half (wide regions, narrow
    # pictures): then the list goes below it, in columns.
    beside = key and aspect < 1.7 and inner - key_w - GAP >= max(360, inner / 2)
    map_w = inner - key_w - GAP if beside else inner

    map_bottom = y
    if bbox is not None:
        proj = geo.Projection.fit(bbox, map_w, max(MAP_MAX_H, width / 2), pad=12)
        if beside:  # a tall region leaves room: the list moves up to the map
            map_w = max(proj.width, 360)
            _map(pic, proj, MARGIN, y, root, drawn, boundaries)
        else:
            _map(pic, proj, MARGIN + (map_w - proj.width) / 2, y, root, drawn, boundaries)
        map_bottom = y + proj.height
    else:
        pic.items.append(Text(MARGIN, y + 20, fit_text(
            _("No boundary data to draw for {name}.").format(name=root.name), 14, map_w), 14,
            MUTED))
        map_bottom = y + 30

    below = _legend(pic, counts, no_report, no_head, MARGIN, map_bottom + 14, map_w)
    if root.depth >= 2 and r.children(root.code):
        below = _note(pic, _("Boundaries are shipped down to regency/city level: {name} is "
                             "shown as a whole.").format(name=root.name), MARGIN, below + 4,
                      map_w)
    if missing:
        below = _missing(pic, missing, MARGIN, below + 8, map_w)

    if beside:
        key_bottom = _key(pic, entries, key_names, MARGIN + map_w + GAP, y, 1, key_w)
        bottom = max(below, key_bottom)
        # A tall region leaves the right edge empty: the picture ends after the list (or the
        # heading, if that is wider).
        right = max([MARGIN + map_w + GAP + key_w]
                    + [t.x + text_width(t.text, t.size, t.bold) for t in pic.items
                       if isinstance(t, Text) and t.anchor == "start"])
        pic.width = min(width, math.ceil(right + MARGIN))
    elif key:
        columns = max(1, min(int((inner + GAP) // (key_w + GAP)), len(entries)))
        col_w = min((inner - GAP * (columns - 1)) / columns, key_w + 80)
        bottom = _key(pic, entries, key_names, MARGIN, below + 14, columns, col_w)
    else:
        bottom = below
    pic.height = math.ceil(bottom + MARGIN)
    return pic


def _heading(pic: Picture, r: Readiness, root: Region, s: Summary, stage: str | None,
             notice: str | None, y: float) -> float:
    inner = pic.width - 2 * MARGIN
    name = root.name if root.code == NATION_CODE else f"{root.name} ({root.code})"
    title = _("Readiness map: {region}").format(region=name)
    pic.items.append(Text(MARGIN, y + 22, fit_text(title, 22, inner, True), 22, bold=True))
    y += 30
    cycle = r.cycle
    cycle_name = cycle.name_en if language() == "en" and cycle.name_en else cycle.name
    d = r.results[root.code].d
    lines = [
        cycle_name,
        _("As of {date} · {day} · voting day {voting}").format(
            date=format_date(d), day=_day(days_to_voting(cycle, d)),
            voting=format_date(cycle.voting_day)),
    ]
    if stage is not None:
        st = cycle.stage(stage)
        if st is not None:
            stage_title = st.title_en if language() == "en" and st.title_en else st.title
            lines.append(_("Stage: {title}").format(title=stage_title))
    lines.append(_("{region}: {level} · score {score} · target {expected}").format(
        region=root.name, level=level_word(s.level), score=pct(s.score),
        expected=pct(s.expected)))
    if root.depth < 2:
        lines.append(_("Regions that elect a head: {n}").format(n=r.electing(root.code)))
    for line in lines:
        pic.items.append(Text(MARGIN, y + 16, fit_text(line, 14, inner), 14, MUTED))
        y += 20
    if notice:
        pic.items.append(Text(MARGIN, y + 16, fit_text(notice, 14, inner, True), 14,
                              FILL["critical"], bold=True))
        y += 20
    return y + 10


@dataclass
class _Placed:
    """Round obstacles already on the map (labels, markers), to keep markers apart."""

    spots: list[tuple[float, float, float]] = field(default_factory=list)

    def free(self, x: float, y: float, r: float) -> bool:
        return all((x - a) ** 2 + (y - b) ** 2 >= (r + c + 1) ** 2 for a, b, c in self.spots)


def _map(pic: Picture, proj: geo.Projection, x0: float, y0: float, root: Region,
         drawn: Sequence[Entry], boundaries: dict[str, geo.Boundary]) -> None:
    def shift(polygons: list[geo.Polygon]) -> list[geo.Polygon]:
        return [[[(x + x0, y + y0) for x, y in ring] for ring in poly] for poly in polygons]

    codes = {e.region.code for e in drawn}
    context = _context(root, codes, boundaries, proj)
    if context:
        pic.items.append(Rect(x0, y0, proj.width, proj.height, SEA, CONTEXT_EDGE))
    context_labels: list[Text] = []
    for b, polygons in context:
        pic.items.append(Shape(shift(polygons), CONTEXT_FILL, CONTEXT_EDGE, 0.8))
        lx, ly, room = geo.label_point(polygons[0], 2.0)
        text = b.name.upper() if "." not in b.code else short_name(b.name)
        if room >= 8 and text_width(text, 11) < 2.4 * room + 40:
            context_labels.append(Text(lx + x0, ly + y0 + 4, text, 11, CONTEXT_TEXT,
                                       italic=True, anchor="middle"))
    pic.items.extend(context_labels)

    placed = _Placed()
    big: list[tuple[Entry, list[geo.Polygon], tuple[float, float, float]]] = []
    small: list[tuple[Entry, list[geo.Polygon], tuple[float, float, float]]] = []
    for e in drawn:  # worst first: a worse region keeps its label where two would collide
        polygons = geo.project(boundaries[e.region.code], proj)  # inside the view by fit
        pole = geo.label_point(polygons[0])
        bx = geo.ring_bbox(polygons[0][0])
        spot = (pole[0] + x0, pole[1] + y0, pole[2])
        # the number's half width (and its halo), or half its height for one digit
        reach = max(text_width(str(e.number), 15, bold=True) / 2, 7.5) + 2
        if (max(bx[2] - bx[0], bx[3] - bx[1]) < SMALL_PX or pole[2] < LABEL_ROOM
                or not placed.free(spot[0], spot[1], reach)):
            small.append((e, shift(polygons), spot))  # a marker, moved clear of the others
        else:
            big.append((e, shift(polygons), spot))
            placed.spots.append((spot[0], spot[1], reach))

    labels: list[Primitive] = []
    for e, polygons, (lx, ly, _room) in big:
        level = e.summary.level
        parts: list[Primitive] = [_fill(e, polygons)]
        if e.no_report and e.elects:
            parts.append(Shape(polygons, "none", TEXT, 1.6, hatch=NO_REPORT_HATCH, dashed=True))
        pic.items.append(Area(e.region.code, level, e.no_report, _area_title(e), tuple(parts),
                              e.elects))
        labels.append(Text(lx, ly + 5, str(e.number), 15, TEXT, bold=True, anchor="middle",
                           halo="#ffffff"))
    # Small areas last, so that their markers sit on top and stay hoverable.
    for e, polygons, (lx, ly, _room) in small:
        level = e.summary.level
        mx, my = _marker_spot(placed, lx, ly, x0, y0, proj)
        dashed = e.no_report and e.elects
        placed.spots.append((mx, my, MARKER_R + (3 if dashed else 0)))
        parts = [_fill(e, polygons)]
        if (mx, my) != (lx, ly):
            parts.append(Line(lx, ly, mx, my, TEXT, 1.2))
        # a hatch would drown the number: the marker is plain (grey without an election)
        parts.append(Circle(mx, my, MARKER_R, _disc(e), TEXT, 1.4))
        if dashed:  # no report: a dashed ring around the marker
            parts.append(Circle(mx, my, MARKER_R + 3, "none", TEXT, 1.4, dashed=True))
        parts.append(Text(mx, my + 4, str(e.number), 11, _ink(e), bold=True,
                          anchor="middle"))
        pic.items.append(Area(e.region.code, level, e.no_report, _area_title(e), tuple(parts),
                              e.elects))
    pic.items.extend(labels)


def _fill(e: Entry, polygons: list[geo.Polygon]) -> Shape:
    """An area's fill: its level's colour, or the grey hatch of a region that elects no head
    of its own (its level would say how the elections it only hosts are doing, which the
    map of those regions shows)."""
    if not e.elects:
        return Shape(polygons, NO_HEAD_FILL, EDGE, 0.8, hatch=NO_HEAD_HATCH_KIND)
    return Shape(polygons, FILL[e.summary.level], EDGE, 0.8)


def _disc(e: Entry) -> str:
    """The colour of an area's numbered disc (markers, the list)."""
    return FILL[e.summary.level] if e.elects else NO_HEAD_FILL


def _ink(e: Entry) -> str:
    return INK[e.summary.level] if e.elects else TEXT


def _marker_spot(placed: _Placed, x: float, y: float, x0: float, y0: float,
                 proj: geo.Projection) -> tuple[float, float]:
    """The area's own label point if free, else the nearest free spot around it."""
    lo_x, lo_y = x0 + MARKER_R + 1, y0 + MARKER_R + 1
    hi_x, hi_y = x0 + proj.width - MARKER_R - 1, y0 + proj.height - MARKER_R - 1
    for ring in range(0, 5):
        dist = ring * (2 * MARKER_R + 2)
        steps = 1 if ring == 0 else 12
        for k in range(steps):
            angle = 2 * math.pi * k / steps - math.pi / 2
            cx = min(max(x + dist * math.cos(angle), lo_x), hi_x)
            cy = min(max(y + dist * math.sin(angle), lo_y), hi_y)
            if placed.free(cx, cy, MARKER_R):
                return cx, cy
    return x, y


def _context(root: Region, codes: set[str], boundaries: dict[str, geo.Boundary],
             proj: geo.Projection) -> list[tuple[geo.Boundary, list[geo.Polygon]]]:
    """Neighbouring provinces in the view (and, around a single regency or city, the other
    regencies and cities of its province), clipped to the view: drawn pale, to show where the
    map sits. Nothing around the nation."""
    if root.code == NATION_CODE:
        return []
    view = (proj.lon0 - proj.pad / proj.kx, proj.lat0 - proj.height / proj.scale,
            proj.lon0 + (proj.width - proj.pad) / proj.kx, proj.lat0 + proj.pad / proj.scale)
    province = root.code[:2]
    out = []
    for code, b in boundaries.items():
        if code in codes:
            continue
        neighbour_province = "." not in code and code != province
        sibling = root.depth >= 2 and code.startswith(province + ".")
        if not (neighbour_province or sibling):
            continue
        x0, y0, x1, y1 = b.bbox
        if x1 < view[0] or x0 > view[2] or y1 < view[1] or y0 > view[3]:
            continue
        polygons = geo.clip(geo.project(b, proj, tolerance=0.8, min_area=4),
                            (0, 0, proj.width, proj.height))
        if polygons:
            out.append((b, polygons))
    return out


def _legend(pic: Picture, counts: dict[str | None, int], no_report: int, no_head: int,
            x0: float, y: float, width: float) -> float:
    """Swatches with the level's letter, the words, and how many areas carry each: only the
    levels some area has (a "(0)" says nothing about the map), in the order of levels; then
    no report, and no election of its own."""
    entries: list[tuple[str | None, str, str]] = []  # level, hatch, text
    for level in (*LEVEL_ORDER, None):
        if not counts.get(level):
            continue
        word = level_word(level) if level is not None else _("no items apply")
        entries.append((level, "", _("{word} ({n})").format(word=word, n=counts[level])))
    if no_report:
        entries.append((NO_REPORT, NO_REPORT_HATCH, _("{word} ({n})").format(
            word=level_word(NO_REPORT), n=no_report)))
    if no_head:
        entries.append((None, NO_HEAD_HATCH_KIND, _("{word} ({n})").format(
            word=no_election_word(), n=no_head)))
    if not entries:
        return y
    x = x0
    for level, hatch, text in entries:
        w = 22 + 6 + text_width(text, 13) + 18
        if x > x0 and x + w > x0 + width:
            x, y = x0, y + 24
        if hatch == NO_REPORT_HATCH:
            pic.items.append(Rect(x, y, 22, 16, FILL[NO_REPORT], TEXT, hatch=hatch, dashed=True))
        elif hatch:
            pic.items.append(Rect(x, y, 22, 16, NO_HEAD_FILL, EDGE, hatch=hatch))
        else:
            pic.items.append(Rect(x, y, 22, 16, FILL[level], EDGE))
            if level is not None:
                pic.items.append(Text(x + 11, y + 12.5, level_letter(level), 11, INK[level],
                                      bold=True, anchor="middle"))
        pic.items.append(Text(x + 28, y + 13, text, 13))
        x += w
    return y + 24


def _note(pic: Picture, text: str, x: float, y: float, width: float) -> float:
    for line in _wrap(text, 13, width):
        pic.items.append(Text(x, y + 13, line, 13, MUTED))
        y += 18
    return y


def _missing(pic: Picture, missing: Sequence[Entry], x: float, y: float, width: float) -> float:
    pic.items.append(Text(x, y + 13, fit_text(_("Not on the map (no boundary data):"), 13, width,
                                              True), 13, bold=True))
    y += 20
    for e in missing:
        line = _("{number}. {name} ({code}): {level} · score {score} · target {expected}"
                 ).format(number=e.number, name=e.region.name, code=e.region.code,
                          level=level_word(e.summary.level), score=pct(e.summary.score),
                          expected=pct(e.summary.expected))
        if e.no_report:
            line = _("{line} · no report").format(line=line)
        for i, part in enumerate(_wrap(line, 13, width - 16)):
            pic.items.append(Text(x + (16 if i else 0), y + 13, part, 13))
            y += 18
    return y


def _key_name(e: Entry, drawn: Sequence[str]) -> str:
    name = short_name(e.region.name)
    if e.region.code not in drawn:
        name = _("{name} (not on map)").format(name=name)
    return name


def _key_columns(entries: Sequence[Entry]) -> tuple[float, float]:
    """Widths of the level and score / expected columns of the numbered list."""
    score_w = max([text_width(_("score / target"), KEY_SMALL)]
                  + [text_width(_score_text(e.summary), KEY_FONT) for e in entries]) + 10
    level_w = max([text_width(_("Level"), KEY_SMALL)]
                  + [text_width(level_word(e.summary.level), KEY_SMALL, True)
                     for e in entries]) + 28
    return level_w, score_w


def _key_width(entries: Sequence[Entry], names: dict[str, str]) -> float:
    """One column of the numbered list: as wide as its longest name needs, up to a limit."""
    level_w, score_w = _key_columns(entries)
    name_w = max([text_width(n, KEY_FONT) for n in names.values()] + [80.0])
    return 30 + min(name_w + 8, KEY_NAME_MAX) + level_w + score_w


def _key(pic: Picture, entries: Sequence[Entry], names: dict[str, str], x0: float, y0: float,
         columns: int, col_w: float) -> float:
    """The numbered list: number on the level's colour, name, level word (after a hatched mark
    when the region has no report), score / expected."""
    rows = math.ceil(len(entries) / columns)
    header_score = _("score / target")
    level_w, score_w = _key_columns(entries)
    name_w = col_w - 30 - level_w - score_w
    bottom = y0
    for c in range(columns):
        x = x0 + c * (col_w + GAP)
        chunk = entries[c * rows:(c + 1) * rows]
        if not chunk:
            continue
        y = y0
        level_x = x + 30 + name_w
        pic.items.append(Text(x + 11, y + 14, "#", KEY_SMALL, MUTED, anchor="middle"))
        pic.items.append(Text(x + 30, y + 14, fit_text(_("Region"), KEY_SMALL, name_w),
                              KEY_SMALL, MUTED))
        pic.items.append(Text(level_x + 18, y + 14, _("Level"), KEY_SMALL, MUTED))
        pic.items.append(Text(x + col_w, y + 14, header_score, KEY_SMALL, MUTED, anchor="end"))
        y += KEY_ROW
        for e in chunk:
            level = e.summary.level
            cy = y + KEY_ROW / 2 - 2
            pic.items.append(Circle(x + 11, cy, 11, _disc(e), EDGE, 0.8))
            pic.items.append(Text(x + 11, cy + 4.5, str(e.number), 12, _ink(e), bold=True,
                                  anchor="middle"))
            pic.items.append(Text(x + 30, cy + 5, fit_text(names[e.region.code], KEY_FONT,
                                                           name_w - 6), KEY_FONT))
            if not e.elects:
                pic.items.append(Rect(level_x, cy - 6, 12, 12, NO_HEAD_FILL, EDGE,
                                      hatch=NO_HEAD_HATCH_KIND))
            elif e.no_report:
                pic.items.append(Rect(level_x, cy - 6, 12, 12, FILL[NO_REPORT], TEXT,
                                      hatch=NO_REPORT_HATCH, dashed=True))
            pic.items.append(Text(level_x + 18, cy + 5, level_word(level), KEY_SMALL,
                                  bold=True))
            pic.items.append(Text(x + col_w, cy + 5, _score_text(e.summary), KEY_FONT,
                                  anchor="end"))
            y += KEY_ROW
        bottom = max(bottom, y)
    return bottom


def _wrap(text: str, size: float, width: float) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and text_width(candidate, size) > width:
            out.append(line)
            line = word
        else:
            line = candidate
    if line:
        out.append(line)
    return [fit_text(x, size, width) for x in out]


# SVG -----------------------------------------------------------------------------------------


def _num(value: float) -> str:
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _path(polygons: Sequence[geo.Polygon]) -> str:
    """Relative path data in tenths of a pixel, rounded on absolute positions (no drift)."""
    out: list[str] = []
    for polygon in polygons:
        for ring in polygon:
            pts = [(round(x * 10), round(y * 10)) for x, y in ring]
            if len(pts) < 3:
                continue
            px, py = pts[0]
            cmds = [f"M{_tenths(px)} {_tenths(py)}l"]
            nums: list[str] = []
            for x, y in pts[1:]:
                if (x, y) == (px, py):
                    continue
                nums.append(_tenths(x - px))
                nums.append(_tenths(y - py))
                px, py = x, y
            cmds.append(" ".join(nums).replace(" -", "-"))
            cmds.append("z")
            out.append("".join(cmds))
    return "".join(out)


def _tenths(t: int) -> str:
    whole, frac = divmod(abs(t), 10)
    sign = "-" if t < 0 else ""
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{frac}"


def _paint(fill: str, stroke: str | None, width: float, hatch: str, dashed: bool,
           pattern: str) -> str:
    fill = f"url(#{_pattern(pattern, hatch)})" if hatch else fill
    out = f' fill="{fill}"'
    if stroke:
        out += f' stroke="{stroke}" stroke-width="{_num(width)}" stroke-linejoin="round"'
    if dashed:
        out += ' stroke-dasharray="5 3"'
    return out


def _pattern(prefix: str, hatch: str) -> str:
    """The id of a hatch's pattern in a picture whose ids start with ``prefix``."""
    return prefix if hatch == NO_REPORT_HATCH else f"{prefix}-nohead"


def _svg_item(item: Primitive | Area, pattern: str) -> Iterator[str]:
    if isinstance(item, Area):
        attrs = (f' class="pkmap-area" data-code="{_esc(item.code)}" '
                 f'data-level="{_esc(item.level or "none")}"')
        if item.no_report:
            attrs += ' data-no-report="1"'
        if not item.elects:
            attrs += ' data-no-election="1"'
        yield f"<g{attrs}><title>{_esc(item.title)}</title>"
        for part in item.parts:
            yield from _svg_item(part, pattern)
        yield "</g>"
    elif isinstance(item, Shape):
        rule = ' fill-rule="evenodd"' if any(len(p) > 1 for p in item.polygons) else ""
        paint = _paint(item.fill, item.stroke, item.stroke_width, item.hatch, item.dashed,
                       pattern)
        yield f'<path d="{_path(item.polygons)}"{rule}{paint}/>'
    elif isinstance(item, Circle):
        paint = _paint(item.fill, item.stroke, item.stroke_width, item.hatch, item.dashed,
                       pattern)
        yield f'<circle cx="{_num(item.x)}" cy="{_num(item.y)}" r="{_num(item.r)}"{paint}/>'
    elif isinstance(item, Rect):
        box = (f'<rect x="{_num(item.x)}" y="{_num(item.y)}" width="{_num(item.w)}" '
               f'height="{_num(item.h)}"')
        if item.hatch and item.fill != "none":  # an SVG fill is a colour or a pattern, so the
            yield f'{box} fill="{item.fill}"/>'  # colour first, the hatch over it (as in PNG)
        yield f'{box}{_paint(item.fill, item.stroke, 1, item.hatch, item.dashed, pattern)}/>'
    elif isinstance(item, Line):
        yield (f'<line x1="{_num(item.x1)}" y1="{_num(item.y1)}" x2="{_num(item.x2)}" '
               f'y2="{_num(item.y2)}" stroke="{item.stroke}" stroke-width="{_num(item.width)}"/>')
    else:
        attrs = f' x="{_num(item.x)}" y="{_num(item.y)}" font-size="{_num(item.size)}"'
        if item.fill != TEXT:
            attrs += f' fill="{item.fill}"'
        if item.bold:
            attrs += ' font-weight="700"'
        if item.italic:
            attrs += ' font-style="italic"'
        if item.anchor != "start":
            attrs += f' text-anchor="{item.anchor}"'
        if item.halo:
            attrs += (f' stroke="{item.halo}" stroke-width="3" stroke-linejoin="round" '
                      'paint-order="stroke"')
        yield f"<text{attrs}>{_esc(item.text)}</text>"


def _prefix(root_code: str, stage: str | None) -> str:
    raw = f"pkmap-{root_code}-{stage or 'all'}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:80]


def readiness_map_svg(r: Readiness, root_code: str, stage: str | None = None, *,
                      width: int = DEFAULT_WIDTH, notice: str | None = None,
                      heading: bool = True, standalone: bool = False,
                      id_prefix: str | None = None, key: bool = True) -> str:
    """The map of ``root_code`` as an ``<svg>`` element to inline in an HTML page (no XML
    declaration, no namespace URL; ``role="img"`` with an ``aria-label``); ``standalone`` adds
    the XML declaration and namespace a ``.svg`` file needs. ``notice`` is a line shown in red
    under the heading (e.g. sample data); ``id_prefix`` makes the one internal id unique when a
    page holds several maps (default: from the region and stage)."""
    pic = layout(r, root_code, stage, width=width, notice=notice, heading=heading, key=key)
    return svg_of(pic, id_prefix or _prefix(root_code, stage), standalone)


def svg_of(pic: Picture, prefix: str, standalone: bool = False) -> str:
    """A laid-out picture as SVG text."""
    pattern = f"{prefix}-hatch"
    w, h = math.ceil(pic.width), math.ceil(pic.height)
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else ""
    out = [
        f'{head}<svg{ns} class="pkmap" role="img" aria-label="{_esc(pic.label)}" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" '
        f'style="max-width:100%;height:auto;background:#ffffff">',
        f"<title>{_esc(pic.label)}</title>",
        "<style>.pkmap-area:hover>path:first-of-type,.pkmap-area:hover>circle:first-of-type"
        "{stroke:#000;stroke-width:2.5}</style>",
        f'<defs><pattern id="{_esc(pattern)}" width="{HATCH_SPACING}" '
        f'height="{HATCH_SPACING}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="{HATCH_SPACING / 2}" y1="0" x2="{HATCH_SPACING / 2}" y2="{HATCH_SPACING}" '
        f'stroke="{HATCH}" stroke-opacity="{HATCH_OPACITY}" stroke-width="{HATCH_WIDTH}"/>'
        "</pattern>"
        f'<pattern id="{_esc(pattern)}-nohead" width="{NO_HEAD_SPACING}" '
        f'height="{NO_HEAD_SPACING}" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(-45)">'
        f'<rect width="{NO_HEAD_SPACING}" height="{NO_HEAD_SPACING}" fill="{NO_HEAD_FILL}"/>'
        f'<line x1="{NO_HEAD_SPACING / 2}" y1="0" x2="{NO_HEAD_SPACING / 2}" '
        f'y2="{NO_HEAD_SPACING}" stroke="{NO_HEAD_HATCH}" stroke-width="{NO_HEAD_WIDTH}"/>'
        "</pattern></defs>",
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
    ]
    for item in pic.items:
        out.extend(_svg_item(item, pattern))
    out.append("</svg>")
    return "\n".join(out) + ("\n" if standalone else "")
