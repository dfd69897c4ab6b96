"""One language (issue 28): in a workspace set to Indonesian every message is Indonesian,
Click's and Typer's usage errors, the values they refuse (pydantic's messages under Typer),
their help and the operating system's reasons included. Each bad invocation is checked for the
exact Indonesian text and for English fragments that once leaked."""

from __future__ import annotations

import errno
import os
import pathlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, RunCli

# Fragments of the English that Click, Typer, pydantic and the OS print (case-sensitive,
# matched as words): none may reach an Indonesian workspace's user.
ENGLISH = (
    "Usage", "Options", "Arguments", "Commands", "Error", "Try", "for help", "Missing",
    "Invalid value", "No such", "is not one of", "Input should", "Value error", "unable to parse",
    "Got unexpected", "extra argument", "requires", "greater than", "less than", "valid integer",
    "valid number", "OPTIONS", "COMMAND", "ARGS", "default", "required", "Show this message",
    "<str>", "<int", "<float", "<path>", "<list", "range>", "does not exist",
    "Permission denied", "No space left", "File exists", "Is a directory", "Read-only",
    "Too many open files", "Not a directory", "Input/output error", "Operation not permitted",
    "Socket operation", "Aborted",
)


def english_in(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


@pytest.fixture
def ws(mini_ws: Path) -> Path:
    path = mini_ws / "pilkada.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("language: en", "language: id"),
                    encoding="utf-8")
    return mini_ws


