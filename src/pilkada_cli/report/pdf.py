"""The report as a PDF: the HTML report printed to A4 landscape by a headless Chromium-family
browser already on the machine (Chromium, Google Chrome or Microsoft Edge).

Why a browser and not a Python PDF library: the PDF is then exactly what the room sees when the
HTML is projected or printed from a browser (one layout, one set of tests); every Windows office
PC has Microsoft Edge, which prints headless the same way; and WeasyPrint, the Python option,
needs Pango/GTK system libraries that a Windows PC does not have and renders a CSS subset of its
own. The page size, margins and colours come from the report's print CSS (``@page``).

``PILKADA_BROWSER`` names the browser's program when it is not found on the PATH or in the
usual Windows folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import InputError, os_reason
from pilkada_cli.base.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.report.model import Report

ENV = "PILKADA_BROWSER"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
         "msedge", "microsoft-edge", "microsoft-edge-stable")
WINDOWS = sys.platform == "win32"  # a module flag, so tests on Linux can inject Windows
WINDOWS_PATHS = (  # under Program Files (x86), Program Files or the user's AppData\Local
    ("Microsoft", "Edge", "Application", "msedge.exe"),
    ("Google", "Chrome", "Application", "chrome.exe"),
    ("Chromium", "Application", "chrome.exe"),
)
TIMEOUT_S = 180
# Headless, offline, no profile of the user's: the report is self-contained, so nothing needs
# the network, and a fresh profile folder keeps a running browser's lock out of the way.
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--no-default-browser-check", "--no-pdf-header-footer", "--print-to-pdf-no-header")


def find_browser() -> str | None:
    """The browser to print with: PILKADA_BROWSER, one on the PATH, or Edge/Chrome in the
    usual Windows folders; None if there is none."""
    given = os.environ.get(ENV, "").strip()
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    if WINDOWS:
        for base in (os.environ.get(v) for v in ("PROGRAMFILES(X86)", "PROGRAMFILES",
                                                  "LOCALAPPDATA")):
            for parts in WINDOWS_PATHS:
                if base and Path(base, *parts).is_file():
                    return str(Path(base, *parts))
    return None


def missing_message() -> str:
    """What to install (or set) when no browser is found."""
    return _("PDF needs Chromium, Google Chrome or Microsoft Edge to print the report, and "
             "none was found. Install one (Debian/Ubuntu: sudo apt install chromium; Windows "
             "has Microsoft Edge), or set {env} to the browser's program. The HTML report "
             "prints to the same PDF from any browser (Ctrl+P, Save as PDF).").format(env=ENV)


def render(report: Report) -> bytes:
    """The HTML report printed to PDF, as the bytes of its file (report/formats.py)."""
    from pilkada_cli.report.html import render_html

    return html_to_pdf(render_html(report).encode("utf-8"))


def html_to_pdf(html: bytes) -> bytes:
    """Print ``html`` (a self-contained page) to PDF; InputError naming what to install when
    no browser is found, or saying why printing failed."""
    browser = find_browser()
    if browser is None:
        raise InputError(missing_message())
    with tempfile.TemporaryDirectory(prefix="pilkada-pdf-") as tmp:
        folder = Path(tmp)
        page, pdf = folder / "report.html", folder / "report.pdf"
        page.write_bytes(html)
        args = [browser, *FLAGS, f"--user-data-dir={folder / 'profile'}",
                f"--print-to-pdf={pdf}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        env = {**os.environ, "HOME": os.environ.get("HOME") or tmp}
        try:
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, env=env,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise InputError(_("cannot print the PDF with {browser}: {reason}").format(
                browser=browser, reason=os_reason(e) if isinstance(e, OSError) else e)) from e
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise InputError(_("cannot print the PDF with {browser} (exit code {code}) {detail}")
                             .format(browser=browser, code=done.returncode,
                                     detail=detail[0]).strip())
        return pdf.read_bytes()
