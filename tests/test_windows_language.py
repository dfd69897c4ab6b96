"""Issue 29 point 8: an Indonesian Windows PC speaks Indonesian with nothing set. Windows sets
no locale variable; its user's display language (``GetUserDefaultUILanguage``) is read by the
one language policy (language.py) in their place. Windows is injected on Linux: the platform
flag of i18n and a fake ``ctypes.windll``."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO
from pilkada_cli.app.language import decide
from pilkada_cli.base import i18n

INDONESIAN = 0x0421  # id-ID
ENGLISH_US, ENGLISH_UK, MALAY = 0x0409, 0x0809, 0x043E


class _Kernel32:
    def __init__(self, lcid: int | Exception) -> None:
        self.lcid = lcid

    def GetUserDefaultUILanguage(self) -> int:  # (Windows' name)
        if isinstance(self.lcid, Exception):
            raise self.lcid
        return self.lcid


class _WinDLL:
    def __init__(self, lcid: int | Exception) -> None:
        self.kernel32 = _Kernel32(lcid)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Make this process look like Windows to the language policy, with a display language."""
    monkeypatch.setattr(i18n, "WINDOWS", True)

    def with_lcid(lcid: int | Exception) -> None:
        monkeypatch.setattr(ctypes, "windll", _WinDLL(lcid), raising=False)

    return with_lcid


@pytest.mark.parametrize(("lcid", "expected"), [
    (INDONESIAN, "id"), (0x0021, "id"),  # id-ID, and the neutral Indonesian
    (ENGLISH_US, "en"), (ENGLISH_UK, "en"), (MALAY, "en"),  # any other language: English
    (0, None), (OSError("no kernel32"), None),  # Windows does not say
])
def test_the_display_language_of_windows(windows, lcid: int | Exception,  # type: ignore[no-untyped-def]
                                         expected: str | None) -> None:
    windows(lcid)
    assert i18n.windows_ui_language() == expected


def test_only_windows_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere the locale variables alone decide, even where a windll could be found."""
    monkeypatch.setattr(i18n, "WINDOWS", False)
    monkeypatch.setattr(ctypes, "windll", _WinDLL(INDONESIAN), raising=False)
    assert i18n.windows_ui_language() is None
    assert decide(None, None, {}, cwd=Path("/nonexistent")) == "en"


def test_the_policy_keeps_its_order_on_windows(windows, tmp_path: Path  # type: ignore[no-untyped-def]
                                               ) -> None:
    """Flag > PILKADA_LANG > workspace > locale variables > Windows' display language > English."""
    windows(INDONESIAN)
    assert decide(None, None, {}, cwd=tmp_path) == "id"
    assert decide("en", None, {}, cwd=tmp_path) == "en"
    assert decide(None, None, {"PILKADA_LANG": "en"}, cwd=tmp_path) == "en"
    assert decide(None, None, {"LANG": "en_US.UTF-8"}, cwd=tmp_path) == "en"  # Git Bash sets it
    (tmp_path / "pilkada.yaml").write_text("cycle: pilkada-2024\nregion: '16'\nlanguage: en\n",
                                           encoding="utf-8")
    assert decide(None, None, {}, cwd=tmp_path) == "en"
    windows(ENGLISH_US)
    assert decide(None, None, {}, cwd=tmp_path / "elsewhere") == "en"


# A run of the installed entry point on a "Windows" whose display language is given: the help
# is translated as the command modules load, so only a fresh process shows it.
BOOT = textwrap.dedent("""\
    import ctypes, os, sys
    from pilkada_cli.base import i18n
    i18n.WINDOWS = True
    class Kernel32:
        @staticmethod
        def GetUserDefaultUILanguage():
            return int(os.environ["FAKE_LCID"], 16)
    ctypes.windll = type("WinDLL", (), {"kernel32": Kernel32})()
    from pilkada_cli.entry import main
    sys.argv[0] = "pilkada"
    main()
    """)


def _run(tmp_path: Path, lcid: int, *args: str) -> subprocess.CompletedProcess[str]:
    boot = tmp_path / "boot.py"
    boot.write_text(BOOT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "PILKADA_LANG",
                        "PILKADA_WORKSPACE")}
    env.update(FAKE_LCID=hex(lcid), PYTHONPATH=str(REPO / "src"), COLUMNS="200", NO_COLOR="1",
               PILKADA_HOME=str(tmp_path / "home"))
    here = tmp_path / "desk"
    here.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, str(boot), *args], cwd=here, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_help_errors_and_the_demo_speak_indonesian_on_an_indonesian_windows(tmp_path: Path
                                                                            ) -> None:
    """Outside any workspace, no variable set: what a new user on an Indonesian PC sees."""
    helped = _run(tmp_path, INDONESIAN, "status", "--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Cara pakai: pilkada status [OPSI] [wilayah]\n\n"
                                    "  Kesiapan per wilayah dan tahapan")
    bad = _run(tmp_path, INDONESIAN, "status", "--as-of", "2024-13-01")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "Tidak ada ruang kerja di sini: memakai bawaan yang tertanam (Pilkada 2024, Sumatera "
        "Selatan); buat ruang kerja dengan `pilkada init`.",
        "Galat: tanggal '2024-13-01' salah: gunakan YYYY-MM-DD"]
    usage = _run(tmp_path, INDONESIAN, "stat")
    assert usage.returncode == 2
    assert "Galat: Tidak ada perintah: stat" in usage.stderr
    demo = _run(tmp_path, INDONESIAN, "demo")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith("DATA CONTOH")
    assert "Per 21 Agu 2024 · H-98" in demo.stdout
    assert "language: id" in (tmp_path / "desk" / "pilkada-demo" / "pilkada.yaml").read_text(
        encoding="utf-8")


def test_an_english_windows_stays_english(tmp_path: Path) -> None:
    helped = _run(tmp_path, ENGLISH_US, "status", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "Readiness per region" in helped.stdout
    bad = _run(tmp_path, ENGLISH_US, "status", "--as-of", "2024-13-01")
    assert bad.stderr.splitlines()[-1] == "Error: bad date '2024-13-01': use YYYY-MM-DD"
