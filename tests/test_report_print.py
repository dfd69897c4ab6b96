"""The rakor report of the demo as people print and read it: headless Chromium's PDF (pages, the
verdict on page one), the layout in a real Chromium at 1366 px and in print (no overlapping or
clipped text, the map above the fold), LibreOffice's printout of the spreadsheets (legible
sizes), and the chat text.

Renders are expensive, so the demo and its reports are made once for the module and shared.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilkada_cli.base.i18n import set_language
from pilkada_cli.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
AS_OF, SINCE = "2024-08-21", "2024-08-14"
A4_LANDSCAPE_PRINT_PX = 1062  # 297 mm less 2 × 8 mm margins, at 96 px per inch
PHONE_PX = 412  # a common Android phone's CSS width
MAX_PAGES = 20
KRITIS = {"id": "KRITIS", "en": "CRITICAL"}


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo workspace and its rakor report in both languages (PDF in Indonesian only:
    Chromium prints it once), plus an Indonesian fill-in sheet."""
    root = tmp_path_factory.mktemp("print")
    saved = dict(os.environ)
    os.environ.update({"NO_COLOR": "1", "SOURCE_DATE_EPOCH": "1724220000", "HOME": str(root)})
    for var in ("PILKADA_WORKSPACE", "PILKADA_LANG", "PILKADA_OPERATOR", "PILKADA_BROWSER"):
        os.environ.pop(var, None)
    os.environ["PILKADA_HOME"] = str(root / "home")
    try:
        ws = root / "demo"
        _run("--lang", "id", "demo", str(ws))
        out: dict[str, Any] = {"ws": ws, "root": root}
        for lang in ("id", "en"):
            formats = "html,xlsx,md,text" + (",pdf" if lang == "id" and CHROMIUM else "")
            folder = root / lang
            _run("--lang", lang, "--workspace", str(ws), "report", "-f", formats, "--as-of",
                 AS_OF, "--since", SINCE, "-o", str(folder / "{region_name}.{format}"))
            out[lang] = {p.suffix[1:]: p for p in folder.iterdir()}
            out[f"status-{lang}"] = _run("--lang", lang, "--workspace", str(ws), "status",
                                         "--as-of", AS_OF, "--format", "json")
        out["sheet"] = Path(_run("--lang", "en", "--workspace", str(ws), "sheet", "16.04",
                                 "--out", str(root / "isian.xlsx")).strip())
        out["sheet-id"] = Path(_run("--lang", "id", "--workspace", str(ws), "sheet", "16.04",
                                    "--out", str(root / "isian-id.xlsx")).strip())
        # A district's report: every sheet of the workbook with real titles and notes, but few
        # pages to read back (the printed sizes come from the fixed column widths and the
        # fit-to-width of each print area, not from the number of rows).
        out["district"] = Path(_run("--workspace", str(ws), "report", "16.04.01", "-f", "xlsx",
                                    "--as-of", AS_OF, "--since", SINCE, "-o",
                                    str(root / "kecamatan.xlsx")).strip())
        yield out
    finally:
        os.environ.clear()
        os.environ.update(saved)
        set_language("en")


def test_default_report_is_named_by_the_region_and_small(demo: dict[str, Any]) -> None:
    files = demo["id"]
    assert {p.name for p in files.values()} >= {"sumatera-selatan.html", "sumatera-selatan.txt"}
    assert files["html"].stat().st_size <= 1_500_000


def test_chat_text_fits_a_phone(demo: dict[str, Any]) -> None:
    import json

    for lang in ("id", "en"):
        message = demo[lang]["txt"].read_text(encoding="utf-8")
        lines = message.splitlines()
        assert 10 <= len(lines) <= 40, lang
        assert not any(line.lstrip().startswith("|") for line in lines)  # no Markdown table
        assert lines[0].startswith("*") and ("SAMPLE" in lines[0] or "CONTOH" in lines[0])
        status = json.loads(demo[f"status-{lang}"])
        kritis = [r["name"].replace("Kabupaten ", "Kab. ") for r in status["regions"]
                  if r["level"] == "critical"]
        assert kritis and all(name in message for name in kritis), lang
        assert f"*{KRITIS[lang]}" in message
        # the changes in one line, without the kinds that did not happen (nothing regressed)
        assert lines[-1].startswith(("Perubahan sejak 14 Agu 2024: ",
                                     "Changes since 14 Aug 2024: "))
        assert not re.search(r"\b0\b", lines[-1]), lines[-1]


