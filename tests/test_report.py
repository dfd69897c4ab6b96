"""`pilkada report`: every format from one run, the numbers of `status`, inert user text, safe
and atomic output, and real renderers (headless Chromium, LibreOffice) where installed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from conftest import MINI_CYCLE, RunCli, write_tree
from pilkada_cli.base.errors import InputError, StorageError
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage import reportfiles as output
from pilkada_cli.storage.journal import Journal

AS_OF = "2024-03-10"
HOSTILE = {
    "formula": '=HYPERLINK("http://x","ok")',
    "script": "<script>alert(1)</script>",
    "markup": "[link=http://x]a[/link]",
    "pipes": "| a | b |",
}
ALL = "html,xlsx,csv,md,json"
CONFIG = """\
cycle: ../mini
region: "16"
depth: kabupaten
language: en  # assertions below compare English words; one test runs --lang id
operator: "Rina Operator"
tags:
  "16.10": [calon-tunggal]
{extra}"""


def _event(region: str, item: str, status: str, at: str, *, progress: int | None = None,
           note: str = "", evidence: tuple[str, ...] = ()) -> Event:
    return Event(id=new_event_id(), origin="test-pc", seq=SEQ_AUTO, region=region, item=item,
                 status=status, progress=progress, note=note, evidence=evidence,
                 by="Rina Operator", at=parse_at(at),
                 recorded=parse_recorded(at.replace("+07:00", "+00:00")))


def make_workspace(root: Path, extra: str = "") -> Path:
    """Sumatera Selatan to regency level on the mini cycle, with the four hostile notes."""
    write_tree(root / "mini", MINI_CYCLE)
    ws = root / "ws"
    (ws / "records").mkdir(parents=True)
    (ws / "pilkada.yaml").write_text(CONFIG.format(extra=extra), encoding="utf-8")
    events = [
        _event("16.71", "nphd-kpu", "done", "2024-02-20T10:00:00+07:00",
               note=HOSTILE["formula"], evidence=("BA-12/2024",)),
        _event("16.10", "nphd-kpu", "in_progress", "2024-02-25T10:00:00+07:00", progress=40,
               note=HOSTILE["markup"], evidence=(HOSTILE["pipes"],)),
        _event("16.10", "gudang", "blocked", "2024-03-05T10:00:00+07:00",
               note=HOSTILE["script"]),
        _event("16.04", "nphd-kpu", "done", "2024-03-04T09:00:00+07:00", note=HOSTILE["pipes"]),
        _event("16", "nphd-kpu", "done", "2024-02-10T09:00:00+07:00"),
    ]
    for ev in events:
        Journal(ws / "records").append([ev])
    return ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workspace = make_workspace(tmp_path)
    monkeypatch.setenv("PILKADA_WORKSPACE", str(workspace))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1710050400")  # 2024-03-10 06:00 UTC
    return workspace


@pytest.fixture
def reports(tmp_path: Path, ws: Path, cli: RunCli) -> dict[str, Path]:
    """Every format of the root report as of AS_OF, with changes since 2024-03-01."""
    result = cli("report", "-f", ALL, "-o", "out/{region}-{date}.{format}", "--as-of", AS_OF,
                 "--since", "2024-03-01", "--appendix", "all")
    assert result.exit_code == 0, result.output
    paths = {p.suffix[1:]: p for p in (tmp_path / "out").iterdir()}
    assert result.stdout.splitlines() == [f"out/16-{AS_OF}.{f}" for f in ALL.split(",")]
    return paths


def status_json(cli: RunCli, *args: str) -> dict[str, object]:
    result = cli("status", *args, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


# --- one run, every format --------------------------------------------------------------------


def test_every_format_is_written_in_one_run(reports: dict[str, Path]) -> None:
    assert sorted(reports) == ["csv", "html", "json", "md", "xlsx"]
    for path in reports.values():
        assert path.stat().st_size > 500
        if os.name == "posix":
            assert path.stat().st_mode & 0o777 == 0o644
    assert not list(reports["html"].parent.glob("*.tmp"))
    assert zipfile.ZipFile(reports["xlsx"]).testzip() is None


def test_default_pattern_and_formats(tmp_path: Path, ws: Path, cli: RunCli) -> None:
    result = cli("report", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [f"laporan-pilkada-16-{AS_OF}.html",
                                     f"laporan-pilkada-16-{AS_OF}.xlsx"]
    assert (tmp_path / f"laporan-pilkada-16-{AS_OF}.html").is_file()


def test_pattern_with_folders_and_region(tmp_path: Path, ws: Path, cli: RunCli) -> None:
    result = cli("report", "palembang", "-f", "md", "-o", "rakor/{date}/lap-{region}.{format}",
                 "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    made = tmp_path / "rakor" / AS_OF / "lap-16.71.md"
    assert made.is_file()
    assert "16.71 Kota Palembang" in made.read_text(encoding="utf-8")



def _files(root: Path) -> set[Path]:
    """Files a user would see: the derived cache under .pilkada/ is local state, not output."""
    return {p for p in root.rglob("*") if p.is_file() and ".pilkada" not in p.parts}

@pytest.mark.parametrize(("args", "message"), [
    (["-o", "x-{foo}.{format}"], "unknown placeholder {foo}"),
    (["-f", "html,md", "-o", "fixed.html"], "needs {format}"),
    (["-o", "x-{region.{format}"], "unbalanced brace"),
    (["-o", "{region}/../../x.{format}"], "leads outside"),
    (["-f", "docx"], "unknown report format 'docx'"),
    (["-o", "ws/records/{region}.{format}"], "never written inside the records folder"),
    (["--title", "a\x1b[2Jb"], "--title contains a control character"),
])
def test_bad_output_options_exit_2_and_write_nothing(tmp_path: Path, ws: Path, cli: RunCli,
                                                     args: list[str], message: str) -> None:
    before = _files(tmp_path)
    result = cli("report", "--as-of", AS_OF, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert _files(tmp_path) == before


def test_a_folder_linked_into_records_is_refused(tmp_path: Path, ws: Path, cli: RunCli) -> None:
    (tmp_path / "sneaky").symlink_to(ws / "records", target_is_directory=True)
    result = cli("report", "--as-of", AS_OF, "-o", "sneaky/{region}.{format}")
    assert result.exit_code == 2
    assert not list((ws / "records").glob("*.html"))
    assert "never written inside the records folder" in result.stderr


def test_placeholder_values_cannot_leave_the_folder(tmp_path: Path) -> None:
    for value in ("../etc", "a/b", "/abs", "..", "C:\\x", ""):
        with pytest.raises(InputError):
            output.expand("out/{region}.{format}", {"region": value, "format": "md"})
    assert output.expand("../x/{region}.{format}", {"region": "16.71", "format": "md"}) == \
        Path("../x/16.71.md")  # the folder the user typed is theirs to choose


def test_existing_file_is_replaced_atomically(tmp_path: Path, ws: Path, cli: RunCli) -> None:
    target = tmp_path / f"r-16-{AS_OF}.md"
    target.write_text("old report", encoding="utf-8")
    old_inode = target.stat().st_ino
    with target.open("rb") as reader:  # a reader (or Excel) keeps the old file whole
        result = cli("report", "-f", "md", "-o", "r-{region}-{date}.{format}", "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
        assert reader.read() == b"old report"
    assert target.stat().st_ino != old_inode
    assert target.read_text(encoding="utf-8").startswith("#")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".r-")) == []


def test_symlink_at_target_is_replaced_not_followed(tmp_path: Path, ws: Path,
                                                    cli: RunCli) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / f"r-16-{AS_OF}.md"
    link.symlink_to(victim)
    result = cli("report", "-f", "md", "-o", "r-{region}-{date}.{format}", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not link.is_symlink() and link.read_text(encoding="utf-8").startswith("#")


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.html"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full_disk)
    with pytest.raises(StorageError, match="no space left on device"):
        output.write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# --- the numbers are those of `status` ---------------------------------------------------------


def test_json_is_the_status_contract_plus_the_report(reports: dict[str, Path],
                                                     cli: RunCli) -> None:
    data = json.loads(reports["json"].read_text(encoding="utf-8"))
    report = data.pop("report")
    assert data == status_json(cli)
    assert report["schema"] == "pilkada.report/2"
    assert report["generated_by"] == "Rina Operator"
    assert report["generated_at"] == "2024-03-10T06:00:00+00:00"
    kinds = {(c["region"], c["item"], c["kind"]) for c in report["changes"]}
    assert ("16.04", "nphd-kpu", "done") in kinds and ("16.10", "gudang", "blocked") in kinds
    assert ("16.71", "nphd-kpu", "done") not in kinds  # done before --since


def test_region_json_is_the_status_region_contract(tmp_path: Path, ws: Path,
                                                   cli: RunCli) -> None:
    assert cli("report", "16.10", "-f", "json", "-o", "r.{format}", "--as-of", AS_OF
               ).exit_code == 0
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    del data["report"]
    assert data == status_json(cli, "16.10")


def test_xlsx_codes_percentages_and_levels_equal_status(reports: dict[str, Path],
                                                         cli: RunCli) -> None:
    status = status_json(cli)
    book = openpyxl.load_workbook(reports["xlsx"])
    assert book.sheetnames == ["Summary", "Regions", "Items", "Attention", "Changes"]
    sheet = book["Regions"]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith("A1:")
    header = [c.value for c in sheet[1]]
    col = {h: i for i, h in enumerate(header)}
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    expected = [status["root"], *status["regions"]]  # type: ignore[list-item]
    assert len(rows) == len(expected)
    for region in expected:
        row = rows[region["code"]]
        assert row[0].data_type == "s" and row[0].number_format == "@"
        assert row[1].value == region["name"].replace("Kabupaten ", "Kab. ")
        level = row[col["Level"]]
        assert level.value.casefold().replace(" ", "_") == region["level"]
        assert level.fill.fgColor.rgb != "00000000"  # coloured, with the word inside
        for key, field in (("Score", "score"), ("Target", "expected")):
            cell = row[col[key]]
            assert cell.number_format == "0.0%"
            assert round(cell.value * 100, 1) == region[field]
        for stage in region["stages"]:  # each stage: a sortable number, its level beside it
            n = next(h for h in header if h.endswith(". level")).split(".")[0]
            if stage["id"] == "persiapan":
                score, word = row[col[f"{n}. Persiapan"]], row[col[f"{n}. level"]]
                assert isinstance(score.value, float) and score.number_format == "0.0%"
                assert word.value.casefold().replace(" ", "_") == stage["level"]
    assert rows["16.10"][0].value == "16.10"  # not 16.1
    # printed: A4 landscape over the columns a reader needs, header row on every page
    assert sheet.print_area == "'Regions'!$A$1:$J$" + str(len(expected) + 1)
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1"
    items = book["Items"]
    header = [c.value for c in items[1]]
    due = next(r for r in items.iter_rows(min_row=2) if r[header.index("Item")].value ==
               "nphd-kpu")
    assert due[header.index("Due")].is_date and due[header.index("Due")].value.year == 2024


def test_csv_is_utf8_bom_semicolon_one_row_per_region_item(reports: dict[str, Path]) -> None:
    raw = reports["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    pairs = {(r["Region code"], r["Item id"]) for r in rows}
    assert len(pairs) == len(rows)
    assert ("16.10", "sosialisasi-kolom-kosong") in pairs  # tagged calon-tunggal
    assert ("16.71", "sosialisasi-kolom-kosong") not in pairs
    blocked = next(r for r in rows if (r["Region code"], r["Item id"]) == ("16.10", "gudang"))
    assert (blocked["Status id"], blocked["Critical (1/0)"], blocked["Weight"]) == \
        ("blocked", "0", "2")
    assert blocked["Due"] == "2024-06-30"


# --- user text is inert everywhere ------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [f"{k}={v}" for k, v in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_notes_are_literal_and_dead_in_html(reports: dict[str, Path]) -> None:
    html = reports["html"].read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.text)
    for note in HOSTILE.values():
        assert note in text
    assert "script" not in parser.tags and "a" not in parser.tags
    assert not any(a.startswith(("href", "src", "on")) for a in parser.attrs)
    assert "<script" not in html.lower()


def test_a_hostile_title_in_the_page_margins_stays_a_css_string(tmp_path: Path, ws: Path,
                                                                 cli: RunCli) -> None:
    """The title is printed in every page's margin through CSS ``content``: quotes, a
    backslash, ``}`` or ``</style>`` in it are hex escapes, never CSS or markup."""
    title = 'R"}</style><script>x</script>\\ \' ;{'
    result = cli("report", "-f", "html", "-o", "t.html", "--as-of", AS_OF, "--title", title)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style  # nothing can end the style element
    margin = re.search(r"@bottom-left\{content:(\"[^\"]*\");", style)
    assert margin is not None
    decoded = re.sub(r"\\([0-9a-f]{6}) ", lambda m: chr(int(m[1], 16)), margin[1][1:-1])
    assert decoded == f"{title} · 10 March 2024"
    assert "<script" not in html.lower()


def test_hostile_notes_are_literal_and_dead_in_markdown(reports: dict[str, Path]) -> None:
    from markdown_it import MarkdownIt

    md = reports["md"].read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    parser = _Text()
    parser.feed(rendered)
    text = "".join(parser.text)
    for note in HOSTILE.values():
        assert note in text
    assert "script" not in parser.tags and "a" not in parser.tags
    for table in re.findall(r"<table>.*?</table>", rendered, re.S):
        widths = {row.count("<td") + row.count("<th") for row in re.findall(r"<tr>.*?</tr>",
                                                                             table, re.S)}
        assert len(widths) == 1  # no pipe in a note split a cell


def test_hostile_notes_are_literal_and_dead_in_csv(reports: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(reports["csv"].read_text(encoding="utf-8-sig")),
                               delimiter=";"))
    notes = {(r["Region code"], r["Item id"]): r for r in rows}
    assert notes[("16.71", "nphd-kpu")]["Note"] == "'" + HOSTILE["formula"]
    assert notes[("16.10", "gudang")]["Note"] == HOSTILE["script"]
    assert notes[("16.10", "nphd-kpu")]["Note"] == HOSTILE["markup"]
    assert notes[("16.10", "nphd-kpu")]["Evidence"] == HOSTILE["pipes"]


def test_hostile_notes_are_literal_and_dead_in_xlsx(reports: dict[str, Path]) -> None:
    with zipfile.ZipFile(reports["xlsx"]) as zf:
        assert not any(re.search(rb"<f[ >]", zf.read(n)) for n in zf.namelist())
    book = openpyxl.load_workbook(reports["xlsx"])
    found = {}
    for cell in (c for row in book["Items"].iter_rows() for c in row):
        if cell.value in HOSTILE.values():
            assert cell.data_type == "s"
            found[cell.value] = cell
    assert set(found) == set(HOSTILE.values())
    assert found[HOSTILE["formula"]].quotePrefix  # stays text even when edited in Excel


def test_hostile_notes_are_data_in_json(reports: dict[str, Path]) -> None:
    data = json.loads(reports["json"].read_text(encoding="utf-8"))
    notes = {i["note"] for a in data["report"]["appendix"] for i in a["items"]}
    assert {HOSTILE["formula"], HOSTILE["script"], HOSTILE["markup"]} <= notes


def test_sample_data_is_marked_in_every_format(tmp_path: Path, cli: RunCli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILKADA_WORKSPACE", str(make_workspace(tmp_path, "sample: true\n")))
    assert cli("report", "-f", ALL, "-o", "s.{format}", "--as-of", AS_OF).exit_code == 0
    for fmt in ("html", "md", "json"):
        assert "SAMPLE DATA" in (tmp_path / f"s.{fmt}").read_text(encoding="utf-8"), fmt
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig")),
                               delimiter=";"))
    assert rows and all(r["Sample data"].startswith("SAMPLE DATA") for r in rows)
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["report"]["sample"]
    assert openpyxl.load_workbook(tmp_path / "s.xlsx")["Summary"]["A2"].value.startswith(
        "SAMPLE DATA")


def test_generated_by_defaults_and_dates_in_indonesian(tmp_path: Path, ws: Path, cli: RunCli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILKADA_OPERATOR", "Budi")
    assert cli("--lang", "id", "report", "-f", "md", "-o", "a.md", "--as-of", AS_OF
               ).exit_code == 0
    text = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert "Budi" in text and "10 Maret 2024" in text and "H-262" in text
    assert cli("report", "-f", "md", "-o", "b.md", "--by", "Sari", "--as-of", AS_OF
               ).exit_code == 0
    assert "Sari" in (tmp_path / "b.md").read_text(encoding="utf-8")


# --- real renderers ---------------------------------------------------------------------------

def _bare_env(tmp_path: Path) -> dict[str, str]:
    """CI runs with a bare environment; both programs want a writable HOME."""
    return {**os.environ, "HOME": str(tmp_path)}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_html_is_self_contained(reports: dict[str, Path]) -> None:
    html = reports["html"].read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href|action|srcset)\s*=\s*["']?([^"'\s>]+)""", html, re.I)
    refs += re.findall(r"url\(\s*([^)]*)\)", html, re.I)
    refs += re.findall(r"@import", html, re.I)
    # Only references inside the document itself (the map's hatch pattern) are allowed.
    assert refs and all(ref.startswith("#pkmap-") for ref in refs)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)
    assert "<script" not in html.lower()
    assert "default-src 'none'" in html


