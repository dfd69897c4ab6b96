"""The readiness map as a PNG, for slides: the same laid-out picture as the SVG, drawn with
Pillow (the optional ``png`` extra: ``pip install "pilkada-cli[png]"``).

Pillow installs from wheels with everything it needs, including FreeType and a scalable default
font, so no system library is required. It is imported only when a PNG is asked for; without it
the error names the extra to install. Drawing is supersampled and scaled down for smooth edges.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.i18n import _
from pilkada_cli.domain import geo
from pilkada_cli.render.map import (
    HATCH,
    HATCH_OPACITY,
    HATCH_SPACING,
    HATCH_WIDTH,
    NO_HEAD_HATCH,
    NO_HEAD_SPACING,
    NO_HEAD_WIDTH,
    NO_REPORT_HATCH,
    Area,
    Circle,
    Line,
    Picture,
    Primitive,
    Rect,
    Shape,
    Text,
)

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

SUPERSAMPLE = 2
_FONTS = {False: ("DejaVuSans.ttf", "arial.ttf", "Arial.ttf"),
          True: ("DejaVuSans-Bold.ttf", "arialbd.ttf", "Arial Bold.ttf")}


def missing_extra_message() -> str:
    """What to do when Pillow is not installed."""
    return _("PNG output needs the optional 'png' extra: pip install \"pilkada-cli[png]\" "
             "(or write an .svg file, which needs nothing more)")


def png_available() -> bool:
    """Whether Pillow can be imported."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def png_of(pic: Picture, scale: float = 2.0) -> bytes:
    """A laid-out picture as PNG bytes."""
    from PIL import Image

    painter = _Painter(pic, scale * SUPERSAMPLE)
    for item in pic.items:
        painter.draw(item)
    out = painter.image.reduce(SUPERSAMPLE)  # box filter: exactly the supersampling's average
    # A map has few colours: a palette keeps the file small and quick to write.
    out = out.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    out.save(buf, "PNG")
    return buf.getvalue()


