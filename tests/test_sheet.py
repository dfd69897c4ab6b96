"""Fill-in sheets: `pilkada sheet` makes them, `pilkada record --from` reads them back as records
(XLSX, a CSV saved from one by Excel in an Indonesian locale, a folder of them), reporting every
bad row by file, sheet and row and recording only what changed."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import MINI_CYCLE, RunCli, write_tree
from pilkada_cli.sheet.checksum import make_key, parse_key
from pilkada_cli.sheet.layout import COLUMNS, INDEX

# The mini cycle with two more preparation items and no ordering rule (a sheet's rows are every
# item of the region, in the cycle's order).
SHEET_CYCLE = {
    **MINI_CYCLE,
    "01-persiapan.yaml": MINI_CYCLE["01-persiapan.yaml"].replace(
        "            requires: [nphd-kpu]\n", """\
          - id: sk-desk
            title: SK Desk Pilkada terbit
            owner: Pemda
          - id: rakor
            title: Rakor Forkopimda
            owner: Pemda
"""),
}
SHEET = "16.71 Kota Palembang"
FIRST = 15  # the header is row 14, below the instruction block
ROWS = {"nphd-kpu": 15, "gudang": 16, "sk-desk": 17, "rakor": 18, "logistik-tps": 19}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _init(cli: RunCli, tmp_path: Path, name: str, *args: str) -> Path:
    cycle = tmp_path / "sheet-cycle"
    if not cycle.exists():
        write_tree(cycle, SHEET_CYCLE)
    result = cli("init", str(tmp_path / name), "--cycle", str(cycle), "--operator", "Rina",
                 *args)
    assert result.exit_code == 0, result.output
    return tmp_path / name


@pytest.fixture
def ws(tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _init(cli, tmp_path, "ws", "--region", "16", "--depth", "kecamatan",
                 "--language", "en")
    monkeypatch.chdir(path)
    return path


def _make(cli: RunCli, *args: str) -> list[Path]:
    """Sheets in English (these tests compare English words; sheets default to Indonesian)."""
    result = cli("sheet", "--lang", "en", *args)
    assert result.exit_code == 0, result.output
    return [Path(line) for line in result.stdout.splitlines()]


def _col(key: str) -> int:
    return INDEX[key] + 1


def _fill(path: Path, entries: dict[str, dict[str, Any]], out: Path | None = None) -> Path:
    """Type into the yellow cells of each item's row, as an office would in a spreadsheet."""
    wb = openpyxl.load_workbook(path)
    sheet = wb.active
    assert sheet is not None
    rows: dict[Any, int] = {}
    for r in range(FIRST, sheet.max_row + 1):
        rows.setdefault(sheet.cell(r, _col("item")).value, r)
    for item, values in entries.items():
        for key, value in values.items():
            sheet.cell(rows[item], _col(key)).value = value
    wb.save(out or path)
    return out or path


def _events(cli: RunCli) -> list[dict[str, Any]]:
    result = cli("log", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["events"]  # type: ignore[no-any-return]


def _err(result: Any) -> str:
    """stderr with its line wrapping undone."""
    return " ".join(result.stderr.split())


def _saved(stdout: str) -> list[str]:
    return [line.split()[3] for line in stdout.splitlines() if line.startswith("saved ")]


def _records(ws: Path) -> dict[str, bytes]:
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted((ws / "records").rglob("*"))
            if p.is_file() and p.suffix == ".jsonl"}