def test_pdf_without_a_browser_names_what_to_install(ws: Path, cli: RunCli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILKADA_BROWSER", str(tmp_path / "no-such-browser"))
    result = cli("report", "-f", "html,pdf", "--as-of", AS_OF, "-o", "r.{format}")
    assert result.exit_code == 2
    assert "PDF needs Chromium, Google Chrome or Microsoft Edge" in result.stderr
    assert "apt install chromium" in result.stderr
    assert not list(tmp_path.glob("r.*"))  # nothing written, not even the HTML


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_xlsx_converts_to_csv_in_libreoffice_without_loss(reports: dict[str, Path],
                                                           tmp_path: Path, cli: RunCli) -> None:
    assert SOFFICE is not None
    out = tmp_path / "lo"
    profile = (tmp_path / "lo-profile").as_uri()
    # UTF-8 (76), every sheet (-1), cells as shown (formatted): Text - txt - csv filter options
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", options, "--outdir", str(out), str(reports["xlsx"])],
        check=True, capture_output=True, timeout=180, env=_bare_env(tmp_path))
    regions = next(out.glob("*-Regions.csv")).read_text(encoding="utf-8")
    rows = {r["Code"]: r for r in csv.DictReader(io.StringIO(regions))}
    status = status_json(cli)
    for region in [status["root"], *status["regions"]]:  # type: ignore[list-item]
        row = rows[region["code"]]  # codes survive as text: 16.10, not 16.1
        assert row["Score"] == f"{region['score']:.1f}%"
        assert row["Target"] == f"{region['expected']:.1f}%"
        assert row["Level"].casefold().replace(" ", "_") == region["level"]
    items = next(out.glob("*-Items.csv")).read_text(encoding="utf-8")
    cells = {c for r in csv.reader(io.StringIO(items)) for c in r}
    assert set(HOSTILE.values()) <= cells  # the formula stayed text: no "ok" computed
    assert "ok" not in cells


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_csv_opens_typed_in_libreoffice_with_an_indonesian_locale(reports: dict[str, Path],
                                                                  tmp_path: Path) -> None:
    assert SOFFICE is not None
    out = tmp_path / "lo"
    # import filter: ';' (59), '"' (34), UTF-8 (76), from line 1, language id-ID (1057)
    subprocess.run(
        [SOFFICE, "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--infilter=CSV:59,34,76,1,,1057", "--convert-to", "xlsx", "--outdir", str(out),
         str(reports["csv"])],
        check=True, capture_output=True, timeout=180, env=_bare_env(tmp_path))
    sheet = openpyxl.load_workbook(next(out.glob("*.xlsx"))).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "Region code"  # the BOM was understood, not glued to the first name
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    ogan_ilir = next(r for r in rows if r["Region code"].value == "16.10")
    assert ogan_ilir["Region code"].data_type == "s"  # stays 16.10
    assert ogan_ilir["Weight"].data_type == "n" and ogan_ilir["Stage no."].data_type == "n"
    assert ogan_ilir["Due"].is_date
    progress = next(r for r in rows if r["Item id"].value == "nphd-kpu" and
                    r["Region code"].value == "16.10")["Progress (%)"]
    assert (progress.value, progress.data_type) == (40, "n")