def test_markdown_is_compact(demo: dict[str, Any]) -> None:
    text = demo["id"]["md"].read_text(encoding="utf-8")
    assert len(text.splitlines()) < 1000
    assert "Lampiran" not in text  # no appendix unless asked for


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_pdf_fits_a_meeting_and_says_why_on_page_one(demo: dict[str, Any]) -> None:
    import json

    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    pdf = demo["id"]["pdf"]
    with pdf.open("rb") as fh:
        pages = sum(1 for _ in PDFPage.get_pages(fh))
    assert 3 <= pages <= MAX_PAGES
    first = " ".join(extract_text(str(pdf), page_numbers=[0]).split())
    status = json.loads(demo["status-id"])
    assert "KRITIS" in first and "Mengapa setiap wilayah berada pada kesiapannya" in first
    for region in status["regions"]:  # every child region, with its level, on page one
        assert region["name"].replace("Kabupaten ", "Kab. ") in first
    assert "kritis terlambat" in first  # the reasons, not just the level


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of a PDF, its white space collapsed to single spaces."""
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    with pdf.open("rb") as fh:
        n = sum(1 for _ in PDFPage.get_pages(fh))
    return [" ".join(extract_text(str(pdf), page_numbers=[i]).split()) for i in range(n)]


def _id_pct(value: float) -> str:
    return f"{value:.1f}%".replace(".", ",")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_every_pdf_page_is_numbered_and_carries_the_sample_banner(demo: dict[str, Any]) -> None:
    pages = _pdf_pages(demo["id"]["pdf"])
    assert len(pages) >= 3
    for n, text in enumerate(pages, 1):
        assert f"Halaman {n} dari {len(pages)}" in text, n
        assert "DATA CONTOH — bukan catatan sebenarnya" in text, n
        assert "Laporan kesiapan Pilkada: Sumatera Selatan · 21 Agustus 2024" in text, n


def test_page_one_has_the_score_and_target_of_status(demo: dict[str, Any]) -> None:
    """Page one's "score / target" of each region is the one of `status --format json` (the
    stages-under-way bar beside it is labelled as such), in the map's order."""
    import json

    status = json.loads(demo["status-id"])
    html = demo["id"]["html"].read_text(encoding="utf-8")
    table = html.split('<table class="why">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td class="n">(\d+)</td><td>([^<]*)</td>.*?<td class="n sc">'
                      r'<span class="m">Capaian / target: </span>([^<]*)</td>', table)
    assert [(int(n), name) for n, name, _s in rows] == [
        (i, r["name"].replace("Kabupaten ", "Kab. ")) for i, r in enumerate(status["regions"], 1)]
    for (_n, _name, shown), region in zip(rows, status["regions"], strict=True):
        assert shown == f"{_id_pct(region['score'])} / {_id_pct(region['expected'])}"
    assert "Tahapan berjalan (2, 3, 4, 5, 6, 8): capaian / target" in table
    lahat = next(r for r in status["regions"] if r["code"] == "16.04")
    assert (lahat["score"], lahat["expected"]) == (17.5, 29.5)  # the 35.8 / 58.4 was
    # the stages under way, printed where every other view has the whole cycle so far
    md = demo["id"]["md"].read_text(encoding="utf-8")  # the minutes carry the same numbers
    for region in status["regions"]:
        name = region["name"].replace("Kabupaten ", "Kab. ")
        assert re.search(rf"\| {re.escape(region['code'])} {re.escape(name)} \| [^|]+ \| "
                         rf"{_id_pct(region['score'])} / "
                         rf"{_id_pct(region['expected'])} \|", md), name
    if CHROMIUM is not None:
        first = _pdf_pages(demo["id"]["pdf"])[0]
        for region in status["regions"]:
            assert f"{_id_pct(region['score'])} / {_id_pct(region['expected'])}" in first


