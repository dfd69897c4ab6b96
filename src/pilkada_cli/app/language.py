"""Which language a run speaks: decided once, by one policy, before anything is printed or
parsed. The first of these that names ``id`` or ``en`` wins:

1. the flag: ``--lang id|en`` (a global option, given before the command);
2. the environment: ``PILKADA_LANG``;
3. the workspace: the ``language:`` line of the ``pilkada.yaml`` the command will use (found by
   the one rule of locate.py: ``--workspace``, ``PILKADA_WORKSPACE``, else the current folder
   or a parent);
4. the system: the OS locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``), and on
   Windows, which sets none of them, the user's display language (an Indonesian Windows speaks
   Indonesian with nothing set: i18n.windows_ui_language);
5. English.

``entry.main`` decides from the command line before the command modules are imported (their
help texts are translated as they load); the CLI's global options apply the same decision for
runs started in-process (tests, ``pilkada demo``'s status); nothing else sets the language, so
an error about an option, a date, the config or the records and the help all speak the same
language.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pilkada_cli.base.i18n import LANGUAGES, language_from_locale
from pilkada_cli.domain.locate import CONFIG_FILE, config_bytes, locate

_LANGUAGE_LINE = re.compile(r"^language:\s*[\"']?(id|en)\b", re.MULTILINE)
_VALUED = ("--lang", "--workspace", "-w")  # global options that take a value


def decide(flag: str | None, workspace: Path | None,
           environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The language of a run with ``--lang flag`` and ``--workspace workspace`` (either None
    when not given): the policy above."""
    env = os.environ if environ is None else environ
    for candidate in (flag, env.get("PILKADA_LANG")):
        if candidate in LANGUAGES:
            return candidate
    return workspace_language(workspace, env, cwd) or language_from_locale(env) or "en"


def workspace_language(explicit: Path | None, environ: Mapping[str, str] | None = None,
                       cwd: Path | None = None) -> str | None:
    """The ``language:`` of the workspace the command will use (locate.py), read cheaply (the
    full, validated config is loaded later by the command itself); None without one."""
    folder, _named = locate(explicit, environ, cwd)
    if folder is None:
        return None
    try:
        raw = config_bytes(folder / CONFIG_FILE)
    except OSError:
        return None
    found = _LANGUAGE_LINE.search(raw[:65536].decode("utf-8", errors="replace"))
    return found.group(1) if found else None


def from_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> str:
    """The language of a run of ``pilkada ARGV``: its global options are those before the
    command name (an option of the command, or a note mentioning ``--lang``, does not count)."""
    flag = workspace = None
    options, _command = global_options(argv)
    for name, value in options:
        if name == "--lang":
            flag = value
        elif name in ("--workspace", "-w") and value:
            workspace = Path(value)
    return decide(flag, workspace, environ, cwd)


def global_options(argv: Sequence[str]) -> tuple[list[tuple[str, str]], str | None]:
    """The global options of ``pilkada ARGV`` (name, value) and the command name after them
    (None: none given)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return out, argv[i + 1] if i + 1 < len(argv) else None
        if not arg.startswith("-"):
            return out, arg  # the command name: global options end here
        name, eq, value = arg.partition("=")
        if name in _VALUED and not eq:
            value = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        out.append((name, value))
        i += 1
    return out, None
