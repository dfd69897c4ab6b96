"""Region boundaries for the readiness map: loaded lazily, projected onto a pixel viewport,
simplified to the output resolution, clipped, and given a label point.

The boundaries ship in ``data/batas-wilayah.geojson`` (38 provinces and 507 of the 514 regencies
and cities, lon/lat WGS 84; MIT licence in ``data/batas-wilayah.LICENSE``). The file is read on
the first call of :func:`load_boundaries` and only then, so commands that draw no map never pay
for it. Everything else here is pure arithmetic on coordinates.

Projection: equirectangular with the x axis scaled by the cosine of the view's centre latitude.
Indonesia spans about 6°N–11°S, so the scale error across any view is under 2 %, and the
projection is a cheap affine map of lon/lat, which keeps drawing the nation well under a second.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA = "data/batas-wilayah.geojson"

Point = tuple[float, float]
Ring = list[Point]  # closed implicitly: the last point is not repeated
Polygon = list[Ring]  # outer ring first, then holes
BBox = tuple[float, float, float, float]  # x_min, y_min, x_max, y_max


@dataclass(frozen=True)
class Boundary:
    """One region's outline in lon/lat: polygons of rings of ``[lon, lat]`` pairs."""

    code: str
    name: str
    polygons: list[list[list[list[float]]]]
    bbox: BBox  # lon_min, lat_min, lon_max, lat_max


@cache
def load_boundaries() -> dict[str, Boundary]:
    """Every shipped boundary by Kemendagri code (read once per process, on first use)."""
    raw = resources.files("pilkada_cli").joinpath(DATA).read_bytes()
    out: dict[str, Boundary] = {}
    for feature in json.loads(raw)["features"]:
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        code = str(props.get("kode", ""))
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            continue
        xs = [p[0] for poly in polygons for p in poly[0]]
        ys = [p[1] for poly in polygons for p in poly[0]]
        if not code or not xs:
            continue
        out[code] = Boundary(code, str(props.get("nama", code)), polygons,
                             (min(xs), min(ys), max(xs), max(ys)))
    return out