def test_critical_items_come_first_in_every_list_of_the_report(demo: dict[str, Any]) -> None:
    """Each list of the attention section (the demo's one critical blockage, in Kab. Empat
    Lawang, heads the blocked list although Kab. Lahat is worse and comes first on the map),
    and each region's block of the appendix, lists its critical items first."""
    html = demo["id"]["html"].read_text(encoding="utf-8")
    critical = '<span class="crit">(!)</span>'
    lists = re.findall(r'<table class="list">.*?<tbody>(.*?)</tbody>', html, re.S)
    appendix = html.split('<table class="items">', 1)[1]
    blocks = [b.split('<tr class="grp">')[0] for b in appendix.split('<tr class="grp">')[1:]]
    assert len(lists) >= 4 and len(blocks) >= 10
    for rows in [re.findall(r"<tr>(.*?)</tr>", body, re.S) for body in lists + blocks]:
        flags = [critical in row for row in rows]
        assert flags == sorted(flags, reverse=True), flags  # no critical after a non-critical
    blocked = re.findall(r"<tr>(.*?)</tr>", lists[0], re.S)
    assert critical in blocked[0] and "Kab. Empat Lawang" in blocked[0]
    assert (html.index("16.11 Kab. Empat Lawang · 1 butir")
            < html.index("16.04 Kab. Lahat · 21 butir"))


_LAYOUT_JS = """() => {
  const problems = [];
  const inside = (r, box) => r.left >= box.left - 1 && r.right <= box.right + 1 &&
                             r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  for (const el of document.querySelectorAll('td, th, .tile')) {
    const box = el.getBoundingClientRect();
    const what = el.textContent.trim().slice(0, 50);
    if (el.scrollWidth > el.clientWidth + 1) problems.push('clipped: ' + what);
    const range = document.createRange();
    range.selectNodeContents(el);
    for (const r of range.getClientRects()) {
      if (r.width > 0 && r.height > 0 && !inside(r, box)) {
        problems.push('runs out of its box: ' + what);
        break;
      }
    }
  }
  return problems;
}"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_layout_in_chromium_has_no_overlap_and_the_map_above_the_fold(
        demo: dict[str, Any]) -> None:
    """Every table cell's (and tile's) text stays inside its own box, on screen at 1366 × 768,
    in print at A4 landscape width and on a 412 px phone, in both languages; the map fits the
    first screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            for lang in ("id", "en"):
                page.emulate_media(media="screen")
                page.set_viewport_size({"width": 1366, "height": 768})
                page.goto(demo[lang]["html"].as_uri())
                assert page.evaluate(_LAYOUT_JS) == [], (lang, "screen")
                box = page.locator(".mapbox svg").bounding_box()
                assert box is not None and box["y"] + box["height"] <= 768, lang
                page.emulate_media(media="print")
                page.set_viewport_size({"width": A4_LANDSCAPE_PRINT_PX, "height": 740})
                assert page.evaluate(_LAYOUT_JS) == [], (lang, "print")
                # A phone (412 px): nothing wider than the screen but the matrix, which scrolls
                # in its own box; page one's reasons run the screen's width, stacked per region.
                page.emulate_media(media="screen")
                page.set_viewport_size({"width": PHONE_PX, "height": 900})
                assert page.evaluate(_LAYOUT_JS) == [], (lang, "phone")
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_PX, lang
                widths = page.evaluate("[...document.querySelectorAll('table.why td.r, "
                                       "table.list td:nth-child(2)')].map(e => e.clientWidth)")
                assert widths and min(widths) >= PHONE_PX * 0.6, (lang, min(widths))
                box = page.locator(".mapbox svg").bounding_box()
                assert box is not None and box["width"] >= PHONE_PX * 0.9, lang
        finally:
            browser.close()


