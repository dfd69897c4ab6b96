"""What a test needs of the platform, said once (issue 29 point 3): a test is skipped on
Windows only for what truly needs POSIX, with a reason starting ``Windows:`` (strict_skips.py
lets such a skip stay one in CI). Everything else runs there, and each Windows branch of the
code runs here too, by injection (test_windows_branches.py). test_platform_skips.py keeps
every platform skip in this module."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

from pilkada_cli.storage import recordlist


def can_symlink() -> bool:
    """Whether this account may create symbolic links: always on POSIX; on Windows only with
    Developer Mode or as an administrator."""
    if os.name == "posix":
        return True
    with tempfile.TemporaryDirectory() as folder:
        try:
            os.symlink(folder, os.path.join(folder, "link"), target_is_directory=True)
        except (OSError, NotImplementedError):
            return False
    return True


# A planted symbolic link is refused on every platform; only making one may be denied.
SYMLINKS = pytest.mark.skipif(not can_symlink(), reason=(
    "Windows: creating a symbolic link needs Developer Mode or administrator rights"))
# NTFS keeps no POSIX modes (chmod only sets the read-only flag); ACLs guard files there.
POSIX_MODES = pytest.mark.skipif(os.name != "posix", reason="Windows: NTFS has no POSIX modes")
# Windows has no os.stat(dir_fd=...): records are listed by whole paths there (the path listing
# is tested everywhere), and only a folder held open keeps its listing between runs.
RELATIVE_LOOKUPS = pytest.mark.skipif(not recordlist._AT, reason=(
    "Windows: no relative lookups, so no folder listing is kept between runs"))
# The peak memory of a child process, as the kernel counts it (resource is POSIX only).
GETRUSAGE = pytest.mark.skipif(sys.platform == "win32", reason=(
    "Windows: resource.getrusage is POSIX"))
# Worker processes are forked (a spawned one would import the command's __main__ again).
FORK = pytest.mark.skipif(not sys.platform.startswith("linux"), reason=(
    "non-Linux: worker processes are forked"))