# (arguments, the exact Indonesian error line)
BAD = {
    "missing-argument": (("done",), "Galat: Argumen wilayah belum diberikan."),
    "missing-second": (("done", "16.71"), "Galat: Argumen butir belum diberikan."),
    "missing-metavar": (("sheet",), "Galat: Argumen WILAYAH... belum diberikan."),
    "missing-option": (("changes",), "Galat: Opsi --since belum diberikan."),
    "no-such-option": (("status", "--bogus"), "Galat: Tidak ada opsi: --bogus"),
    "option-without-value": (("status", "--as-of"), "Galat: Opsi --as-of memerlukan nilai."),
    "flag-with-value": (("status", "--all=1"), "Galat: Opsi --all tidak menerima nilai."),
    "no-such-command": (("nosuch",), "Galat: Tidak ada perintah: nosuch"),
    "did-you-mean": (("stat",), "Galat: Tidak ada perintah: stat (maksudnya 'status', "
                                "'stages'?)"),
    "extra-arguments": (("status", "a", "b", "c"),
                        "Galat: Argumen tambahan tidak dikenal: b c"),
    "invalid-choice": (("status", "--format", "xml"),
                       "Galat: Nilai tidak sah untuk '--format' / '-f': 'xml' bukan salah satu "
                       "dari: 'table', 'plain', 'json', 'csv', 'md'"),
    "not-an-integer": (("due", "--within", "abc"),
                       "Galat: Nilai tidak sah untuk '--within': 'abc' bukan bilangan bulat"),
    "below-minimum": (("due", "--within", "-5"),
                      "Galat: Nilai tidak sah untuk '--within': '-5' kurang dari 0, batas "
                      "terkecil yang diizinkan"),
    "above-maximum": (("due", "--within", "99999"),
                      "Galat: Nilai tidak sah untuk '--within': '99999' lebih dari 3660, batas "
                      "terbesar yang diizinkan"),
    "not-a-number": (("status", "--fail-under", "x"),
                     "Galat: Nilai tidak sah untuk '--fail-under': 'x' bukan angka"),
    "subcommand": (("keys", "nope"), "Galat: Tidak ada perintah: nope"),
    "bad-lang": (("--lang", "xx", "status"),
                 "Galat: Nilai tidak sah untuk --lang: gunakan id atau en"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_usage_errors_speak_indonesian(case: str, ws: Path, cli: RunCli) -> None:
    from pilkada_cli.app.language import from_argv
    from pilkada_cli.base.i18n import set_language

    args, line = BAD[case]
    set_language(from_argv(args))  # as entry.main does before Typer reads a command name
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert line in result.stderr.splitlines(), result.stderr
    if "Cara pakai: " in result.stderr:
        assert re.search(r"Coba '[^']+ -h' untuk bantuan\.", result.stderr), result.stderr
        assert "[OPSI]" in result.stderr
    assert english_in(result.stderr) == [], result.stderr


def test_the_same_errors_stay_english_in_an_english_workspace(mini_ws: Path,
                                                              cli: RunCli) -> None:
    result = cli("due", "--within", "99999")
    assert result.exit_code == 2
    assert ("Error: Invalid value for '--within': '99999' is more than 3660, the most allowed"
            in result.stderr.splitlines())
    assert "Usage: " in result.stderr and "[OPTIONS] [region]" in result.stderr
    result = cli("status", "--format", "xml")
    assert ("Error: Invalid value for '--format' / '-f': 'xml' is not one of: 'table', "
            "'plain', 'json', 'csv', 'md'" in result.stderr.splitlines())


def _help(ws: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PILKADA_LANG"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env["COLUMNS"] = "100"
    run = subprocess.run([sys.executable, "-m", "pilkada_cli", *args, "--help"], cwd=ws,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("command", [(), ("status",), ("due",), ("record",), ("init",),
                                     ("sheet",), ("keys",), ("report",)])
def test_help_speaks_indonesian(command: tuple[str, ...], ws: Path) -> None:
    text = _help(ws, *command)
    assert text.startswith("Cara pakai: ") and " [OPSI]" in text.splitlines()[0]
    assert "Opsi:" in text and "Tampilkan pesan ini lalu keluar." in text
    assert english_in(text) == [], text
    if command == ("due",):
        # Click's range (0<=x<=3660) said in words (issue 26)
        assert "--within <bilangan bulat>" in text and "[bawaan: 14; 0 sampai 3660]" in " ".join(
            text.split())
        assert "  wilayah <teks>" in text and "[OPSI] [wilayah]" in text
    if command == ():
        assert "[OPSI] PERINTAH [ARGUMEN]..." in text and "Perintah:" in text
    if command == ("record",):
        assert "[wilayah] [butir]..." in text and "-p, --progress <bilangan bulat>" in text
    if command == ("status",):
        assert "persen. [0 sampai 100]" in " ".join(text.split())
    if command in (("sheet",), ("report",)):
        assert "-o, --out POLA" in text and "PATTERN" not in text
    assert "x<=" not in text and "x>=" not in text and "<=x" not in text


# --- the operating system's reasons ----------------------------------------------------------

REASONS = {
    errno.ENOENT: "berkas atau folder tidak ada",
    errno.EACCES: "izin ditolak",
    errno.EPERM: "operasi tidak diizinkan",
    errno.ENOSPC: "ruang disk habis",
    errno.EEXIST: "sudah ada",
    errno.EISDIR: "berupa folder",
    errno.ENOTDIR: "salah satu bagian jalurnya bukan folder",
    errno.EROFS: "sistem berkas hanya-baca",
    errno.EMFILE: "terlalu banyak berkas yang terbuka",
    errno.EIO: "galat baca/tulis disk",
    errno.ENOTSOCK: "galat sistem operasi ENOTSOCK",  # one pilkada has no words for
}


def _raise(number: int):  # type: ignore[no-untyped-def]
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(number, os.strerror(number), "x")
    return fail


@pytest.mark.parametrize("number", sorted(REASONS), ids=lambda n: errno.errorcode[n])
def test_os_reasons_speak_indonesian(number: int, ws: Path, cli: RunCli, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    reason = REASONS[number]
    rows = tmp_path / "rows.csv"
    rows.write_text("region,item,status\n16.71,gudang,done\n", encoding="utf-8")
    real = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "rows.csv":
            raise OSError(number, os.strerror(number), str(self))
        return real(self)

    with monkeypatch.context() as m:  # an input file that cannot be read
        m.setattr(pathlib.Path, "read_bytes", read_bytes)
        result = cli("record", "--from", str(rows))
    assert result.exit_code == 2, result.output
    assert f"Galat: tidak dapat membaca {rows}: {reason}" in result.stderr, result.stderr
    assert english_in(result.stderr) == [], result.stderr

    assert cli("done", "16.71", "nphd-kpu").exit_code == 0  # (this copy's origin id made)
    with monkeypatch.context() as m:  # a record file that cannot be written: NOT saved
        m.setattr(os, "fsync", _raise(number))
        result = cli("done", "16.71", "gudang")
    assert result.exit_code == 3, result.output
    assert re.search(rf"Galat: TIDAK tersimpan: {re.escape(reason)} \(records/16\.71/",
                     result.stderr), result.stderr
    assert english_in(result.stderr) == [], result.stderr

    with monkeypatch.context() as m:  # a report that cannot be written
        from pilkada_cli.storage import reportfiles as output

        m.setattr(output.os, "fsync", _raise(number))
        result = cli("report", "-f", "md", "-o", "laporan.md")
    assert result.exit_code == 3, result.output
    assert "Galat: tidak dapat menulis laporan.md: " + reason in result.stderr, result.stderr
    assert english_in(result.stderr) == [], result.stderr


def test_os_reason_names_the_code_and_keeps_the_system_text_in_english() -> None:
    from pilkada_cli.base.errors import os_reason
    from pilkada_cli.base.i18n import set_language

    set_language("en")
    assert os_reason(OSError(errno.ENOENT, "No such file or directory")) == \
        "no such file or folder"
    assert os_reason(OSError(errno.ENOTSOCK, "Socket operation on non-socket")) == \
        "Socket operation on non-socket (ENOTSOCK)"
    assert os_reason(OSError("refused: a link")) == "refused: a link"
    set_language("id")
    assert os_reason(OSError(errno.EEXIST, "File exists")) == "sudah ada"
    set_language("en")


# --- the parsers' words: a hand-edited pilkada.yaml, a damaged record line ---------------------

YAML_CASES = {
    "tab": ("thresholds:\n\twarn_days: 7\n", "ada karakter yang tidak boleh mengawali nilai (tab? "
            "gunakan spasi untuk indentasi)"),
    "colon": ("operator: Rina: Desk\n", "tanda ':' di tempat yang tidak boleh ada kunci (kurang "
              "spasi atau baris baru?)"),
    "bracket": ("tags: {\"16.10\": [calon-tunggal]\n", "daftar atau pemetaan dalam kurung tidak "
                "ditutup: tanda ',' atau '}' tidak ditemukan"),
    "quote": ("operator: 'Rina\n", "berkas berakhir di tengah nilai (tanda kutip belum "
              "ditutup?)"),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_a_broken_config_is_explained_in_indonesian(case: str, ws: Path, cli: RunCli) -> None:
    added, reason = YAML_CASES[case]
    path = ws / "pilkada.yaml"
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    result = cli("status")
    assert result.exit_code == 2, result.output
    assert re.search(rf"pilkada\.yaml:\d+: YAML tidak sah: {re.escape(reason)}$",
                     result.stderr.strip()), result.stderr
    assert english_in(result.stderr) == [], result.stderr


def test_a_damaged_record_line_is_explained_in_indonesian(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "gudang").exit_code == 0
    [path] = (ws / "records" / "16.71").glob("*.jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"id" "x"}\n{"id": 1,}\n')
    result = cli("verify")
    assert result.exit_code == 3, result.output
    text = result.stdout + result.stderr
    assert ":2: catatan rusak: bukan JSON yang sah: tanda ':' tidak ditemukan pada kolom 7" in text
    # Python 3.13's json names the trailing comma; earlier ones, the key it then expected
    third = ("ada tanda ',' sebelum penutup '}' pada kolom 9" if sys.version_info >= (3, 13)
             else "kunci dalam tanda kutip ganda tidak ditemukan pada kolom 10")
    assert ":3: catatan rusak: bukan JSON yang sah: " + third in text
    assert english_in(text) == [], text


def test_a_damaged_workbook_is_explained_in_indonesian(ws: Path, cli: RunCli,
                                                       tmp_path: Path) -> None:
    book = tmp_path / "isian.xlsx"
    book.write_bytes(b"PK\x03\x04 not a workbook")  # "File is not a zip file", said zipfile
    result = cli("record", "--from", str(book))
    assert result.exit_code == 2, result.output
    assert (f"Galat: {book}: tidak dapat membaca buku kerja: berkas ini bukan buku kerja XLSX, "
            "atau sudah rusak") in result.stderr.splitlines(), result.stderr
    assert english_in(result.stderr) == [] and "zip file" not in result.stderr
