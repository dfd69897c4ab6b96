"""``due`` as plain text, made region by region (render/duetext.py) and kept per region
(cache/duetext.py): the same text as the screen made plain (render.screen.to_text of
render.status.due_screen) for every option, language and root; after one recorded event one
region is rendered again and nothing rewritten; widths that change make every piece again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.app import loading
from pilkada_cli.base.i18n import language
from pilkada_cli.cli._common import get_session, reset_session
from pilkada_cli.domain import views
from pilkada_cli.render import duetext
from pilkada_cli.render.screen import to_text
from pilkada_cli.render.status import due_screen
from pilkada_cli.storage.cache import duetext as store
from pilkada_cli.storage.cache import entries


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    folder = tmp_path_factory.mktemp("duetext") / "demo"
    result = CliRunner().invoke(app, ["demo", str(folder)],
                                env={"PILKADA_HOME": str(folder.parent / "home")})
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def demo(demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(demo_copy, folder, ignore=shutil.ignore_patterns(".pilkada"))
    monkeypatch.chdir(folder)
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # signatures alone decide
    return folder


def _screen_text(folder: Path, lang: str, region: str | None, as_of: str | None, within: int,
                 overdue: bool, owner: str | None, critical: bool) -> tuple[str, str]:
    """(the screen made plain, the text made region by region) of one ``due``."""
    reset_session(folder, lang)
    s = get_session()
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    sample = s.workspace().config.sample
    v = views.due(r, s.due_pairs(r, target.code), s.offices, target, within, overdue, owner,
                  critical)
    screen = to_text(due_screen(r, target, v.entries, v.tally, v.silent, within, sample, None,
                                None, overdue))
    text = loading.due_text(r, target, within, overdue, owner, critical, sample, language(),
                            s.offices)
    return screen, text


CASES = [(None, None, 14, False, None, False), (None, None, 30, False, None, True),
         (None, "2024-08-21", 14, True, None, False), ("16.71", None, 14, False, None, False),
         (None, "2024-06-01", 60, False, "KPU", False), (None, "2024-12-30", 0, False, None,
                                                          False),
         ("16.71.01", "2024-03-01", 3, False, None, False), (None, None, 14, False, "nobody",
                                                             False)]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_text_is_the_screen_made_plain(demo: Path, lang: str) -> None:
    for case in CASES:
        screen, text = _screen_text(demo, lang, *case)
        assert text == screen, case
        again = _screen_text(demo, lang, *case)[1]  # from the kept pieces
        assert again == screen, case
    assert "Nothing late or due." in _screen_text(demo, "en", *CASES[-1])[1]


def test_the_cli_writes_it_for_pipes(demo: Path, cli: RunCli) -> None:
    screen, _text = _screen_text(demo, "en", *CASES[0])
    reset_session(None, None)
    result = cli("--lang", "en", "due")  # not a terminal: plain text
    assert result.exit_code == 0, result.output
    assert result.stdout == screen
    assert cli("--lang", "en", "due", "--format", "plain").stdout == screen


def test_one_recorded_event_renders_one_region_again(demo: Path, cli: RunCli,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = duetext.make_piece
    monkeypatch.setattr(duetext, "make_piece", lambda r, pick, code, block: made.append(code)
                        or real(r, pick, code, block))
    first = cli("--lang", "en", "due").stdout
    reporting = len(made)
    assert reporting > 100  # every region that reported something, the first time
    kept = sorted((demo / ".pilkada" / "cache").glob("duetext-*.pkl"))
    assert len(kept) == 1
    written = kept[0].read_bytes()
    made.clear()
    assert cli("--lang", "en", "due").stdout == first
    assert made == []
    result = cli("blocked", "16.71", "hibah-dianggarkan-apbd-2024", "--reason", "dana belum cair",
                 "--at", "2024-08-20T10:00")
    assert result.exit_code == 0, result.output
    after = cli("--lang", "en", "due").stdout
    assert made == ["16.71"]
    line = next(x for x in after.splitlines() if "dana belum cair" in x)
    assert line.startswith("  16.71 Kota Palembang · hibah-dianggarkan-apbd-2024 (critical) · ")
    assert after != first
    # one region rendered again is not worth rewriting ~the whole list: the next run renders
    # it again, against the same kept entry
    moved = sorted((demo / ".pilkada" / "cache").glob("duetext-*.pkl"))
    assert [p.read_bytes() for p in moved if p.read_bytes() == written]
    made.clear()
    assert cli("--lang", "en", "due").stdout == after
    assert made == ["16.71"]
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert cli("--lang", "en", "due").stdout == after


def test_wider_cells_pad_every_row_again(demo: Path, cli: RunCli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A region whose cells are wider than any before widens a column: every kept row was
    padded to the old width, so every piece is made again (and the entry written)."""
    first = cli("--lang", "en", "due").stdout
    made: list[str] = []
    real = duetext.make_piece
    monkeypatch.setattr(duetext, "make_piece", lambda r, pick, code, block: made.append(code)
                        or real(r, pick, code, block))
    monkeypatch.setattr(store, "WRITE_AT", 10**6)
    widths = duetext.list_widths
    monkeypatch.setattr(duetext, "list_widths", lambda pieces, codes: tuple(
        w + 1 if i == 0 else w for i, w in enumerate(widths(pieces, codes))))
    wider = cli("--lang", "en", "due").stdout
    assert len(made) > 100
    table = first.index("\nRegion ")
    assert wider[:table] == first[:table]  # the lines above the table are not padded
    assert wider[table:] != first[table:]


def test_a_damaged_kept_piece_is_made_again(demo: Path, cli: RunCli) -> None:
    """Kept pieces whose lines and keys do not add up (a damaged entry, well formed) give the
    same text: every piece is made again."""
    from pilkada_cli.storage.cache import entries as kept_entries

    first = cli("--lang", "en", "due").stdout
    (path,) = (demo / ".pilkada" / "cache").glob("duetext-*.pkl")
    entry = kept_entries.read(path)
    assert entry is not None
    for code, (stamp, day, stored) in list(entry["pieces"].items()):
        lines, keys, widths, *rest = stored
        if keys:
            entry["pieces"][code] = (stamp, day, (lines, keys[:-1], widths, *rest))
        else:
            entry["pieces"][code] = (stamp, day, (lines, keys, (*widths, 9), *rest))
    kept_entries.write(path, entry)
    assert cli("--lang", "en", "due").stdout == first