def test_round_trip_reports_bad_rows_then_records_exactly_the_changes(ws: Path,
                                                                      cli: RunCli) -> None:
    [book] = _make(cli, "palembang", "--out", "isian/{region}.xlsx")
    assert book == Path("isian/16.71.xlsx")
    # After the sheet went out, the province recorded an item the office will not touch.
    assert cli("done", "16.71", "rakor", "--at", "2024-02-20").exit_code == 0
    before = _records(ws)
    _fill(book, {
        "nphd-kpu": {"status": "selesai", "evidence": "NPHD 900/1/2023; BA-2",
                     "date": "15/02/2024", "by": "Sari"},
        "gudang": {"status": "finished"},  # not a status word
        "sk-desk": {"status": "blocked"},  # the reason is missing
        "logistik-tps": {"status": "done", "date": date(2099, 1, 1)},
    })
    wb = openpyxl.load_workbook(book)
    sheet = wb.active
    assert sheet is not None
    extra = sheet.max_row + 1  # a row for another region's item, typed below the table
    for key, value in (("item", "gudang"), ("region", "16.72"), ("status", "selesai")):
        sheet.cell(extra, _col(key)).value = value
    wb.save(book)

    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    where = f"{book}, sheet '{SHEET}', row"
    assert [line.removeprefix("Error: ") for line in result.stderr.splitlines()[1:]] == [
        f"{where} 16: unknown status 'finished'; choose one of: todo, in progress, done, "
        "blocked, not applicable",
        f"{where} 17: status blocked needs a reason: a note saying why",
        f"{where} 19: the date 01/01/2099 is in the future",
        f"{where} 20: this row is for region 16.72, but the sheet is for 16.71; record it on "
        "the sheet made for 16.72",
    ]
    assert result.stderr.splitlines()[0] == f"{book}: nothing recorded, 4 problem(s)"
    assert extra == 20 and _records(ws) == before

    _fill(book, {"gudang": {"status": "proses", "progress": 40},
                 "sk-desk": {"note": "menunggu SK Bupati"},
                 "logistik-tps": {"status": "todo", "date": None}})
    wb = openpyxl.load_workbook(book)
    wb.active.delete_rows(extra)  # type: ignore[union-attr]
    wb.save(book)
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 0, result.output
    assert _saved(result.stdout) == ["nphd-kpu", "gudang", "sk-desk"]
    events = {e["item"]: e for e in _events(cli)}
    assert len(events) == 4
    assert {k: events["nphd-kpu"][k] for k in ("status", "evidence", "by", "at")} == {
        "status": "done", "evidence": ["NPHD 900/1/2023", "BA-2"], "by": "Sari",
        "at": "2024-02-15T12:00:00+07:00"}
    assert (events["gudang"]["status"], events["gudang"]["progress"],
            events["gudang"]["by"]) == ("in_progress", 40, "Rina")
    assert (events["sk-desk"]["status"], events["sk-desk"]["note"]) == (
        "blocked", "menunggu SK Bupati")
    assert events["rakor"]["status"] == "done"  # untouched row: no revert to "todo"

    after = _records(ws)
    again = cli("record", "--verbose", "--from", "-", input=book.read_bytes())  # also from stdin
    assert again.exit_code == 0, again.output
    assert _saved(again.stdout) == [] and "<stdin>: nothing changed" in again.stderr
    assert cli("record", "--verbose", "--from", str(book)).exit_code == 0
    assert _records(ws) == after


def test_sheet_layout_locks_everything_but_the_input_columns(ws: Path, cli: RunCli) -> None:
    [book] = _make(cli, "16.71", "--as-of", "2024-02-01")
    assert book == Path("isian-pilkada-16.71-2024-02-01.xlsx")
    wb = openpyxl.load_workbook(book)
    sheet = wb[SHEET]
    assert sheet.protection.sheet
    assert sheet.cell(1, 1).value == "PILKADA READINESS FILL-IN SHEET"
    assert "State as of 1 February 2024" in str(sheet.cell(3, 1).value)
    assert [c.value for c in sheet[FIRST - 1]] == [c.label_en for c in COLUMNS]
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(_col("key"))].hidden
    for row in sheet.iter_rows(min_row=FIRST):
        for cell, column in zip(row, COLUMNS, strict=True):
            assert cell.protection.locked is not column.fill, (cell.coordinate, column.key)
    items = [sheet.cell(r, _col("item")) for r in range(FIRST, sheet.max_row + 1)]
    assert [c.value for c in items] == list(ROWS)
    assert all(c.data_type == "s" and c.number_format == "@" for c in items)
    codes = [sheet.cell(r, _col("region")) for r in range(FIRST, sheet.max_row + 1)]
    assert {(c.value, c.data_type, c.number_format) for c in codes} == {("16.71", "s", "@")}
    [status, progress, day] = sheet.data_validations.dataValidation
    assert status.formula1 == '"todo,in progress,done,blocked,not applicable"'
    assert str(status.sqref) == "H15:H19"  # the Status column, inside the print area
    assert (progress.type, progress.formula1, progress.formula2) == ("whole", "0", "100")
    assert day.type == "date"
    key = parse_key(sheet.cell(FIRST, _col("key")).value)
    assert key == make_key("mini", "16.71", None, list(ROWS))


