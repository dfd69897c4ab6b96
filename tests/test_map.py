"""The readiness map (issue #8): every area is a shape filled by its level with a title, the
legend carries the words, regions without boundaries are listed, text is inert, other commands
never read the boundaries, and the picture renders in Chromium and as PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from conftest import MINI_CYCLE, RunCli, write_tree
from pilkada_cli.base.i18n import format_percent, set_language
from pilkada_cli.domain import geo
from pilkada_cli.domain.checklist import load_cycle
from pilkada_cli.domain.readiness import AsOf, Readiness
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.workspace import Thresholds
from pilkada_cli.render.map import FILL, readiness_map_svg, text_width

SVG_NS = "{http://www.w3.org/2000/svg}"
SUMSEL = [f"16.{n:02d}" for n in range(1, 14)] + ["16.71", "16.72", "16.73", "16.74"]
AS_OF = "2024-03-02"


def _tag(el: ET.Element) -> str:
    return el.tag.removeprefix(SVG_NS)


def _areas(root: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-code"]: g for g in root.iter()
            if _tag(g) == "g" and g.attrib.get("class") == "pkmap-area"}


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter() if _tag(t) == "text"]


def _title(g: ET.Element) -> str:
    title = next(c for c in g if _tag(c) == "title")
    return title.text or ""


@pytest.fixture
def sumsel(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sumsel to kabupaten level with every level present on 2 March 2024: CRITICAL (the
    critical NPHD item overdue), AT RISK (a non-critical item blocked), ON TRACK, and regions
    with no report at all."""
    assert cli("init", "ws", "--region", "16", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    for args in (
        ("done", "palembang", "nphd-kpu", "--at", "2024-02-20T10:00"),
        ("done", "16.73", "nphd-kpu", "--at", "2024-02-21T10:00"),
        ("done", "16.72", "nphd-kpu", "--at", "2024-02-22T10:00"),
        ("blocked", "16.72", "gudang", "--reason", "<script>alert(1)</script> & \"lahan\"",
         "--at", "2024-02-26T10:00"),
        ("record", "16.10", "nphd-kpu", "--status", "in_progress", "--progress", "40",
         "--at", "2024-02-25T10:00"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def _status(cli: RunCli, *args: str) -> dict[str, dict]:  # type: ignore[type-arg]
    result = cli("status", "--as-of", AS_OF, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return {r["code"]: r for r in json.loads(result.stdout)["regions"]}


def _draw(cli: RunCli, out: str, *args: str) -> ET.Element:
    result = cli("--lang", "en", "map", "--as-of", AS_OF, "--out", out, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == out
    return ET.parse(out).getroot()


def test_sumsel_map_fills_every_regency_by_its_level(sumsel: Path, cli: RunCli) -> None:
    rows = _status(cli)
    assert sorted(rows) == SUMSEL
    levels = {r["level"] for r in rows.values()}
    assert levels == {"critical", "at_risk", "on_track", "no_report"}
    assert any(r["no_report"] for r in rows.values())

    root = _draw(cli, "peta.svg")
    assert _tag(root) == "svg" and root.attrib["role"] == "img"
    areas = _areas(root)
    assert sorted(areas) == SUMSEL
    set_language("en")
    for code, row in rows.items():
        g = areas[code]
        shape = next(c for c in g if _tag(c) == "path")
        assert shape.attrib["fill"] == FILL[row["level"]], code
        assert g.attrib["data-level"] == row["level"]
        title = _title(g)
        assert row["name"] in title and f"({code})" in title
        assert f"score {format_percent(row['score'] / 100)}" in title, title
        assert f"target {format_percent(row['expected'] / 100)}" in title, title
        assert ("no report" in title) == row["no_report"]
        assert (g.attrib.get("data-no-report") == "1") == row["no_report"]
        if row["no_report"]:  # hatched and dashed over the level's colour
            assert any(c.attrib.get("fill", "").startswith("url(#") for c in g), code

    texts = _texts(root)
    for word in ("CRITICAL", "AT RISK", "ON TRACK", "NO REPORT"):  # no region is upcoming
        assert any(t.startswith(word) for t in texts), word
    assert not any(t.startswith("upcoming") for t in texts)
    # Numbered worst first, and keyed to a list that carries the level as a word.
    numbers = [_title(areas[code]).split(".")[0] for code in SUMSEL]
    assert sorted(numbers, key=int) == [str(n) for n in range(1, 18)]
    first = next(code for code in SUMSEL if _title(areas[code]).startswith("1. "))
    assert rows[first]["level"] == "critical"
    assert "Kota Palembang" in texts and "Kab. Ogan Ilir" in texts


def test_small_cities_get_a_visible_marker_or_room(sumsel: Path, cli: RunCli) -> None:
    """Palembang, Pagar Alam, Lubuk Linggau and Prabumulih stay visible and hoverable: either a
    marker of minimum size or a shape big enough for its number."""
    root = _draw(cli, "peta.svg", "--width", "600")
    areas = _areas(root)
    for code in ("16.71", "16.72", "16.73", "16.74"):
        g = areas[code]
        circles = [c for c in g if _tag(c) == "circle"]
        if circles:
            assert float(circles[0].attrib["r"]) >= 8
        else:
            shape = next(c for c in g if _tag(c) == "path")
            assert len(shape.attrib["d"]) > 40


def test_stage_colours_by_that_stage(sumsel: Path, cli: RunCli) -> None:
    rows = _status(cli, "--stage", "pemungutan")
    assert {r["level"] for r in rows.values()} == {"upcoming"}
    areas = _areas(_draw(cli, "tahap.svg", "--stage", "pemungutan"))
    for code, row in rows.items():
        shape = next(c for c in areas[code] if _tag(c) == "path")
        assert shape.attrib["fill"] == FILL[row["level"]] == FILL["upcoming"]
    assert cli("map", "--stage", "nope", "--out", "x.svg").exit_code == 2


def test_nation_map_has_38_provinces(tmp_path: Path, cli: RunCli, mini_cycle: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("init", "nas", "--region", "indonesia", "--depth", "kabupaten", "--cycle",
               str(mini_cycle)).exit_code == 0
    monkeypatch.chdir(tmp_path / "nas")
    assert cli("done", "16", "nphd-kpu", "--at", "2024-02-20T10:00").exit_code == 0
    root = _draw(cli, "peta.svg")
    areas = _areas(root)
    assert len(areas) == 38 and all("." not in code for code in areas)
    assert Path("peta.svg").stat().st_size < 300_000
    assert not any(t.startswith("Not on the map") for t in _texts(root))


def test_regions_without_boundaries_are_listed(tmp_path: Path, cli: RunCli, mini_cycle: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("init", "sumut", "--region", "12", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "sumut")
    root = _draw(cli, "peta.svg")
    areas = _areas(root)
    assert "12.73" not in areas and "12.76" not in areas
    assert len(areas) == 31
    texts = _texts(root)
    assert "Not on the map (no boundary data):" in texts
    listed = [t for t in texts if "(12.73)" in t or "(12.76)" in t]
    assert len(listed) == 2 and any("Kota Sibolga (12.73)" in t for t in listed)
    assert any(t.startswith("Kota Sibolga (not on map)") for t in texts)


def test_a_city_without_boundary_cannot_be_drawn_alone(tmp_path: Path, cli: RunCli,
                                                       mini_cycle: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("init", "sumut", "--region", "12", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "sumut")
    result = cli("map", "12.73", "--out", "x.svg")
    assert result.exit_code == 2 and "no boundaries to draw for Kota Sibolga" in result.stderr
    assert not Path("x.svg").exists()
    medan = _areas(_draw(cli, "medan.svg", "medan"))
    assert list(medan) == ["12.71"]


def test_bad_out_and_records_folder_exit_2(sumsel: Path, cli: RunCli) -> None:
    bad = cli("map", "--out", "peta.pdf")
    assert bad.exit_code == 2 and ".svg or .png" in bad.stderr
    inside = cli("map", "--out", "records/peta.svg")
    assert inside.exit_code == 2 and "records folder" in inside.stderr
    assert cli("map", "--out", "x.svg", "jakarta").exit_code == 2  # outside the workspace


def test_inline_svg_is_inert_and_self_contained(mini_cycle: Path) -> None:
    hostile = '<script>alert("x")</script> & </svg><img src=x onerror=alert(1)> \x1b[31m'
    write_tree(mini_cycle, {"02-pemungutan.yaml": MINI_CYCLE["02-pemungutan.yaml"].replace(
        "title: Pemungutan suara", "title: '<b>Tahap</b> & \"kutip\"'")})
    cycle = load_cycle(mini_cycle)
    regions = [Region("16", hostile, "provinsi", "WIB"),
               Region("16.71", hostile + " kota", "kota", "WIB"),
               Region("16.72", "Kota Pagar Alam", "kota", "WIB")]
    r = Readiness(cycle, regions, {}, [], AsOf(day=date(2024, 3, 2)), Thresholds())
    for stage in (None, "pemungutan"):
        svg = readiness_map_svg(r, "16", stage, notice=hostile)
        assert svg.startswith("<svg ") and not svg.startswith("<?xml")
        assert "xmlns" not in svg and "http" not in svg and "href" not in svg
        assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
        assert "\x1b" not in svg
        assert svg.count("url(") == svg.count("url(#pkmap-16-")
        root = ET.fromstring(svg)
        assert root.attrib["role"] == "img" and "aria-label" in root.attrib
        texts = _texts(root)
        assert any('<script>alert("x")</script>' in t for t in texts)  # shown, not obeyed
        titles = [_title(g) for g in _areas(root).values()]
        assert any(hostile.replace("\x1b", "\\x1b") + " kota" in t for t in titles)
        if stage:
            assert any('<b>Tahap</b> & "kutip"' in t for t in texts)


def test_other_commands_do_not_read_the_boundaries(sumsel: Path) -> None:
    code = ("import sys\nfrom pilkada_cli.cli import app\n"
            "try:\n    app(['status', '--as-of', '2024-03-02'])\nexcept SystemExit:\n    pass\n"
            "print('geo' if 'pilkada_cli.domain.geo' in sys.modules else 'no-geo')\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=sumsel, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip().endswith("no-geo"), result.stdout + result.stderr


def test_boundaries_ship_with_their_licence() -> None:
    from importlib import resources

    data = resources.files("pilkada_cli").joinpath("data")
    assert "MIT License" in data.joinpath("batas-wilayah.LICENSE").read_text("utf-8")
    boundaries = geo.load_boundaries()
    assert len([c for c in boundaries if "." not in c]) == 38
    assert len([c for c in boundaries if c.count(".") == 1]) == 507
    assert {"12.73", "12.76", "13.74", "13.75", "31.01", "33.71", "35.76"}.isdisjoint(boundaries)


def test_geometry_helpers() -> None:
    b = geo.load_boundaries()["16"]
    proj = geo.Projection.fit(b.bbox, 800, 600, pad=10)
    assert proj.width <= 800 + 1e-6 and proj.height <= 600 + 1e-6
    assert abs(proj.width - 800) < 1e-6 or abs(proj.height - 600) < 1e-6
    polygons = geo.project(b, proj)
    x0, y0, x1, y1 = geo.ring_bbox(polygons[0][0])
    assert x0 >= 9.99 and y0 >= 9.99 and x1 <= proj.width - 9.99 and y1 <= proj.height - 9.99
    raw_points = sum(len(r) for p in b.polygons for r in p)
    assert sum(len(r) for p in polygons for r in p) < raw_points
    x, y, room = geo.label_point(polygons[0])
    assert room > 10 and geo._signed_distance(x, y, polygons[0]) > 0
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    clipped = geo.clip([[square]], (5, 5, 20, 20))
    assert len(clipped) == 1 and abs(abs(geo.ring_area(clipped[0][0])) - 25) < 1e-9
    assert geo.clip([[square]], (20, 20, 30, 30)) == []
    assert geo.simplify(square, 0.5) == square
    assert text_width("Kota", 10) > text_width("Kota", 10) * 0.9


def test_png_output(sumsel: Path, cli: RunCli) -> None:
    pytest.importorskip("PIL")
    from PIL import Image

    result = cli("map", "--as-of", AS_OF, "--out", "peta.png", "--width", "800")
    assert result.exit_code == 0, result.output
    with Image.open("peta.png") as im:
        assert im.format == "PNG" and im.width == 1600
        colours = {c for _n, c in im.convert("RGB").getcolors(1 << 20) or []}
    for level in ("critical", "at_risk", "on_track"):
        want = tuple(int(FILL[level][i:i + 2], 16) for i in (1, 3, 5))
        near = [c for c in colours if max(abs(a - b) for a, b in zip(c, want, strict=True)) <= 6]
        assert near, level


def test_png_without_the_extra_names_it(sumsel: Path, cli: RunCli,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pilkada_cli.render import map_png

    monkeypatch.setattr(map_png, "png_available", lambda: False)
    result = cli("map", "--out", "peta.png")
    assert result.exit_code == 2 and "pilkada-cli[png]" in result.stderr
    assert not Path("peta.png").exists()


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def test_renders_inline_in_chromium(sumsel: Path, cli: RunCli, tmp_path: Path) -> None:
    """The inline SVG in a page with the HTML report's CSP renders in headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed")
    pytest.importorskip("PIL")
    from PIL import Image

    from pilkada_cli.cli._common import get_session, reset_session

    reset_session()
    r = get_session().readiness(AS_OF)
    svg = readiness_map_svg(r, "16", width=900)
    page = tmp_path / "page.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv='
                    f'"Content-Security-Policy" content="{CSP}"></head><body>{svg}</body></html>',
                    encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--no-first-run",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                    "--window-size=1000,900", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists()
    with Image.open(shot) as im:
        colours = {c for _n, c in im.convert("RGB").getcolors(1 << 22) or []}
    for level in ("critical", "at_risk", "on_track"):
        want = tuple(int(FILL[level][i:i + 2], 16) for i in (1, 3, 5))
        assert want in colours, level


def test_the_legend_leaves_out_levels_no_region_has(sumsel: Path, cli: RunCli,
                                                    tmp_path: Path) -> None:
    """Only the levels some region has, in the order of levels, with their counts: in the SVG,
    in the HTML report's map and in the picture the PNG is drawn from."""
    import re

    from pilkada_cli.cli._common import get_session, reset_session
    from pilkada_cli.render.map import Text, layout

    rows = _status(cli).values()
    words = {"critical": "CRITICAL", "at_risk": "AT RISK", "on_track": "ON TRACK",
             "upcoming": "upcoming"}
    expected = [f"{word} ({n})" for level, word in words.items()
                if (n := sum(r["level"] == level for r in rows))]
    expected.append(f"NO REPORT ({sum(r['no_report'] for r in rows)})")
    assert expected == ["CRITICAL (1)", "AT RISK (1)", "ON TRACK (2)", "NO REPORT (13)"]

    def legend(texts: list[str]) -> list[str]:
        return [t for t in texts if re.fullmatch(r"[A-Za-z ]+ \(\d+\)", t)]

    root = _draw(cli, "peta.svg")
    assert legend(_texts(root)) == expected
    # NO REPORT swatches (legend, list) are painted as the areas are, and as in the PNG: the
    # grey, with the hatch over it (an SVG fill holds a colour or a pattern, not both)
    rects = [r.attrib for r in root.iter() if _tag(r) == "rect"]
    hatched = [r for r in rects if r.get("fill", "").startswith("url(#")]
    grey = {(r["x"], r["y"]) for r in rects if r.get("fill") == FILL["no_report"]}
    assert len(hatched) == 1 + 13 and all((r["x"], r["y"]) in grey for r in hatched)
    result = cli("--lang", "en", "report", "--as-of", AS_OF, "-f", "html", "-o",
                 str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    assert legend(_texts(ET.fromstring(svg))) == expected
    reset_session()
    set_language("en")
    pic = layout(get_session().readiness(AS_OF), "16", width=800)  # what png_of draws
    assert legend([t.text for t in pic.items if isinstance(t, Text)]) == expected


# --- regions that elect no head of their own (issue 28) ----------------------------------------

JAKARTA_CITIES = ["31.71", "31.72", "31.73", "31.74", "31.75"]  # 31.01 has no boundary data


@pytest.fixture
def nation(tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The nation to regency level on the shipped 2024 cycle (DI Yogyakarta's governor and DKI
    Jakarta's administrative cities and regency elect no head), with records that make Jakarta
    Pusat and DI Yogyakarta KRITIS by 1 December 2024."""
    assert cli("init", "nas", "--region", "indonesia", "--depth", "kabupaten",
               "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "nas")
    for args in (("done", "31.71", "kpps-pendaftaran", "--at", "2024-03-01"),
                 ("done", "34.71", "kpps-pendaftaran", "--at", "2024-03-01"),
                 ("done", "16", "nphd-kpu-tanda-tangan", "--at", "2024-03-01")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return tmp_path / "nas"


def _fill_of(g: ET.Element) -> str:
    return next(c for c in g if _tag(c) == "path").attrib["fill"]


def _patterns(root: ET.Element) -> dict[str, ET.Element]:
    return {p.attrib["id"]: p for p in root.iter() if _tag(p) == "pattern"}


def test_regions_without_an_election_of_their_own_are_hatched_grey(nation: Path,
                                                                   cli: RunCli) -> None:
    from pilkada_cli.render.map import NO_HEAD_FILL, NO_HEAD_HATCH

    result = cli("status", "--as-of", "2024-12-01", "--format", "json")
    rows = {r["code"]: r for r in json.loads(result.stdout)["regions"]}
    assert (rows["34"]["level"], rows["34"]["elects"]) == ("critical", False)
    assert (rows["31"]["elects"], rows["16"]["level"]) == (True, "critical")

    def draw(out: str, *args: str) -> ET.Element:
        result = cli("map", "--as-of", "2024-12-01", "--out", out, *args)
        assert result.exit_code == 0, result.output
        return ET.parse(out).getroot()

    root = draw("nasional.svg")
    areas, patterns = _areas(root), _patterns(root)
    hatch = _fill_of(areas["34"])  # the fill is the grey hatch, not KRITIS red
    assert hatch.startswith("url(#") and hatch != _fill_of(areas["16"]) == FILL["critical"]
    pattern = patterns[hatch[5:-1]]
    assert [c.attrib.get("fill") or c.attrib.get("stroke") for c in pattern] == [
        NO_HEAD_FILL, NO_HEAD_HATCH]
    assert areas["34"].attrib["data-no-election"] == "1"
    assert "elects no head" in _title(areas["34"])
    assert [c for c, g in areas.items() if "data-no-election" in g.attrib] == ["34"]
    assert _fill_of(areas["31"]) == FILL["critical"]  # Jakarta elects its governor
    texts = _texts(root)
    assert "no election of its own (1)" in texts and "CRITICAL (2)" in texts

    areas = _areas(draw("jakarta.svg", "31"))
    assert sorted(areas) == JAKARTA_CITIES
    [fill] = {_fill_of(g) for g in areas.values()}  # every city: the one grey hatch
    assert fill.startswith("url(#") and fill.endswith("-nohead)")
    assert areas["31.71"].attrib["data-level"] == "critical"
    result = cli("--lang", "id", "map", "31", "--as-of", "2024-12-01", "--out", "id.svg")
    assert result.exit_code == 0, result.output
    assert "tanpa pilkada sendiri (6)" in _texts(ET.parse("id.svg").getroot())


def test_the_png_draws_the_grey_hatch_and_no_level_colour(nation: Path, cli: RunCli) -> None:
    pytest.importorskip("PIL")
    from PIL import Image

    from pilkada_cli.render.map import NO_HEAD_FILL, NO_HEAD_HATCH

    result = cli("map", "31", "--as-of", "2024-12-01", "--out", "jakarta.png")
    assert result.exit_code == 0, result.output
    with Image.open("jakarta.png") as im:
        colours = {c for _n, c in im.convert("RGB").getcolors(1 << 20) or []}

    def near(hex_colour: str) -> bool:
        want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return any(max(abs(a - b) for a, b in zip(c, want, strict=True)) <= 6 for c in colours)

    assert near(NO_HEAD_FILL) and near(NO_HEAD_HATCH)
    assert not near(FILL["critical"])  # Jakarta Pusat is KRITIS, but elects no mayor
