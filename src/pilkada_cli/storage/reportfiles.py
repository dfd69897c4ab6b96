"""Where report files go, and writing them whole or not at all.

``--out`` is a pattern with ``{region}``, ``{date}`` and ``{format}``. The folder part the user
typed is theirs to choose (``../rakor/{date}.{format}`` is fine); what the placeholders put in can
never leave that folder, and nothing is ever written inside the workspace's ``records/``. Files
are replaced atomically (reliability.md §1.1 step 9, safefile.replace_atomic), so a reader (or
Excel) sees the old file or the new one.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from pilkada_cli.base.errors import InputError, StorageError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import POSIX, FolderNotSynced, replace_atomic

DEFAULT_PATTERN = "laporan-pilkada-{region}-{date}.{format}"
PLACEHOLDERS = ("region", "region_name", "date", "format")
FILE_MODE = 0o644  # reports are for sharing
_TOKEN = re.compile(r"\{([^{}]*)\}")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def check_pattern(pattern: str, formats: Iterable[str] = ()) -> None:
    """Placeholders known, braces balanced, ``{format}`` present when several formats are
    written; InputError otherwise. Cheap: the CLI checks this before reading any record."""
    if len(list(formats)) > 1 and "{format}" not in pattern:
        raise InputError(_("--out needs {placeholder} in it when several formats are written")
                         .format(placeholder="{format}"))
    if not pattern or "\x00" in pattern:
        raise InputError(_("--out needs a file name pattern"))
    for name in _TOKEN.findall(pattern):
        if name not in PLACEHOLDERS:
            raise InputError(_("unknown placeholder {{{name}}} in --out; use {placeholders}")
                             .format(name=name, placeholders=", ".join(
                                 "{" + p + "}" for p in PLACEHOLDERS)))
    if "{" in _TOKEN.sub("", pattern) or "}" in _TOKEN.sub("", pattern):
        raise InputError(_("unbalanced brace in --out pattern '{pattern}'").format(
            pattern=pattern))


def _chosen_folder(pattern: str) -> Path:
    """The folder the user typed: the pattern's literal part up to its last separator before
    the first placeholder."""
    literal = pattern.split("{", 1)[0]
    cut = max(literal.rfind("/"), literal.rfind(os.sep))
    return Path(literal[:cut + 1]) if cut >= 0 else Path()


def expand(pattern: str, values: Mapping[str, str]) -> Path:
    """The path of one report file. Placeholder values must be plain names (no separators, no
    ``..``); the result must stay inside the folder the pattern names."""
    check_pattern(pattern)
    for key, value in values.items():
        if not _SAFE_VALUE.fullmatch(value) or ".." in value:
            raise InputError(_("{{{key}}} cannot be used in a file name: '{value}'").format(
                key=key, value=value))
    path = Path(_TOKEN.sub(lambda m: values[m.group(1)], pattern))
    if path.name in ("", ".", "..") or pattern.endswith(("/", os.sep)):
        raise InputError(_("--out '{pattern}' does not end in a file name").format(
            pattern=pattern))
    base = _chosen_folder(pattern).resolve()
    where = path.parent.resolve()
    if where != base and base not in where.parents:
        raise InputError(_("--out '{pattern}' leads outside {folder}").format(
            pattern=pattern, folder=base))
    return path


def slug(name: str) -> str:
    """A region's name as a file name: ``Sumatera Selatan`` -> ``sumatera-selatan`` (ASCII
    letters, digits and ``-``; accents dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")[:60] or "region"


def plan(pattern: str, formats: Mapping[str, str], region: str, day: str,
         records_dir: Path, region_name: str = "") -> dict[str, Path]:
    """Each format's target path (``formats``: each format → the extension ``{format}`` puts
    in its file's name); refuses collisions, folders, and anything inside ``records_dir``.
    ``region_name`` is the region's name ({region_name} gets its slug)."""
    check_pattern(pattern, formats)
    targets: dict[str, Path] = {}
    records = records_dir.resolve()
    for fmt, extension in formats.items():
        values = {"region": region, "date": day, "format": extension}
        if "{region_name}" in pattern:
            values["region_name"] = slug(region_name or region)
        path = expand(pattern, values)
        where = path.parent.resolve()
        if where == records or records in where.parents:
            raise InputError(_("reports are never written inside the records folder ({path})")
                             .format(path=records_dir))
        if path.is_dir() and not path.is_symlink():
            raise InputError(_("{path} is a folder").format(path=path))
        if path in targets.values():
            raise InputError(_("--out gives the same file {path} for two formats").format(
                path=path))
        targets[fmt] = path
    return targets


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole (safefile.replace_atomic: temporary file in the
    same folder, fsync, chmod 0644, ``os.replace``, which replaces a symlink rather than
    following it, fsync of the folder). StorageError (nothing changed at ``path``) on failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(_("cannot write {path}: {reason}").format(
            path=path, reason=os_reason(e))) from e
    try:
        replace_atomic(path, data, mode=FILE_MODE)
    except FolderNotSynced as e:
        raise StorageError(_("wrote {path} but could not flush its folder to disk: {reason}")
                           .format(path=path, reason=os_reason(e))) from e
    except PermissionError as e:
        if not POSIX:  # Windows: Excel, a browser or an antivirus holds it (safefile.replace)
            raise StorageError(_("cannot replace {path}: another program has it open; close "
                                 "the file in Excel (or the browser) and run again").format(
                path=path)) from e
        raise StorageError(_("cannot write {path}: {reason}").format(
            path=path, reason=os_reason(e))) from e
    except OSError as e:
        raise StorageError(_("cannot write {path}: {reason}").format(
            path=path, reason=os_reason(e))) from e
