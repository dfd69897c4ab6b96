"""Progress on long work (issue 27): a bulk import and a first build report how far they have
got to a progress bar on stderr when stderr is a terminal (injected here), and nothing reaches
stderr when it is not; the bar itself is rich's progress, cleared when the work is done."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pilkada_cli.cli import app, progressbar
from sharing import Office, new_office, write_cycle

RUNNER = CliRunner()
CODES = [f"16.{n:02d}" for n in range(1, 14)] + ["16.71", "16.72", "16.73", "16.74"]
Calls = list[tuple[str, int, int]]


class Recording(progressbar.Bar):
    """A bar that also keeps what it was told."""

    calls: Calls = []

    def __call__(self, what: str, done: int, total: int) -> None:
        Recording.calls.append((what, done, total))
        super().__call__(what, done, total)


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return new_office(tmp_path, "desk", "16", "kecamatan", write_cycle(tmp_path))


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """stderr is a terminal, and the bar shows at once (no delay)."""
    monkeypatch.setattr(progressbar, "isatty", lambda: True)
    monkeypatch.setattr(progressbar, "DELAY", 0.0)
    monkeypatch.setattr(progressbar, "Bar", Recording)
    Recording.calls = []
    return Recording.calls


def _csv(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "rows.csv"
    items = ("gudang", "nphd-kpu")
    path.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{CODES[n % len(CODES)]},{items[n // len(CODES) % 2]},in_progress,{n % 99 + 1},"
        f",,2024-02-{n % 20 + 1:02d}T{n % 24:02d}:00\n" for n in range(rows)),
        encoding="utf-8")
    return path


def _run(o: Office, *args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["--workspace", str(o.ws), *args],
                           env={"PILKADA_HOME": str(o.home), "PILKADA_LANG": "en",
                                "PILKADA_WORKSPACE": None, "PILKADA_OPERATOR": None},
                           catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_bulk_import_reports_its_rows_and_files_to_a_terminal(
        office: Office, tmp_path: Path, terminal: Calls) -> None:
    code, out, err = _run(office, "record", "--from", str(_csv(tmp_path, 600)))
    assert code == 0 and out == "" and err.endswith(": 600 change(s) recorded\n")  # one total
    assert [c for c in terminal if c[0] == "Reading rows"] == [
        ("Reading rows", n, 600) for n in (0, 256, 512)]
    assert [c for c in terminal if c[0] == "Checking rows"] == [
        ("Checking rows", n, 600) for n in (0, 256, 512)]
    # each of the 17 files written, then made durable: every 16th step and the last
    assert [c for c in terminal if c[0] == "Saving record files"] == [
        ("Saving record files", n, 34) for n in (0, 16, 32, 34)]


def _recorded(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """From now on stderr is a terminal, and what the bar is told is kept."""
    monkeypatch.setattr(progressbar, "isatty", lambda: True)
    monkeypatch.setattr(progressbar, "Bar", Recording)
    Recording.calls = []
    return Recording.calls


def test_a_first_build_reports_the_files_it_reads(office: Office, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _run(office, "record", "--from", str(_csv(tmp_path, 100)))
    _recorded(monkeypatch)
    assert _run(office, "status")[0] == 0
    # every 64th and the last: the 17 files read; their ids searched for copies and indexed
    # (every 256th step and the last, a file a step each), then the 17 regions' conflicts
    # judged
    assert Recording.calls == [("Reading record files", 17, 17),
                               ("Checking event ids across files", 34, 34),
                               ("Checking regions for conflicts", 0, 17),
                               ("Checking regions for conflicts", 17, 17)]


def test_the_run_after_a_bulk_import_reports_the_regions_it_updates(
        office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a bulk import (every region's file grew), the refold of the changed regions
    reports how far it has got; a warm run reports nothing."""
    from pilkada_cli.storage.cache import entries

    monkeypatch.setattr(entries, "RACY_NS", 0)  # (the cycle was written a moment ago)
    _run(office, "record", "--from", str(_csv(tmp_path, 100)))
    assert _run(office, "status")[0] == 0
    (tmp_path / "rows.csv").unlink()
    _run(office, "record", "--from", str(_csv(tmp_path, 34)))
    calls = _recorded(monkeypatch)
    assert _run(office, "status")[0] == 0
    assert calls == [("Updating the changed regions", 0, 17),
                     ("Updating the changed regions", 17, 17)]
    calls.clear()
    assert _run(office, "status")[0] == 0
    assert calls == []


def test_nothing_reaches_stderr_when_it_is_not_a_terminal(
        office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progressbar, "isatty", lambda: False)
    monkeypatch.setattr(progressbar, "DELAY", 0.0)
    made: list[object] = []
    monkeypatch.setattr(progressbar, "Bar", lambda *a: made.append(a))
    path = _csv(tmp_path, 600)
    code, out, err = _run(office, "record", "--from", str(path))
    assert code == 0 and out == "" and err == f"{path}: 600 change(s) recorded\n"  # no bar
    code, _out, err = _run(office, "status")
    assert code == 0 and err == "" and made == []


def test_the_bar_draws_rich_progress_and_clears_it() -> None:
    stream = io.StringIO()
    bar = progressbar.Bar(Console(file=stream, force_terminal=True, width=80))
    bar.started -= progressbar.DELAY  # the work has lasted
    bar("Reading record files", 3, 10)
    assert bar.live is not None
    bar.live.refresh()
    assert "Reading record files" in stream.getvalue() and "3/10" in stream.getvalue()
    bar.stop()
    assert bar.live is None


def test_no_bar_before_the_work_has_lasted() -> None:
    stream = io.StringIO()
    bar = progressbar.Bar(Console(file=stream, force_terminal=True, width=80))
    bar("Reading record files", 3, 10)  # just started: a short run shows nothing
    bar("Reading record files", 10, 10)
    bar.stop()
    assert bar.live is None and stream.getvalue() == ""
