"""Filled-in sheets read back by ``pilkada record --from``: one workbook or CSV, or a folder of
them, each recorded all or nothing (the sheets are written by ``pilkada sheet``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import InputError, Problem, ValidationError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session

if TYPE_CHECKING:
    from pilkada_cli.sheet.apply import Importer


def is_fill_in(source: str, raw: bytes) -> bool:
    """Whether ``--from`` input is a fill-in sheet: a workbook, or a CSV with its header."""
    from pilkada_cli.sheet.read import is_workbook, looks_like_sheet_csv

    return (source.casefold().endswith((".xlsx", ".xls")) or is_workbook(raw)
            or looks_like_sheet_csv(raw))


def import_fill_ins(s: Session, path: Path, raw: bytes | None, by: str | None,
                    verbose: bool = False) -> None:
    """Record the changes in one filled sheet (``raw``) or a folder of them (``raw`` None).

    All or nothing per file: a file with any problem records nothing, and every problem of it is
    reported as file, sheet and row. In a folder each good file is recorded in its own append
    even when another file is bad (they come from different offices, and importing again after
    a fix records only what is still missing); the exit code is then 2.
    """
    from rich.text import Text

    from pilkada_cli.cli.actions import read_input, save
    from pilkada_cli.sheet.read import read_tables

    source = "<stdin>" if str(path) == "-" else str(path)
    files: list[tuple[str, bytes | Path]] = [(source, raw)] if raw is not None else [
        (str(p), p) for p in _folder(path)]
    importer = _importer(s, by)
    err = s.console(stderr=True)
    problems: list[Problem] = []
    for name, content in files:
        try:
            data = content if isinstance(content, bytes) else read_input(content)
            tables = read_tables(data, name)
            say_encoding(s, name, tables[0].encoding)
            events, found = importer.check(tables)
        except ValidationError as e:
            events, found = [], list(e.problems)
        except InputError as e:  # the file could not be read
            events, found = [], [Problem(name, None, str(e))]
        if found:
            problems += found
            err.print(Text(_("{file}: nothing recorded, {n} problem(s)").format(
                file=name, n=len(found)), style="bold red"))
            continue
        if events:
            save(s, events, from_file=True, verbose=verbose)
            importer.saved(events)
        err.print(Text(_("{file}: {n} change(s) recorded").format(file=name, n=len(events))
                       if events else _("{file}: nothing changed").format(file=name)))
    if problems:
        raise ValidationError(problems)


def say_encoding(s: Session, source: str, encoding: str | None) -> None:
    """Say on stderr that an imported CSV was read as Windows-1252 (nothing for UTF-8 or a
    workbook): a file saved in another code page would show its letters wrong."""
    from pilkada_cli.domain.csvtext import assumed_message

    message = assumed_message(source, encoding) if encoding is not None else None
    if message is not None:
        from rich.text import Text

        s.console(stderr=True).print(Text(message))


def _folder(path: Path) -> list[Path]:
    """The .xlsx and .csv files directly in ``path``, by name (the lock files of Excel and
    LibreOffice left out)."""
    try:
        names = sorted(p for p in path.iterdir()
                       if p.suffix.casefold() in (".xlsx", ".csv") and p.is_file()
                       and not p.name.startswith(("~$", ".")))
    except OSError as e:
        raise InputError(_("cannot read {path}: {reason}").format(
            path=path, reason=os_reason(e))) from None
    if not names:
        raise InputError(_("no .xlsx or .csv files in {folder}").format(folder=path))
    return names


def _importer(s: Session, by: str | None) -> Importer:
    from pilkada_cli.app.loading import build
    from pilkada_cli.cli.actions import recorder as make_recorder
    from pilkada_cli.domain.readiness import AsOf
    from pilkada_cli.sheet.apply import Importer

    events = s.events()
    recorder = make_recorder(s, by)
    # Judged now, not at a demo workspace's frozen date: "changed" means against the records.
    r = build(s.workspace(), s.cycle(), s.regions(), events, AsOf(instant=recorder.now))
    return Importer(r, s.regions(), events, recorder)