def test_sheets_speak_indonesian_unless_english_is_asked_for(ws: Path, cli: RunCli) -> None:
    """The workspace (and this terminal) speak English, the offices Indonesian."""
    for args, title in ((("16.71",), "LEMBAR ISIAN KESIAPAN PILKADA"),
                        (("16.71", "--lang", "en"), "PILKADA READINESS FILL-IN SHEET")):
        result = cli("sheet", *args, "--out", "s.xlsx", "--as-of", "2024-02-01")
        assert result.exit_code == 0, result.output
        assert openpyxl.load_workbook("s.xlsx")[SHEET].cell(1, 1).value == title
    assert cli("--lang", "en", "sheet", "16.71", "--out", "g.xlsx").exit_code == 0
    assert openpyxl.load_workbook("g.xlsx")[SHEET].cell(1, 1).value.startswith("PILKADA")


def test_indonesian_workspace_book_with_one_sheet_per_region(tmp_path: Path, cli: RunCli,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.chdir(_init(cli, tmp_path, "ws-id", "--region", "16", "--depth", "kecamatan"))
    result = cli("sheet", "16", "--depth", "kabupaten", "--stage", "pemungutan", "--out",
                 "rakor/isian.xlsx")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(result.stdout.strip())
    assert len(wb.sheetnames) == 17  # every kabupaten and kota of Sumatera Selatan
    assert wb.sheetnames[:2] == ["16.01 Kab. Ogan Komering Ulu", "16.02 Kab. Ogan Komering Ilir"]
    sheet = wb["16.71 Kota Palembang"]
    assert sheet.cell(1, 1).value == "LEMBAR ISIAN KESIAPAN PILKADA"
    assert sheet.cell(FIRST - 1, _col("status")).value == "Status"
    assert sheet.cell(FIRST - 1, _col("note")).value == "Catatan / alasan"
    assert sheet.data_validations.dataValidation[0].formula1 == (
        '"belum,proses,selesai,terhambat,tidak berlaku"')
    assert sheet.cell(FIRST, _col("item")).value == "logistik-tps"  # only that stage
    assert sheet.cell(FIRST, _col("status")).value == "belum"
    assert sheet.max_row == FIRST


@pytest.mark.parametrize(("args", "message"), [
    (("16.71", "--out", "records/x.xlsx"), "never written inside the records folder"),
    (("16.71", "--out", "x.csv"), "--out must end in .xlsx"),
    (("19.71",), "outside this workspace"),
    (("16.71", "--stage", "nope"), "unknown stage 'nope'"),
    (("16.71.01", "--stage", "persiapan"), "no item of stage persiapan applies to 16.71.01"),
])
def test_sheet_refuses_bad_requests(ws: Path, cli: RunCli, args: tuple[str, ...],
                                    message: str) -> None:
    result = cli("sheet", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not list(ws.rglob("*.xlsx"))


def _delete_row(path: Path, row: int) -> None:
    wb = openpyxl.load_workbook(path)
    wb.active.delete_rows(row)  # type: ignore[union-attr]
    wb.save(path)


def _clear_keys(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    sheet = wb.active
    assert sheet is not None
    for r in range(FIRST, sheet.max_row + 1):
        sheet.cell(r, _col("key")).value = None
    wb.save(path)


CHANGED = ("the sheet's structure was changed from row {row} on (item ids or region codes "
           "edited, rows removed or reordered); make a new sheet with `pilkada sheet 16.71`")
TAMPERED = {
    "edited-id": (lambda p: _fill(p, {"gudang": {"item": "gudang-2"}}), CHANGED.format(row=16)),
    "edited-region": (lambda p: _fill(p, {"rakor": {"region": "16.1"}}), CHANGED.format(row=18)),
    "deleted-row": (lambda p: _delete_row(p, ROWS["rakor"]), CHANGED.format(row=18)),
    "deleted-last-row": (lambda p: _delete_row(p, ROWS["logistik-tps"]),
                         "the sheet's structure was changed: 1 row(s) at the end removed"),
    "no-key": (_clear_keys, "no sheet key: the hidden column 'Sheet key' is missing or empty"),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_tampered_sheet_is_refused_whole(case: str, ws: Path, cli: RunCli) -> None:
    [book] = _make(cli, "16.71")
    tamper, message = TAMPERED[case]
    _fill(book, {"nphd-kpu": {"status": "done"}})  # a good change that must not be recorded
    tamper(book)
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert f"{book}, sheet '{SHEET}': {message}" in _err(result)
    assert _records(ws) == {}


def test_sheet_for_another_workspace_is_refused(ws: Path, cli: RunCli, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    [book] = _make(cli, "16.71", "--out", str(tmp_path / "16.71.xlsx"))
    _fill(book, {"nphd-kpu": {"status": "done"}})
    monkeypatch.chdir(_init(cli, tmp_path, "pagar-alam", "--region", "16.72", "--language",
                            "en"))
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert (f"{book}, sheet '{SHEET}': the sheet is for 16.71 Kota Palembang, which this "
            "workspace does not have (it covers 16.72 Kota Pagar Alam)") in _err(result)
    monkeypatch.chdir(tmp_path)
    assert cli("init", "shipped", "--region", "16", "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "shipped")
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert "the sheet was made for cycle mini; this workspace uses pilkada-2024" in _err(result)
    assert not (tmp_path / "pagar-alam" / "records" / "16.71").exists()


HOSTILE = '=HYPERLINK("http://x","ok")'


def test_hostile_note_stays_a_string_both_ways(ws: Path, cli: RunCli) -> None:
    assert cli("record", "16.71", "gudang", "--status", "in_progress", "--note",
               HOSTILE).exit_code == 0
    [book] = _make(cli, "16.71")
    with zipfile.ZipFile(book) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml  # not a single formula in the workbook
    wb = openpyxl.load_workbook(book)
    sheet = wb.active
    assert sheet is not None
    note = sheet.cell(ROWS["gudang"], _col("current_note"))
    assert (note.value, note.data_type, note.quotePrefix) == (HOSTILE, "s", True)

    wb = openpyxl.load_workbook(book)  # the office types the same text into a note
    sheet = wb.active
    assert sheet is not None
    typed = sheet.cell(ROWS["nphd-kpu"], _col("note"))
    typed.value = HOSTILE
    typed.data_type = "s"  # what a text-formatted cell keeps, as Excel and Calc do
    sheet.cell(ROWS["nphd-kpu"], _col("status")).value = "in progress"
    wb.save(book)
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 0, result.output
    assert {e["item"]: e["note"] for e in _events(cli)}["nphd-kpu"] == HOSTILE

    _fill(book, {"sk-desk": {"status": "in progress", "note": "=1+1"}})  # a real formula
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert (f"{book}, sheet '{SHEET}', row 17: a formula in column 'Note / reason': type the "
            "value itself") in result.stderr


def _as_excel_id_csv(book: Path, encoding: str, edits: dict[tuple[int, str], str]) -> bytes:
    """What Excel in an Indonesian locale saves: every row as shown, ';', dd/mm/yyyy, decimal
    commas, in the ANSI code page (or UTF-8 with a BOM)."""
    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = []
        for c, value in enumerate(row, start=1):
            key = COLUMNS[c - 1].key
            if (r, key) in edits:
                value = edits[(r, key)]
            if isinstance(value, (datetime, date)):
                value = value.strftime("%d/%m/%Y")
            elif isinstance(value, float):
                value = str(value).replace(".", ",")
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return out.getvalue().encode(encoding)


def test_csv_saved_by_excel_in_an_indonesian_locale(ws: Path, cli: RunCli, tmp_path: Path) -> None:
    [book] = _make(cli, "16.71")
    note = "Gudang sewa — kontrak Rp 25.000.000; café"  # em dash and é: Windows-1252 bytes
    edits = {(ROWS["nphd-kpu"], "status"): "selesai", (ROWS["nphd-kpu"], "date"): "15/02/2024",
             (ROWS["gudang"], "status"): "proses", (ROWS["gudang"], "progress"): "50,5",
             (ROWS["gudang"], "note"): note}
    path = tmp_path / "isian.csv"
    path.write_bytes(_as_excel_id_csv(book, "cp1252", edits))
    assert "—".encode("cp1252") in path.read_bytes()
    result = cli("record", "--verbose", "--from", str(path))
    assert result.exit_code == 2
    assert (f"{path}, row 16: progress must be a whole number from 0 to 100, not '50,5'"
            in result.stderr)
    assert _records(ws) == {}

    edits[(ROWS["gudang"], "progress")] = "50"
    path.write_bytes(_as_excel_id_csv(book, "cp1252", edits))
    result = cli("record", "--verbose", "--from", str(path))
    assert result.exit_code == 0, result.output
    events = {e["item"]: e for e in _events(cli)}
    assert (events["gudang"]["progress"], events["gudang"]["note"]) == (50, note)
    assert events["nphd-kpu"]["at"] == "2024-02-15T12:00:00+07:00"
    assert len(events) == 2

    path.write_bytes(b"\xef\xbb\xbf" + _as_excel_id_csv(book, "utf-8", edits))
    # the same sheet, saved as UTF-8 with a BOM
    result = cli("record", "--verbose", "--from", str(path))
    assert result.exit_code == 0 and _saved(result.stdout) == []


def test_folder_records_each_good_file_and_reports_each_bad_one(ws: Path, cli: RunCli) -> None:
    palembang, pagar_alam = _make(cli, "16.71", "16.72", "--out", "kembali/{region}.xlsx")
    _fill(palembang, {"nphd-kpu": {"status": "done"}})
    _fill(pagar_alam, {"gudang": {"status": "na"}})  # no reason
    (ws / "kembali" / "~$16.71.xlsx").write_bytes(b"Excel's lock file")
    result = cli("record", "--verbose", "--from", "kembali")
    assert result.exit_code == 2
    assert _saved(result.stdout) == ["nphd-kpu"]
    assert (f"{pagar_alam}, sheet '16.72 Kota Pagar Alam', row 16: status na needs a reason"
            in _err(result))
    assert f"{palembang}: 1 change(s) recorded" in result.stderr
    assert [e["region"] for e in _events(cli)] == ["16.71"]

    _fill(pagar_alam, {"gudang": {"note": "tidak ada gudang baru"}})
    result = cli("record", "--verbose", "--from", "kembali")
    assert result.exit_code == 0, result.output
    assert _saved(result.stdout) == ["gudang"]
    assert sorted(e["region"] for e in _events(cli)) == ["16.71", "16.72"]


def test_one_book_is_all_or_nothing_across_its_sheets(ws: Path, cli: RunCli) -> None:
    [book] = _make(cli, "16.71", "16.72", "--out", "isian.xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [SHEET, "16.72 Kota Pagar Alam"]
    for sheet, status in zip(wb.worksheets, ("done", "blocked"), strict=True):
        sheet.cell(ROWS["gudang"], _col("status")).value = status
    wb.save(book)
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert "sheet '16.72 Kota Pagar Alam', row 16: status blocked needs a reason" in _err(result)
    assert _records(ws) == {}  # Palembang's good row waits for the whole file
    wb = openpyxl.load_workbook(book)
    wb.worksheets[1].cell(ROWS["gudang"], _col("note")).value = "lahan belum ada"
    wb.save(book)
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 0, result.output
    assert sorted((e["region"], e["status"]) for e in _events(cli)) == [
        ("16.71", "done"), ("16.72", "blocked")]


def test_plain_record_csv_still_takes_the_bulk_path(ws: Path, cli: RunCli,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "bulk.csv"
    path.write_text("region;item;status\r\n16.71;gudang;selesai\r\n", encoding="utf-8")
    result = cli("record", "--verbose", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert _saved(result.stdout) == ["gudang"]


def test_sheet_key_round_trip_and_sensitivity() -> None:
    key = make_key("pilkada-2024", "16.71", None, ["a", "b"])
    assert parse_key(str(key)) == key
    assert str(key).startswith("pilkada-sheet/1|pilkada-2024|16.71|*|")
    assert key.matches(["a", "b"]) and not key.matches(["b", "a"])
    assert make_key("pilkada-2024", "16.72", None, ["a", "b"]).digest != key.digest
    assert make_key("pilkada-2024", "16.71", "persiapan", ["a", "b"]).digest != key.digest
    assert parse_key("pilkada-sheet/1|x|16.71|*|nothex") is None


def _soffice(tmp_path: Path, target: str, source: Path, out: Path) -> Path:
    assert SOFFICE is not None
    subprocess.run(
        [SOFFICE, "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", target, "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    return out / source.with_suffix("." + target.split(":", 1)[0]).name


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_sheet_saved_through_libreoffice_imports_the_same(ws: Path, cli: RunCli,
                                                         tmp_path: Path) -> None:
    [book] = _make(cli, "16.71")
    filled = _fill(book, {
        "nphd-kpu": {"status": "selesai", "date": date(2024, 2, 15), "evidence": "BA-1; BA-2",
                     "by": "Sari"},
        "gudang": {"status": "proses", "progress": 30, "note": "tunggu lahan"},
    }, out=tmp_path / "filled.xlsx")
    cell = openpyxl.load_workbook(filled)
    cell.active.cell(ROWS["sk-desk"], _col("status")).value = "terhambat"  # type: ignore[union-attr]
    hostile = cell.active.cell(ROWS["sk-desk"], _col("note"))  # type: ignore[union-attr]
    hostile.value, hostile.data_type = HOSTILE, "s"
    cell.save(filled)
    resaved = _soffice(tmp_path, "xlsx:Calc MS Excel 2007 XML", filled, tmp_path / "lo")
    with zipfile.ZipFile(resaved) as z:  # Calc kept the drop-down, the lock and the key
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "dataValidation" in xml and "sheetProtection" in xml
    result = cli("record", "--verbose", "--from", str(resaved))
    assert result.exit_code == 0, result.output
    assert _saved(result.stdout) == ["nphd-kpu", "gudang", "sk-desk"]
    events = {e["item"]: e for e in _events(cli)}
    assert {k: events["nphd-kpu"][k] for k in ("status", "evidence", "by", "at")} == {
        "status": "done", "evidence": ["BA-1", "BA-2"], "by": "Sari",
        "at": "2024-02-15T12:00:00+07:00"}
    assert (events["gudang"]["progress"], events["sk-desk"]["note"]) == (30, HOSTILE)
    # The file as filled and a CSV that Calc saves from it (';', Indonesian) say the same.
    assert cli("record", "--verbose", "--from", str(filled)).stderr.endswith("nothing changed\n")
    as_csv = _soffice(tmp_path, "csv:Text - txt - csv (StarCalc):59,34,76,1,,1057,false,true,"
                      "true,false,false", resaved, tmp_path / "lo-csv")
    result = cli("record", "--verbose", "--from", str(as_csv))
    assert result.exit_code == 0 and _saved(result.stdout) == [], result.output


# --- issue 15: strict reading of filled CSVs and workbooks; one order across files --------------


def _tampered_csv(book: Path, tmp_path: Path, replacement: bytes) -> tuple[Path, int]:
    """A CSV saved from ``book`` whose note on the gudang row is ``replacement`` (raw bytes, as a
    hand edit in a text editor leaves them), and the line that note is on."""
    edits = {(ROWS["gudang"], "status"): "proses", (ROWS["gudang"], "note"): "MARKER",
             (ROWS["sk-desk"], "status"): "selesai"}
    raw = _as_excel_id_csv(book, "utf-8", edits)
    line = raw[:raw.index(b"MARKER")].count(b"\n") + 1
    path = tmp_path / "isian.csv"
    path.write_bytes(raw.replace(b"MARKER", replacement))
    return path, line


BAD_FILLED_CSV = {
    # the rows after the open quote were read into this note: sk-desk was never looked at
    "unclosed-quote": (b'"BA ""x', 'a quoted field that starts in this row never ends'),
    "extra-field": (b"tunggu;lahan", "18 fields, but the header has 17"),
    # a field over the csv module's limit ended the file there, silently
    "huge-field": (b"x" * 200_000, "a field is too long: more than 4096 bytes"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILLED_CSV))
def test_filled_csv_is_read_strictly(case: str, ws: Path, cli: RunCli, tmp_path: Path) -> None:
    replacement, message = BAD_FILLED_CSV[case]
    [book] = _make(cli, "16.71")
    path, line = _tampered_csv(book, tmp_path, replacement)
    result = cli("record", "--verbose", "--from", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:{line}: {message}" in result.stderr
    assert "Traceback" not in result.output
    assert _records(ws) == {}


def test_oversized_cell_in_a_workbook_is_refused(ws: Path, cli: RunCli) -> None:
    [book] = _make(cli, "16.71")
    _fill(book, {"gudang": {"status": "done", "evidence": "BA-" + "9" * 5000}})
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert (f"{book}, sheet '{SHEET}', row {ROWS['gudang']}: the value in column Evidence (BA "
            "no., SK, receipt) is too long: 5003 bytes of UTF-8, at most 4096 allowed"
            in _err(result))
    assert _records(ws) == {}


def test_a_sheet_date_long_before_the_cycle_is_refused_as_a_typo(ws: Path, cli: RunCli) -> None:
    [book] = _make(cli, "16.71")
    _fill(book, {"gudang": {"status": "done", "date": "15/02/2014"}})  # 2014 for 2024
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2
    assert (f"{book}, sheet '{SHEET}', row {ROWS['gudang']}: the date 2014-02-15 is more than a "
            "year before the first stage of cycle mini (it starts 2024-01-01): a typo?"
            in _err(result))
    assert _records(ws) == {}


EXTREME_SHEET_DATES = {
    # typed text, and a date cell (what a spreadsheet keeps when a date is typed)
    "year-9999": ("31/12/9999", "'31/12/9999' is outside the dates pilkada works with "
                  "(1900-01-01 to 2999-12-31)"),
    "year-1": ("01/01/0001", "'01/01/0001' is outside the dates pilkada works with"),
    "iso-year-1": ("0001-01-01", "'0001-01-01' is outside the dates pilkada works with"),
    "cell-9999": (datetime(9999, 12, 31), "'31/12/9999' is outside the dates pilkada works "
                  "with (1900-01-01 to 2999-12-31)"),
    "day-0": ("00/01/2024", "bad date '00/01/2024': use dd/mm/yyyy"),
}


@pytest.mark.parametrize("case", sorted(EXTREME_SHEET_DATES))
def test_an_extreme_sheet_date_is_refused_by_row(case: str, ws: Path, cli: RunCli) -> None:
    value, message = EXTREME_SHEET_DATES[case]
    [book] = _make(cli, "16.71")
    _fill(book, {"gudang": {"status": "done", "date": value}})
    result = cli("record", "--verbose", "--from", str(book))
    assert result.exit_code == 2, result.output
    assert f"{book}, sheet '{SHEET}', row {ROWS['gudang']}: {message}" in _err(result)
    assert "Traceback" not in result.output
    assert _records(ws) == {}


def test_files_of_a_folder_take_effect_in_name_order(ws: Path, cli: RunCli) -> None:
    [first] = _make(cli, "16.71", "--out", "kembali/a-{region}.xlsx")
    second = ws / "kembali" / "b-16.71.xlsx"
    shutil.copy(first, second)
    _fill(first, {"gudang": {"status": "done"}})
    _fill(second, {"gudang": {"status": "blocked", "note": "atap bocor"}})
    result = cli("record", "--verbose", "--from", "kembali")
    assert result.exit_code == 0, result.output
    done, blocked = sorted(_events(cli), key=lambda e: e["status"] != "done")
    assert (done["status"], blocked["status"]) == ("done", "blocked")
    assert done["at"] == blocked["at"] and done["recorded"] < blocked["recorded"]
    status = json.loads(cli("status", "16.71", "--format", "json").stdout)
    assert {i["item"]: i["status"] for i in status["items"]}["gudang"] == "blocked"
