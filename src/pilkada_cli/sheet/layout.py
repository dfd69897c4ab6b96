"""The fill-in sheet's columns, their labels in both languages, and the instruction block.

These words are data written into the sheet (chosen by the workspace's language), not messages
of the tool, so they live here as constants rather than in the gettext catalogue. The reader
recognises the header row by these labels in either language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGS = ("id", "en")


@dataclass(frozen=True)
class Column:
    """One column of the sheet."""

    key: str
    label_id: str
    label_en: str
    width: float
    fill: bool = False  # an input cell the office fills in (unlocked)

    def label(self, lang: str) -> str:
        """The header text in ``lang``."""
        return self.label_id if lang == "id" else self.label_en


# The columns a printed sheet needs come first (the print area: No to Filled in by, the current
# note included, one A4 landscape page wide at about 9 points); the item id, stage, region code
# and the hidden key follow, for the screen and for reading the sheet back. A column is at least
# as wide as the longest word of its header in Calibri (Carlito) bold, so no header word breaks;
# the widths add up to what fits the page at 9 points.
COLUMNS = (
    Column("no", "No", "No", 4),
    Column("title", "Butir persiapan", "Item", 26),
    Column("owner", "Penanggung jawab", "Owner", 12),
    Column("due", "Tenggat", "Due", 11),
    Column("current_status", "Status saat ini", "Current status", 11),
    Column("current_progress", "Progres saat ini (%)", "Current progress (%)", 9),
    Column("current_note", "Catatan saat ini", "Current note", 18),
    Column("status", "Status", "Status", 12, fill=True),
    Column("progress", "Progres (%)", "Progress (%)", 9, fill=True),
    Column("note", "Catatan / alasan", "Note / reason", 19, fill=True),
    Column("evidence", "Bukti (nomor BA, SK, tanda terima)", "Evidence (BA no., SK, receipt)",
           16, fill=True),
    Column("date", "Tanggal (hh/bb/tttt)", "Date (dd/mm/yyyy)", 14, fill=True),
    Column("by", "Diisi oleh", "Filled in by", 12, fill=True),
    Column("item", "Kode butir", "Item id", 28),
    Column("stage", "Tahapan", "Stage", 22),
    Column("region", "Kode wilayah", "Region code", 12),
    Column("key", "Kunci lembar", "Sheet key", 20),
)
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
FILL_KEYS = tuple(c.key for c in COLUMNS if c.fill)
# Columns the reader needs; the others are there for the people filling the sheet in.
REQUIRED = ("item", "current_status", "status", "progress", "note", "evidence", "date", "by",
            "region", "key")


def normalise_label(text: str) -> str:
    """A header cell as compared: case-folded, without a parenthesised part, spaces collapsed."""
    return " ".join(re.sub(r"\([^)]*\)", " ", text).casefold().split())


LABEL_KEYS = {normalise_label(c.label(lang)): c.key for c in COLUMNS for lang in LANGS}

STATUS_WORDS = {
    "id": {"todo": "belum", "in_progress": "proses", "done": "selesai", "blocked": "terhambat",
           "na": "tidak berlaku"},
    "en": {"todo": "todo", "in_progress": "in progress", "done": "done", "blocked": "blocked",
           "na": "not applicable"},
}

TITLE = {"id": "LEMBAR ISIAN KESIAPAN PILKADA", "en": "PILKADA READINESS FILL-IN SHEET"}
SUBTITLE = {
    "id": "Wilayah: {name} ({code}) · Tahapan: {stage} · Keadaan per {as_of}",
    "en": "Region: {name} ({code}) · Stage: {stage} · State as of {as_of}",
}
ALL_STAGES = {"id": "semua tahapan", "en": "all stages"}
INSTRUCTIONS = {
    "id": (
        "Petunjuk pengisian",
        "1. Isi hanya kolom berwarna kuning: Status, Progres, Catatan, Bukti, Tanggal, Diisi "
        "oleh. Kolom lain terkunci dan tidak boleh diubah.",
        "2. Status: pilih dari daftar ({words}). Baris yang tidak diubah tidak dicatat.",
        "3. Progres: bilangan bulat 0–100, hanya untuk status \"{progress}\"; kosongkan bila "
        "tidak berubah.",
        "4. Status \"{blocked}\" dan \"{na}\" wajib diberi alasan di kolom Catatan.",
        "5. Bukti: nomor berita acara, SK atau tanda terima; pisahkan beberapa bukti dengan "
        "titik koma (;).",
        "6. Tanggal: kapan perubahan terjadi (hh/bb/tttt), tidak boleh di masa depan; kosong "
        "berarti tanggal lembar ini dicatat.",
        "7. Jangan menambah, menghapus atau mengurutkan ulang baris. Kirim kembali berkas ini "
        "(XLSX, atau CSV yang disimpan dari Excel) kepada pengirimnya.",
    ),
    "en": (
        "How to fill in this sheet",
        "1. Fill in only the yellow columns: Status, Progress, Note, Evidence, Date, Filled in "
        "by. The other columns are locked and must not be changed.",
        "2. Status: choose from the list ({words}). Rows left unchanged are not recorded.",
        "3. Progress: a whole number 0–100, only with status \"{progress}\"; leave it empty if "
        "it has not changed.",
        "4. Status \"{blocked}\" and \"{na}\" need a reason in the Note column.",
        "5. Evidence: the number of the berita acara, SK or receipt; separate several with a "
        "semicolon (;).",
        "6. Date: when the change happened (dd/mm/yyyy), not in the future; empty means the "
        "day this sheet is recorded.",
        "7. Do not add, delete or reorder rows. Send this file (XLSX, or a CSV saved from "
        "Excel) back to whoever sent it.",
    ),
}
STATUS_ERROR = {
    "id": ("Status tidak dikenal", "Pilih status dari daftar."),
    "en": ("Unknown status", "Choose a status from the list."),
}