def union_bbox(boxes: Iterable[BBox]) -> BBox | None:
    """The bounding box of several boxes; None for none."""
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass(frozen=True)
class Projection:
    """Equirectangular lon/lat → pixels, fitted to a viewport (y grows downwards)."""

    scale: float  # pixels per degree of latitude
    kx: float  # pixels per degree of longitude: scale · cos(centre latitude)
    lon0: float
    lat0: float  # the top edge
    pad: float
    width: float  # of the fitted map, padding included
    height: float

    @classmethod
    def fit(cls, bbox: BBox, max_width: float, max_height: float, pad: float = 8) -> Projection:
        """The largest projection of ``bbox`` (lon/lat) that fits ``max_width × max_height``."""
        lon_min, lat_min, lon_max, lat_max = bbox
        coslat = math.cos(math.radians((lat_min + lat_max) / 2))
        span_x = max((lon_max - lon_min) * coslat, 1e-6)
        span_y = max(lat_max - lat_min, 1e-6)
        scale = min((max_width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
        return cls(scale, scale * coslat, lon_min, lat_max, pad,
                   span_x * scale + 2 * pad, span_y * scale + 2 * pad)

    def xy(self, lon: float, lat: float) -> Point:
        """The pixel position of a lon/lat point."""
        return (self.pad + (lon - self.lon0) * self.kx, self.pad + (self.lat0 - lat) * self.scale)


def ring_area(ring: Sequence[Point]) -> float:
    """The signed area of a ring (shoelace formula)."""
    n = len(ring)
    total = 0.0
    for i in range(n):
        x1, y1 = ring[i - 1]
        x2, y2 = ring[i]
        total += x1 * y2 - x2 * y1
    return total / 2


def ring_bbox(ring: Sequence[Point]) -> BBox:
    """The pixel bounding box of a ring."""
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def _seg_dist_sq(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    if dx or dy:
        t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
        if t > 1:
            ax, ay = bx, by
        elif t > 0:
            ax, ay = ax + dx * t, ay + dy * t
    dx, dy = px - ax, py - ay
    return dx * dx + dy * dy


def simplify(ring: Sequence[Point], tolerance: float) -> Ring:
    """Drop points closer than ``tolerance`` pixels to the last kept one, then Douglas–Peucker
    with the same tolerance: detail finer than the output resolution is invisible anyway."""
    if len(ring) < 4:
        return list(ring)
    tol_sq = tolerance * tolerance
    pts = [ring[0]]
    for p in ring[1:]:
        last = pts[-1]
        if (p[0] - last[0]) ** 2 + (p[1] - last[1]) ** 2 >= tol_sq:
            pts.append(p)
    if len(pts) < 4:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    # Split at the point farthest from the first so the closed ring has a real baseline.
    first = pts[0]
    far = max(range(len(pts)), key=lambda i: (pts[i][0] - first[0]) ** 2
              + (pts[i][1] - first[1]) ** 2)
    keep[far] = True
    stack = [(0, far), (far, len(pts) - 1)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        ax, ay = pts[lo]
        bx, by = pts[hi]
        best, index = -1.0, lo
        for i in range(lo + 1, hi):
            d = _seg_dist_sq(pts[i][0], pts[i][1], ax, ay, bx, by)
            if d > best:
                best, index = d, i
        if best > tol_sq:
            keep[index] = True
            stack.append((lo, index))
            stack.append((index, hi))
    return [p for p, k in zip(pts, keep, strict=True) if k]


def project(boundary: Boundary, proj: Projection, tolerance: float = 0.5,
            min_area: float = 0.75) -> list[Polygon]:
    """A boundary in pixels, simplified to ``tolerance``; rings smaller than ``min_area`` square
    pixels (islets that would not show) are dropped, but never the region's largest ring."""
    out: list[tuple[float, Polygon]] = []
    kx, ky, lon0, lat0, pad = proj.kx, proj.scale, proj.lon0, proj.lat0, proj.pad
    for polygon in boundary.polygons:
        rings: Polygon = []
        area = 0.0
        for i, raw in enumerate(polygon):
            ring = simplify([(pad + (p[0] - lon0) * kx, pad + (lat0 - p[1]) * ky) for p in raw],
                            tolerance)
            if ring and ring[0] == ring[-1]:
                ring.pop()
            a = abs(ring_area(ring)) if len(ring) >= 3 else 0.0
            if i == 0:
                if len(ring) < 3:
                    ring = _unsimplified_outer(raw, proj)
                    a = abs(ring_area(ring))
                area = a
            elif len(ring) < 3 or a < min_area:
                continue
            rings.append(ring)
        out.append((area, rings))
    out.sort(key=lambda t: -t[0])
    return [rings for i, (area, rings) in enumerate(out) if i == 0 or area >= min_area]


def _unsimplified_outer(raw: list[list[float]], proj: Projection) -> Ring:
    ring = [proj.xy(p[0], p[1]) for p in raw]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def clip(polygons: Sequence[Polygon], box: BBox) -> list[Polygon]:
    """Polygons cut to a rectangle (Sutherland–Hodgman, ring by ring); what falls outside is
    dropped, so context drawn around a view costs no bytes off screen."""
    out: list[Polygon] = []
    for polygon in polygons:
        outer = _clip_ring(polygon[0], box)
        if len(outer) < 3:
            continue  # holes of a polygon that is off screen do not matter
        holes = [r for r in (_clip_ring(ring, box) for ring in polygon[1:]) if len(r) >= 3]
        out.append([outer, *holes])
    return out


def _clip_ring(ring: Sequence[Point], box: BBox) -> Ring:
    x0, y0, x1, y1 = box
    bx = ring_bbox(ring) if ring else box
    if bx[0] >= x0 and bx[1] >= y0 and bx[2] <= x1 and bx[3] <= y1:
        return list(ring)
    if bx[2] < x0 or bx[0] > x1 or bx[3] < y0 or bx[1] > y1:
        return []
    pts = list(ring)
    for axis, limit, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True),
                                    (1, y1, False)):
        if not pts:
            break
        src, pts = pts, []
        prev = src[-1]
        prev_in = (prev[axis] >= limit) if keep_above else (prev[axis] <= limit)
        for cur in src:
            cur_in = (cur[axis] >= limit) if keep_above else (cur[axis] <= limit)
            if cur_in != prev_in:
                t = (limit - prev[axis]) / (cur[axis] - prev[axis])
                cut = (prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1]))
                pts.append(cut)
            if cur_in:
                pts.append(cur)
            prev, prev_in = cur, cur_in
    return pts


