"""Issue 29 point 5, one CSV rule (docs/reports.md "One CSV rule"): what pilkada writes for
scripts (``--format csv``) is RFC 4180, UTF-8 without a BOM, ``,`` and ``.`` decimals in every
language; the report's CSV is Excel's Indonesian dialect; every import reads both, a file that
is not UTF-8 as Windows-1252 (saying so) and dates written dd/mm/yyyy, through the one reader
(csvtext) that record CSVs and sheets share."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import RunCli

ANSI_NOTE = ('{file}: not UTF-8, read as Windows-1252 (ANSI, as Excel saves "CSV (Comma '
             'delimited)")')
NOTE = "Gudang sewa — kontrak Rp 25.000.000; café"  # em dash and é: Windows-1252 bytes


def _events(cli: RunCli) -> dict[str, dict]:  # type: ignore[type-arg]
    result = cli("log", "--format", "json")
    assert result.exit_code == 0, result.output
    return {e["item"]: e for e in json.loads(result.stdout)["events"]}


def _excel_id(rows: list[list[str]]) -> str:
    """A record CSV as Excel in an Indonesian locale saves it: ``;``, CRLF."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue()


EXCEL_ROWS = [["region", "item", "status", "progress", "note", "at"],
              ["16.71", "nphd-kpu", "done", "", "", "15/02/2024"],
              ["16.71", "gudang", "in_progress", "50,0", NOTE, "16/02/2024 09.30"]]  # 50,0: 50


def test_an_ansi_record_csv_with_day_first_dates_is_read_and_says_so(
        mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "laporan.csv"
    path.write_bytes(_excel_id(EXCEL_ROWS).encode("cp1252"))
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [ANSI_NOTE.format(file=path),
                                          f"{path}: 2 change(s) recorded"]
    events = _events(cli)
    assert events["nphd-kpu"]["at"] == "2024-02-15T12:00:00+07:00"  # a date alone: noon
    assert events["gudang"]["at"] == "2024-02-16T09:30:00+07:00"  # Indonesian 09.30
    assert (events["gudang"]["note"], events["gudang"]["progress"]) == (NOTE, 50)


@pytest.mark.parametrize("encode", [lambda t: t.encode("utf-8"),
                                    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")],
                         ids=["utf-8", "utf-8-bom"])
def test_a_utf8_record_csv_says_nothing_about_its_encoding(
        mini_ws: Path, cli: RunCli, tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "laporan.csv"
    path.write_bytes(encode(_excel_id(EXCEL_ROWS)))
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{path}: 2 change(s) recorded\n"  # (the total only: no encoding)
    assert _events(cli)["gudang"]["note"] == NOTE


def test_the_machine_dialect_is_read_too(mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "laporan.csv"
    path.write_text("region,item,status,at\r\n16.71,nphd-kpu,done,2024-02-15T08:00\r\n",
                    encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0 and result.stderr == f"{path}: 1 change(s) recorded\n"
    assert _events(cli)["nphd-kpu"]["at"] == "2024-02-15T08:00:00+07:00"


def test_a_date_that_is_no_day_or_a_fraction_is_refused_by_its_line(
        mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "laporan.csv"
    path.write_text(_excel_id([["region", "item", "status", "progress", "at"],
                               ["16.71", "nphd-kpu", "done", "", "31/02/2024"],
                               ["16.71", "gudang", "done", "", "15/02/2024 25.00"],
                               ["16.71", "gudang", "in_progress", "", "15/02/2099"],
                               ["16.71", "gudang", "in_progress", "50,5", "15/02/2024"],
                               ["16.71", "gudang", "in_progress", "50%", "15/02/2024"]]),
                    encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}:2: bad date '31/02/2024': use dd/mm/yyyy",
        f"{path}:3: bad date '15/02/2024 25.00': use dd/mm/yyyy",
        f"{path}:4: the date 2099-02-15 is in the future",
        f"{path}:5: progress must be a whole number"]  # 50% (line 6) is fine
    assert not list((mini_ws / "records").rglob("*.jsonl"))


def test_a_file_that_is_neither_utf8_nor_ansi_is_refused_naming_the_line(
        mini_ws: Path, cli: RunCli) -> None:
    raw = b"region,item,status\n16.71,nphd-kpu,done\n\x81,gudang,done\n"  # 0x81: no cp1252
    result = cli("record", "--from", "-", input=raw)
    assert result.exit_code == 2
    assert result.stderr == ("Error: <stdin>:3: the file is neither UTF-8 nor Windows-1252 "
                             "(ANSI) text\n")


def test_the_encoding_note_speaks_the_workspace_language(
        mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "laporan.csv"
    path.write_bytes(_excel_id(EXCEL_ROWS).encode("cp1252"))
    result = cli("--lang", "id", "record", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f'{path}: bukan UTF-8, dibaca sebagai Windows-1252 (ANSI, seperti Excel menyimpan '
        f'"CSV (Comma delimited)")', f"{path}: 2 perubahan dicatat"]


def test_machine_csv_is_rfc4180_utf8_with_decimal_points_in_indonesian(
        mini_ws: Path, cli: RunCli) -> None:
    assert cli("record", "16.71", "gudang", "--status", "in_progress", "--progress", "33",
               "--note", "café; \"gudang\"", "--at", "2024-02-01T09:00").exit_code == 0
    for args in (("status", "--as-of", "2024-03-02"), ("status", "16.71", "--as-of",
                                                        "2024-03-02"), ("log",)):
        result = cli("--lang", "id", *args, "--format", "csv")
        assert result.exit_code == 0, result.output
        raw = result.stdout_bytes
        assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM: scripts read the first column
        text = raw.decode("utf-8")
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len({len(r) for r in rows}) == 1  # one width: ',' separates every field
        assert all("," not in cell for row in rows for cell in row
                   if cell.replace(",", "").isdigit())  # no decimal comma in any number
    overview = list(csv.DictReader(io.StringIO(cli("--lang", "id", "status", "--as-of",
                                                   "2024-03-02", "--format", "csv").stdout)))
    assert {r["code"]: r["score_pct"] for r in overview}["16.71"] == "3.0"
    log = list(csv.DictReader(io.StringIO(cli("log", "--format", "csv").stdout)))
    assert log[0]["note"] == "café; \"gudang\""


def test_the_sheet_path_names_the_encoding_it_assumed_too(
        mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    """A CSV saved from a fill-in sheet in the ANSI code page: the same note as a record CSV
    (the sheet tests check what it records)."""
    import openpyxl

    made = cli("sheet", "16.71")
    assert made.exit_code == 0, made.output
    [book] = [Path(line) for line in made.stdout.splitlines()]

    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)]
    path = tmp_path / "isian.csv"
    path.write_bytes(_excel_id(rows).encode("cp1252"))
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [ANSI_NOTE.format(file=path),
                                          f"{path}: nothing changed"]