def test_chat_text_explains_the_critical_marker_only_when_it_shows(ws: Path, cli: RunCli,
                                                                   tmp_path: Path) -> None:
    def chat(*lang: str) -> list[str]:
        out = tmp_path / "chat.txt"
        result = cli(*lang, "report", "-f", "text", "--as-of", AS_OF, "-o", str(out))
        assert result.exit_code == 0, result.output
        return out.read_text(encoding="utf-8").splitlines()

    lines = chat()  # one blocked item, not critical: no marker, no legend
    assert any(t.startswith("• Kab. Ogan Ilir: Gudang logistik tersedia — ") for t in lines)
    assert not any("(!)" in t for t in lines)
    Journal(ws / "records").append([_event("16.01", "nphd-kpu", "blocked",
                                           "2024-03-06T10:00:00+07:00", note="dana belum cair")])
    for lang, legend in (("en", "(!) = critical item"), ("id", "(!) = butir kritis")):
        lines = chat("--lang", lang)
        marked = [i for i, t in enumerate(lines) if "(!)" in t and t.startswith("• ")]
        assert len(marked) == 1 and "Kab. Ogan Komering Ulu: NPHD KPU" in lines[marked[0]]
        # the legend closes the blocked list, once
        assert lines.count(legend) == 1
        assert lines[lines.index(legend) + 1] == "" and lines.index(legend) > marked[0]
        assert len(lines) <= 40


def test_markdown_explains_the_critical_marker(ws: Path, cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert cli("report", "-f", "md", "--as-of", AS_OF, "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "**NPHD KPU ditandatangani** (!) (nphd-kpu)" in text  # critical and overdue
    attention = text.split("## Needs attention", 1)[1]
    assert "(\\!) marks a critical item." in attention.split("\n- ", 1)[0]