class _Painter:
    def __init__(self, pic: Picture, k: float) -> None:
        from PIL import Image, ImageDraw

        self.k = k
        self.image: Image.Image = Image.new(
            "RGB", (math.ceil(pic.width * k), math.ceil(pic.height * k)), "#ffffff")
        self.canvas: ImageDraw.ImageDraw = ImageDraw.Draw(self.image)
        self.fonts: dict[tuple[int, bool], tuple[ImageFont.FreeTypeFont, bool]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _pts(self, ring: Sequence[geo.Point]) -> list[tuple[float, float]]:
        k = self.k
        return [(x * k, y * k) for x, y in ring]

    def _font(self, size: float, bold: bool) -> tuple[ImageFont.FreeTypeFont, bool]:
        """A font and whether bold must be faked (the bundled default has no bold)."""
        from PIL import ImageFont

        px = max(round(size * self.k), 1)
        key = (px, bold)
        if key not in self.fonts:
            for name in _FONTS[bold]:
                try:
                    self.fonts[key] = (ImageFont.truetype(name, px), False)
                    break
                except OSError:
                    continue
            else:
                self.fonts[key] = (ImageFont.load_default(px), bold)  # type: ignore[assignment]
        return self.fonts[key]

    def _mask(self, polygons: Sequence[geo.Polygon]) -> tuple[Image.Image, tuple[int, int]]:
        """An 8-bit mask of the polygons (holes cut out) over their bounding box."""
        from PIL import Image, ImageDraw

        pts = [self._pts(ring) for polygon in polygons for ring in polygon]
        x0 = math.floor(min(p[0] for ring in pts for p in ring))
        y0 = math.floor(min(p[1] for ring in pts for p in ring))
        x1 = math.ceil(max(p[0] for ring in pts for p in ring)) + 1
        y1 = math.ceil(max(p[1] for ring in pts for p in ring)) + 1
        mask = Image.new("L", (max(x1 - x0, 1), max(y1 - y0, 1)), 0)
        pen = ImageDraw.Draw(mask)
        for polygon in polygons:
            for i, ring in enumerate(polygon):
                shifted = [(x - x0, y - y0) for x, y in self._pts(ring)]
                if len(shifted) >= 3:
                    pen.polygon(shifted, fill=0 if i else 255)
        return mask, (x0, y0)

    def _hatch(self, mask: Image.Image, origin: tuple[int, int], kind: str) -> None:
        """The hatch of ``kind`` inside ``mask``: as the SVG's patterns draw it (no report:
        black lines rising at 45°; no election of its own: grey lines falling at 45°)."""
        from PIL import Image, ImageChops, ImageDraw

        report = kind == NO_REPORT_HATCH
        spacing, colour = (HATCH_SPACING, HATCH) if report else (NO_HEAD_SPACING, NO_HEAD_HATCH)
        opacity = HATCH_OPACITY if report else 1.0
        w, h = mask.size
        lines = Image.new("L", (w, h), 0)
        pen = ImageDraw.Draw(lines)
        step = spacing * math.sqrt(2) * self.k  # along x, for 45° lines
        width = max(round((HATCH_WIDTH if report else NO_HEAD_WIDTH) * self.k), 1)
        ox, oy = origin
        start = -(((ox + oy) if report else (ox - oy)) % step) - h
        t = start
        while t < w + h:
            if report:
                pen.line([(t, h), (t + h, 0)], fill=round(255 * opacity), width=width)
            else:
                pen.line([(t, 0), (t + h, h)], fill=round(255 * opacity), width=width)
            t += step
        alpha = ImageChops.multiply(mask, lines)
        self.image.paste(colour, (ox, oy, ox + w, oy + h), alpha)

    def _outline(self, ring: Sequence[geo.Point], colour: str, width: float,
                 dashed: bool) -> None:
        pts = self._pts(ring)
        if len(pts) < 2:
            return
        px = max(round(width * self.k), 1)
        closed = [*pts, pts[0]]
        if not dashed:
            self.canvas.line(closed, fill=colour, width=px, joint="curve")
            return
        on, off = 5 * self.k, 3 * self.k
        for a, b in _dashes(closed, on, off):
            self.canvas.line([a, b], fill=colour, width=px)

    # -- primitives ------------------------------------------------------------------------

    def draw(self, item: Primitive | Area) -> None:
        if isinstance(item, Area):
            for part in item.parts:
                self.draw(part)
        elif isinstance(item, Shape):
            self._shape(item)
        elif isinstance(item, Circle):
            self._circle(item)
        elif isinstance(item, Rect):
            ring = [(item.x, item.y), (item.x + item.w, item.y),
                    (item.x + item.w, item.y + item.h), (item.x, item.y + item.h)]
            self._shape(Shape([[ring]], item.fill, item.stroke or "none", 1, item.hatch,
                              item.dashed))
        elif isinstance(item, Line):
            self.canvas.line([(item.x1 * self.k, item.y1 * self.k),
                              (item.x2 * self.k, item.y2 * self.k)], fill=item.stroke,
                             width=max(round(item.width * self.k), 1))
        else:
            self._text(item)

    def _shape(self, s: Shape) -> None:
        if s.fill != "none" or s.hatch:
            mask, origin = self._mask(s.polygons)
            if s.fill != "none":
                w, h = mask.size
                self.image.paste(s.fill, (origin[0], origin[1], origin[0] + w, origin[1] + h),
                                 mask)
            if s.hatch:
                self._hatch(mask, origin, s.hatch)
        if s.stroke != "none":
            for polygon in s.polygons:
                for ring in polygon:
                    self._outline(ring, s.stroke, s.stroke_width, s.dashed)

    def _circle(self, c: Circle) -> None:
        k = self.k
        box = [(c.x - c.r) * k, (c.y - c.r) * k, (c.x + c.r) * k, (c.y + c.r) * k]
        if c.fill != "none":
            self.canvas.ellipse(box, fill=c.fill)
        n = max(int(c.r * 2), 24)
        ring = [(c.x + c.r * math.cos(2 * math.pi * i / n), c.y + c.r * math.sin(
            2 * math.pi * i / n)) for i in range(n)]
        if c.hatch:
            mask, origin = self._mask([[ring]])
            self._hatch(mask, origin, c.hatch)
        if c.stroke != "none":
            self._outline(ring, c.stroke, c.stroke_width, c.dashed)

    def _text(self, t: Text) -> None:
        font, fake_bold = self._font(t.size, t.bold)
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[t.anchor]
        xy = (t.x * self.k, t.y * self.k)
        kwargs: dict[str, Any] = {"font": font, "anchor": anchor}
        if t.halo:
            self.canvas.text(xy, t.text, fill=t.halo, stroke_width=max(round(1.5 * self.k), 1),
                             stroke_fill=t.halo, **kwargs)
        if fake_bold:
            kwargs.update(stroke_width=max(round(0.04 * t.size * self.k), 1),
                          stroke_fill=t.fill)
        self.canvas.text(xy, t.text, fill=t.fill, **kwargs)


def _dashes(pts: Sequence[tuple[float, float]], on: float,
            off: float) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The "on" pieces of a dashed polyline."""
    out = []
    drawing, left = True, on
    for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:], strict=True):
        seg = math.hypot(bx - ax, by - ay)
        pos = 0.0
        while seg - pos > 1e-9:
            step = min(left, seg - pos)
            if drawing:
                t0, t1 = pos / seg, (pos + step) / seg
                out.append(((ax + (bx - ax) * t0, ay + (by - ay) * t0),
                            (ax + (bx - ax) * t1, ay + (by - ay) * t1)))
            pos += step
            left -= step
            if left <= 1e-9:
                drawing = not drawing
                left = on if drawing else off
    return out
