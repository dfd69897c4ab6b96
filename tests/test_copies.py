"""One origin per workspace copy: clones, copied folders and the per-user origin of before."""

from __future__ import annotations

import shutil
from pathlib import Path

from pilkada_cli.copies import copy_dir, workspace_origin


def test_each_folder_is_its_own_copy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    first = workspace_origin(a, home)
    assert workspace_origin(a, home) == first  # kept
    shutil.copytree(a, b)  # with its .pilkada/: still a new copy
    assert workspace_origin(b, home) != first
    assert copy_dir(a).is_relative_to(a / ".pilkada")


def test_the_per_user_origin_of_before_stays_with_the_first_copy_that_used_it(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "origin").write_text("pc-lama-0badc0de\n")
    a, b = tmp_path / "a", tmp_path / "b"
    for ws in (a, b):  # both hold records of the old origin (b is a clone of a)
        (ws / "records" / "16.10").mkdir(parents=True)
        (ws / "records" / "16.10" / "pc-lama-0badc0de.jsonl").write_bytes(b"")
    assert workspace_origin(a, home) == "pc-lama-0badc0de"
    assert workspace_origin(b, home) != "pc-lama-0badc0de"
    fresh = tmp_path / "fresh"
    fresh.mkdir()  # no records of the old origin: a new one
    assert workspace_origin(fresh, home) != "pc-lama-0badc0de"