def _signed_distance(x: float, y: float, polygon: Polygon) -> float:
    """Distance from a point to a polygon's edges: positive inside, negative outside."""
    inside = False
    best = math.inf
    for ring in polygon:
        ax, ay = ring[-1]
        for bx, by in ring:
            if (by > y) != (ay > y) and x < (ax - bx) * (y - by) / (ay - by) + bx:
                inside = not inside
            # squared distance to the segment b→a (inlined: this is the hot loop)
            dx, dy = ax - bx, ay - by
            px, py = bx, by
            if dx or dy:
                t = ((x - bx) * dx + (y - by) * dy) / (dx * dx + dy * dy)
                if t > 1:
                    px, py = ax, ay
                elif t > 0:
                    px, py = bx + dx * t, by + dy * t
            d = (x - px) * (x - px) + (y - py) * (y - py)
            if d < best:
                best = d
            ax, ay = bx, by
    return (1 if inside else -1) * math.sqrt(best)


def label_point(polygon: Polygon, precision: float = 1.5) -> tuple[float, float, float]:
    """The pole of inaccessibility of a pixel polygon (the inside point farthest from its edges,
    found by the quadtree search of Mapbox's *polylabel*) and that distance: where a label sits
    best, and how much room it has there."""
    outer = polygon[0]
    x0, y0, x1, y1 = ring_bbox(outer)
    size = min(x1 - x0, y1 - y0)
    if size <= 0:
        return (x0 + x1) / 2, (y0 + y1) / 2, 0.0
    # Coarse rings make the search cheap; the answer only has to be good to a pixel or two.
    coarse = [simplify(r, 2 * precision) for r in polygon]
    coarse = [r for r in coarse if len(r) >= 3] or [outer]
    half = size / 2
    heap: list[tuple[float, float, float, float, float]] = []

    def push(cx: float, cy: float, h: float) -> None:
        d = _signed_distance(cx, cy, coarse)
        heapq.heappush(heap, (-(d + h * math.sqrt(2)), d, cx, cy, h))

    x = x0
    while x < x1:
        y = y0
        while y < y1:
            push(x + half, y + half, half)
            y += size
        x += size
    cx, cy = _centroid(outer)
    best_d, best_x, best_y = _signed_distance(cx, cy, coarse), cx, cy
    mid_d = _signed_distance((x0 + x1) / 2, (y0 + y1) / 2, coarse)
    if mid_d > best_d:
        best_d, best_x, best_y = mid_d, (x0 + x1) / 2, (y0 + y1) / 2
    budget = 2000
    while heap and budget:
        budget -= 1
        neg_max, d, cx, cy, h = heapq.heappop(heap)
        if d > best_d:
            best_d, best_x, best_y = d, cx, cy
        if -neg_max - best_d <= precision:
            continue
        h /= 2
        for sx in (-h, h):
            for sy in (-h, h):
                push(cx + sx, cy + sy, h)
    return best_x, best_y, max(best_d, 0.0)


def _centroid(ring: Sequence[Point]) -> Point:
    a = cx = cy = 0.0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i - 1]
        x2, y2 = ring[i]
        f = x1 * y2 - x2 * y1
        a += f
        cx += (x1 + x2) * f
        cy += (y1 + y2) * f
    if abs(a) < 1e-9:
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        return sum(xs) / n, sum(ys) / n
    return cx / (3 * a), cy / (3 * a)