def _min_font_size(pdf: Path) -> float:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    def chars(node: Any) -> Iterator[LTChar]:
        if isinstance(node, LTChar):
            yield node
        elif hasattr(node, "__iter__"):
            for child in node:
                yield from chars(child)

    return min(c.size for page in extract_pages(str(pdf)) for c in chars(page)
               if c.get_text().strip())


def _carlito() -> Path | None:
    """The folder holding Carlito (Calibri's metric twin), if fontconfig knows it."""
    fc = shutil.which("fc-list")
    if fc is None:
        return None
    found = subprocess.run([fc, ":family=Carlito", "file"], capture_output=True, text=True,
                           check=False).stdout.split(":")[0].strip()
    return Path(found).parent if found else None


def _print_with_libreoffice(root: Path, *books: Path) -> dict[str, Path]:
    """Print ``books`` to PDF as LibreOffice does, with the fonts pinned: fontconfig sees only
    Carlito's folder (Calibri maps to Carlito), so the printed sizes are the same on every
    machine whatever else is installed (a machine with other fonts measured 6.7 pt where this
    one measures 8.7: LibreOffice drew an unnamed font in a wider fallback, shrinking the
    fit-to-width page). A fresh profile and font cache per run: nothing shared between
    workers."""
    assert SOFFICE is not None
    carlito = _carlito()
    if carlito is None:
        pytest.skip("Carlito (fonts-crosextra-carlito) is not installed")
    root.mkdir(parents=True, exist_ok=True)
    conf = root / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{carlito}</dir><cachedir>{root / 'fc-cache'}</cachedir>"
        '<alias binding="same"><family>Calibri</family><prefer><family>Carlito</family>'
        "</prefer></alias></fontconfig>", encoding="utf-8")
    out = root / "pdf"
    env = {**os.environ, "HOME": str(root), "FONTCONFIG_FILE": str(conf)}
    subprocess.run(
        [SOFFICE, "--headless", "--norestore",
         f"-env:UserInstallation={(root / 'profile').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, books)],
        check=True, capture_output=True, timeout=600, env=env)
    return {b.stem: out / f"{b.stem}.pdf" for b in books}


@pytest.fixture(scope="module")
def printed(demo: dict[str, Any]) -> dict[str, Path]:
    """LibreOffice's printouts: the district's and the province's report workbooks and the
    fill-in sheet in both languages."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    books = {"district": demo["district"], "province": demo["id"]["xlsx"],
             "sheet-en": demo["sheet"], "sheet-id": demo["sheet-id"]}
    pdfs = _print_with_libreoffice(demo["root"] / "lo", *books.values())
    return {key: pdfs[book.stem] for key, book in books.items()}


def _fonts(pdf: Path) -> set[str]:
    """The fonts a PDF draws with, without their subset prefix."""
    return {name.split("+")[-1] for name in re.findall(rb"/BaseFont\s*/([\w+-]+)",
                                                         pdf.read_bytes())
            for name in [name.decode()]}


def _lines(pdf: Path) -> list[list[Any]]:
    """The text lines of each page (pdfminer's LTTextLine, with their boxes)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextBox, LTTextLine

    return [[line for box in page if isinstance(box, LTTextBox) for line in box
             if isinstance(line, LTTextLine) and line.get_text().strip()]
            for page in extract_pages(str(pdf))]


def _overlaps(lines: list[Any]) -> list[tuple[str, str]]:
    """Pairs of text lines whose boxes overlap on a page (text printed over text)."""
    out = []
    for i, a in enumerate(lines):
        for b in lines[i + 1:]:
            if (min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5
                    and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5):
                out.append((a.get_text().strip(), b.get_text().strip()))
    return out


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_spreadsheets_print_legibly_from_libreoffice(printed: dict[str, Path]) -> None:
    """The text on LibreOffice's printed pages (A4 landscape) is at least 8 pt for the report
    and 9 pt for the fill-in sheet (sizes as drawn on the page, after fit-to-width), in
    Carlito only (the fonts are pinned, so the sizes do not depend on the machine)."""
    from pdfminer.pdfpage import PDFPage

    for key, pdf in printed.items():
        assert _fonts(pdf) <= {"Carlito", "Carlito-Bold"}, (key, _fonts(pdf))
        with pdf.open("rb") as fh:
            sizes = [p.mediabox for p in PDFPage.get_pages(fh)]
        assert all(round(float(w)) == 842 and round(float(h)) == 595 for _x, _y, w, h in sizes)
        assert _min_font_size(pdf) >= (9.0 if key.startswith("sheet") else 8.0), key


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("lang", ["en", "id"])
def test_fill_in_sheet_prints_its_header_whole_above_row_one(
        printed: dict[str, Path], demo: dict[str, Any], lang: str) -> None:
    """Every page repeats the header of the print area (one page wide: No to Filled in by,
    the current note among them); no header word is broken; nothing prints over anything (the
    header was drawn over the first row); the current notes are on the page."""
    import openpyxl

    from pilkada_cli.sheet.layout import COLUMNS, INDEX

    pages = _lines(printed[f"sheet-{lang}"])
    assert 2 <= len(pages) <= 20, len(pages)
    labels = [c.label(lang) for c in COLUMNS[:INDEX["by"] + 1]]
    assert ("Current note" if lang == "en" else "Catatan saat ini") in labels
    words = {w for label in labels for w in label.split()}
    for n, lines in enumerate(pages, 1):
        tokens = {w for line in lines for w in line.get_text().split()}
        assert words <= tokens, (n, sorted(words - tokens))  # whole words, every column
        assert _overlaps(lines) == [], n
    sheet = openpyxl.load_workbook(demo["sheet" if lang == "en" else "sheet-id"]).worksheets[0]
    notes = {str(c.value) for c in next(sheet.iter_cols(min_col=INDEX["current_note"] + 1,
                                                         max_col=INDEX["current_note"] + 1))
             if c.value and str(c.value).startswith("CONTOH")}
    text = " ".join(" ".join(line.get_text().split()) for lines in pages for line in lines)
    assert notes and all(" ".join(note.split())[:30] in text for note in notes)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_report_workbook_prints_a_summary_that_reads_and_a_sensible_number_of_pages(
        printed: dict[str, Path], demo: dict[str, Any]) -> None:
    """The province's workbook printed whole is 75 pages, not 206 (Items prints the items
    that need attention or are in progress; the sheet keeps every item); the Summary's
    tables name every column and nothing on its pages prints over anything."""
    import json

    import openpyxl

    pages = _lines(printed["province"])
    assert len(pages) <= 80, len(pages)
    book = openpyxl.load_workbook(demo["id"]["xlsx"])
    summary = book.worksheets[0]
    heads = [[c.value for c in row][:4] for row in summary.iter_rows()
             if row[0].fill.fgColor.rgb == "FF1F4E78"]  # the header rows of its tables
    assert heads == [["Ringkasan", "Nilai", None, None],
                     ["Tahapan", "Judul", "Mulai", "Berakhir"]]
    summary_pages = [n for n, lines in enumerate(pages) if any(
        "Ringkasan" in line.get_text() or "Berakhir" in line.get_text() for line in lines)]
    assert summary_pages == [0, 1]
    for n in summary_pages:
        assert _overlaps(pages[n]) == [], n
    items = book.worksheets[2]
    header = [c.value for c in items[1]]
    col = header.index("Perlu perhatian")
    rows = list(items.iter_rows(min_row=2))
    shown = [r for r in rows if not items.row_dimensions[r[0].row].hidden]
    assert all(r[col].value for r in shown) and not any(
        r[col].value for r in rows if items.row_dimensions[r[0].row].hidden)
    report = json.loads(_run_json(demo))
    assert len(rows) == sum(len(a["items"]) for a in report["report"]["appendix"])
    assert 0 < len(shown) < len(rows) / 4


def _run_json(demo: dict[str, Any]) -> str:
    return _run("--lang", "id", "--workspace", str(demo["ws"]), "report", "-f", "json",
                "--as-of", AS_OF, "-o", "-")
