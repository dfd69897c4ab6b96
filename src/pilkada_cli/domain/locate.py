"""Where the workspace of a run is, found by one rule, and its ``pilkada.yaml`` read once.

The rule: ``--workspace``, then ``PILKADA_WORKSPACE``, then the current folder or the nearest
parent holding ``pilkada.yaml``. ``language.py`` decides the run's language from that file
before anything else loads, and ``workspace.find_workspace`` opens the workspace from it, so this
module stays light (no YAML, no models). The file's bytes are kept for the rest of the
invocation while it is unchanged (same size, times and inode), so a run reads it once, though
its language is decided twice (``entry.main`` before the commands load, then the CLI's global
options) and the workspace is opened after that."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_FILE = "pilkada.yaml"
MAX_BYTES = 1_048_576  # the largest YAML file read (yamlload refuses a larger one)

_read: dict[Path, tuple[tuple[int, int, int, int], bytes]] = {}
_keep = [False]  # the next forget() is skipped (keep_once)


def given(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder named by ``--workspace`` (``explicit``) or ``PILKADA_WORKSPACE``, if any (a
    path to ``pilkada.yaml`` names its folder)."""
    env = os.environ if environ is None else environ
    path = explicit or (Path(env["PILKADA_WORKSPACE"]) if env.get("PILKADA_WORKSPACE") else None)
    if path is None:
        return None
    return path.parent if path.name == CONFIG_FILE else path


def locate(explicit: Path | None, environ: Mapping[str, str] | None = None,
           cwd: Path | None = None) -> tuple[Path | None, bool]:
    """(the workspace's folder, whether it was named): the named folder, whether or not it
    holds a workspace; else the current folder or its nearest parent with ``pilkada.yaml``;
    (None, False) when there is none (the embedded default)."""
    named = given(explicit, environ)
    if named is not None:
        return named, True
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder, False
    return None, False


def config_bytes(path: Path) -> bytes:
    """The bytes of ``path`` (a ``pilkada.yaml``; at most MAX_BYTES + 1), read once while it is
    unchanged. OSError when it cannot be read."""
    st = path.stat()
    mark = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    kept = _read.get(path)
    if kept is not None and kept[0] == mark:
        return kept[1]
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        raw = fh.read(MAX_BYTES + 1)
    _read.clear()  # (one workspace a run)
    _read[path] = ((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino), raw)
    return raw


def forget() -> None:
    """Read the file again on the next ask: each invocation starts afresh (the CLI's global
    options call this; tests run many invocations in one process), unless ``keep_once``."""
    if _keep[0]:
        _keep[0] = False
        return
    _read.clear()


def keep_once() -> None:
    """Keep what was read for the next ``forget``: ``entry.main`` read the file to decide the
    language, and the same invocation's global options decide it again."""
    _keep[0] = True
