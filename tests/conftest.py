"""Shared fixtures: an isolated environment and a CLI runner."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilkada_cli.base.i18n import set_language
from pilkada_cli.cli import app
from pilkada_cli.domain import locate
from pilkada_cli.storage import recordfile
from pilkada_cli.storage.cache import entries

# PILKADA_TEST_STRICT=1 (CI): a skip for a missing tool or library fails (strict_skips.py)
from strict_skips import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "checklists"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No workspace, language, operator or colour leaks in from the machine running the tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("PILKADA_HOME", str(home))
    for var in ("PILKADA_WORKSPACE", "PILKADA_LANG", "PILKADA_OPERATOR", "FORCE_COLOR",
                "LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # No terminal known, as under cron: piped views are plain text with every column (a
    # COLUMNS would lay them out for that width, as for `pilkada status | less`).
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.chdir(tmp_path)
    set_language("en")  # the language is process-wide; a previous test may have switched it
    entries.take_damaged()  # damage a previous test's direct reads noted (the CLI says it)
    locate.forget()  # a pilkada.yaml a previous test read (a run reads it once)
    return home


RunCli = Callable[..., Result]


@pytest.fixture
def cli() -> RunCli:
    """Run the CLI in-process: ``cli("stages")``; ``input=`` feeds stdin."""
    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


MINI_CYCLE = {
    "cycle.yaml": """\
        id: mini
        name: Siklus Mini
        voting_day: 2024-11-27
        regulation: PKPU uji
        owners: [KPU, Pemda, Bawaslu]
        levels: [provinsi, kabupaten, kota]
        tags: [calon-tunggal]
        """,
    "01-persiapan.yaml": """\
        id: persiapan
        title: Persiapan
        start: 2024-01-01
        end: 2024-06-30
        items:
          - id: nphd-kpu
            title: NPHD KPU ditandatangani
            owner: Pemda
            due: 2024-03-01
            critical: true
          - id: gudang
            title: Gudang logistik tersedia
            owner: Pemda
            weight: 2
            requires: [nphd-kpu]
        """,
    "02-pemungutan.yaml": """\
        id: pemungutan
        title: Pemungutan suara
        start: H-3
        end: H
        items:
          - id: logistik-tps
            title: Logistik diterima di TPS
            owner: KPU
            due: H-1
            levels: [kabupaten, kota, kecamatan]
          - id: sosialisasi-kolom-kosong
            title: Sosialisasi kolom kosong
            owner: KPU
            when: [calon-tunggal]
        """,
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (dedented) under ``root`` and return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def mini_cycle(tmp_path: Path) -> Path:
    """A small valid cycle folder."""
    return write_tree(tmp_path / "mini", MINI_CYCLE)


@pytest.fixture
def mini_ws(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Path:
    """A workspace on the mini cycle for Sumatera Selatan (16) down to kecamatan, in English,
    operator Rina; the current folder."""
    result = cli("init", "ws", "--region", "16", "--depth", "kecamatan", "--cycle",
                 str(mini_cycle), "--operator", "Rina", "--language", "en")
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path / "ws")
    return tmp_path / "ws"


# A few changes in Palembang and Ogan Ilir on the mini cycle (a done, a progress, a block).
FEW_RECORDS = (
    ("done", "palembang", "nphd-kpu", "--at", "2024-02-20T10:00"),
    ("record", "16.10", "nphd-kpu", "--status", "in_progress", "--progress", "40",
     "--at", "2024-02-25T10:00"),
    ("blocked", "16.10", "gudang", "--reason", "lahan belum ada", "--at", "2024-02-26T10:00"),
)


def sumsel_ws(cli: RunCli, tmp_path: Path, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch,
              init: tuple[str, ...], records: tuple[tuple[str, ...], ...]) -> Path:
    """``ws``: Sumatera Selatan on the mini cycle (``init``: more options of ``init``), with
    ``records`` recorded in it; the current folder."""
    assert cli("init", "ws", "--region", "16", "--cycle", str(mini_cycle), *init).exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    for args in records:
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def recorded_ws(mini_ws: Path, cli: RunCli) -> Path:
    """``mini_ws`` with records in two regions (Palembang's in one file), and the derived
    cache already built from them (status and log run once)."""
    for region, item in (("16.71", "nphd-kpu"), ("16.71", "gudang"), ("16.72", "nphd-kpu")):
        assert cli("done", region, item).exit_code == 0
    assert cli("status").exit_code == 0
    assert cli("log").exit_code == 0
    return mini_ws


def palembang_file(ws: Path) -> tuple[Path, str]:
    """Palembang's one record file in ``ws`` and the path commands show it by."""
    [path] = (ws / "records" / "16.71").glob("*.jsonl")
    return path, f"records/16.71/{path.name}"


# --- spies: what the runs that follow read and fold (the cache's "no cliff" promises) --------


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Bytes parsed per record file (as shown), at the record reader as each module calls it."""
    from pilkada_cli.storage.cache import columns, logfile, parses

    found: dict[str, int] = {}
    real = recordfile.parse_bytes

    def spy(file: recordfile.RecordFile, data: bytes, memo: dict[str, str] | None = None
            ) -> recordfile.FileParse:
        found[file.shown] = found.get(file.shown, 0) + len(data)
        return real(file, data, memo)

    for module in (recordfile, columns, logfile, parses):
        monkeypatch.setattr(module, "parse_bytes", spy)
    quick = columns.canonical  # (lines as the writer writes them: read without parse_bytes)

    def quick_spy(file: recordfile.RecordFile, data: bytes) -> columns.FileColumns | None:
        read = quick(file, data)
        if read is not None:
            found[file.shown] = found.get(file.shown, 0) + len(data)
        return read

    monkeypatch.setattr(columns, "canonical", quick_spy)
    yield found


@pytest.fixture
def folded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, bool]]:
    """Per region folded by the runs that follow: its code, the events read, and whether
    they were folded into its kept pairs (only the events added) or all of its events."""
    from pilkada_cli.domain.readiness import Readiness

    found: list[tuple[str, int, bool]] = []
    real = Readiness._fold_region

    def spy(self: Readiness, n: int, region: Any, chunks: Any, cut: float, base: Any,
            prior: Any = None) -> list[int]:
        found.append((region.code, sum(len(ch.at) for ch in chunks), prior is not None))
        return real(self, n, region, chunks, cut, base, prior)

    monkeypatch.setattr(Readiness, "_fold_region", spy)
    return found


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders listed (os.listdir) by the record listing, in order."""
    seen: list[str] = []
    real = os.listdir

    def counted(path: str) -> list[str]:
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", counted)  # (the module recordlist lists with)
    return seen
