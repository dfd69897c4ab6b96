"""The strict checklist loader: valid cycles load exactly, every bad input is exit 2 + file:line."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from conftest import MINI_CYCLE, RunCli, write_tree
from pilkada_cli.base.errors import ValidationError
from pilkada_cli.domain.checklist import load_cycle
from pilkada_cli.domain.yamlload import load_bytes


def test_mini_cycle_loads_with_defaults_and_relative_days(mini_cycle: Path) -> None:
    cycle = load_cycle(mini_cycle)
    assert [s.id for s in cycle.stages] == ["persiapan", "pemungutan"]
    items = cycle.items
    assert items["gudang"].due == date(2024, 6, 30)  # defaults to the stage's end
    assert items["gudang"].weight == 2
    assert items["nphd-kpu"].critical is True
    assert items["logistik-tps"].due == date(2024, 11, 26)  # H-1
    assert cycle.stages[1].start == date(2024, 11, 24)  # H-3
    assert cycle.stages[1].end == date(2024, 11, 27)  # H
    assert items["gudang"].levels == frozenset({"provinsi", "kabupaten", "kota"})
    assert items["sosialisasi-kolom-kosong"].when == frozenset({"calon-tunggal"})
    assert items["gudang"].requires == ("nphd-kpu",)


def test_yaml_11_surprises_stay_strings() -> None:
    doc = load_bytes(b"a: NO\nb: 0755\nc: 1:30\nd: 2024-01-05\ne: 16.10\nf: on\ng: 12\n", "x.yaml")
    assert doc.data == {"a": "NO", "b": "0755", "c": "1:30", "d": "2024-01-05", "e": "16.10",
                        "f": "on", "g": 12}


def _stage(items: str, start: str = "2024-01-01", end: str = "2024-02-01") -> str:
    return f"id: s\ntitle: S\nstart: {start}\nend: {end}\nitems:\n" + textwrap.indent(
        textwrap.dedent(items), "  ")


ITEM = "- id: {id}\n  title: T\n  owner: KPU\n"

BAD_STAGE_FILES = {
    "malformed": ("items: [\n  - id: x\n", 2, "invalid YAML"),
    "python-tag": ("id: !!python/object/apply:os.system ['id']\n", 1, "YAML tags"),
    "alias-bomb": ("a: &a [lol, lol]\nb: &b [*a, *a]\nc: [*b, *b]\n", 1, "anchors and aliases"),
    "deep-nesting": ("a: " + "[" * 500 + "]" * 500 + "\n", 1, "nesting deeper than 32"),
    "duplicate-key": (_stage(ITEM.format(id="a")) + "title: again\n", 9, "duplicate key 'title'"),
    "unknown-key": (_stage(ITEM.format(id="a") + "  titel: salah\n"), 9, "unknown key 'titel'"),
    "id-dotdot": (_stage(ITEM.format(id="../etc")), 6, "item '../etc' is not a valid id"),
    "id-uppercase": (_stage(ITEM.format(id="NPHD")), 6, "item 'NPHD' is not a valid id"),
    "id-reserved": (_stage(ITEM.format(id="con")), 6, "reserved device name"),
    "due-bad": (_stage(ITEM.format(id="a") + "  due: H-x\n"), 9, "'H-x' is not a date"),
    "ends-before-start": (_stage(ITEM.format(id="a"), end="2023-12-31"), 4,
                          "the stage ends (2023-12-31) before it starts (2024-01-01)"),
    "unknown-owner": (_stage("- id: a\n  title: T\n  owner: Polisi\n"), 8,
                      "unknown owner 'Polisi'"),
    "unknown-level": (_stage(ITEM.format(id="a") + "  levels: [rt]\n"), 9, "unknown level 'rt'"),
    "requires-missing": (_stage(ITEM.format(id="a") + "  requires: [zzz]\n"), 6,
                         "requires 'zzz', which is not an item"),
    "requires-loop": (_stage(ITEM.format(id="a") + "  requires: [b]\n" + ITEM.format(id="b")
                             + "  requires: [a]\n"), 6, "'requires' forms a loop: a → b → a"),
    "two-documents": (_stage(ITEM.format(id="a")) + "---\nid: t\n", 9, "only one YAML document"),
    "short-too-long": ("short: Penghitungan dan Rekapitulasi\n" + _stage(ITEM.format(id="a")), 1,
                       "'short' is 29 characters long; a short name has at most 24"),
    "short-en-empty": (_stage(ITEM.format(id="a")) + "short_en: ''\n", 9,
                       "'short_en' is empty; leave it out to use the title"),
    "short-two-lines": (_stage(ITEM.format(id="a")) + "short: |\n  Kampanye\n  dan debat\n", 9,
                        "'short' must be one line"),
}


@pytest.fixture
def cycle_with(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(name: str, text: str) -> Path:
        files = {"cycle.yaml": MINI_CYCLE["cycle.yaml"]}
        root = write_tree(tmp_path / name, files)
        (root / "01-s.yaml").write_text(text, encoding="utf-8")
        return root

    return make


@pytest.mark.parametrize("case", sorted(BAD_STAGE_FILES))
def test_bad_stage_file_exits_2_naming_file_and_line(case: str, cycle_with, cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    text, line, message = BAD_STAGE_FILES[case]
    root = cycle_with(case, text)
    result = cli("validate", str(root))
    assert result.exit_code == 2, result.output
    assert f"{root / '01-s.yaml'}:{line}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_big_file_is_refused_without_reading_it_all(cycle_with, cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    root = cycle_with("big", "")
    with (root / "01-s.yaml").open("wb") as fh:
        fh.write(b"# padding\n" * 2_000_000)  # 20 MB
    result = cli("validate", str(root))
    assert result.exit_code == 2
    assert f"{root / '01-s.yaml'}: file is larger than 1024 KB" in result.stderr


def test_non_utf8_file_names_the_line(cycle_with, cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    root = cycle_with("latin1", "")
    (root / "01-s.yaml").write_bytes("id: s\ntitle: Pemilihan Ulang \u00e9\n".encode("latin-1"))
    result = cli("validate", str(root))
    assert result.exit_code == 2
    assert f"{root / '01-s.yaml'}:2: file is not valid UTF-8 text" in result.stderr


def test_every_problem_is_reported_in_one_run(cycle_with, cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    text = _stage(ITEM.format(id="a") + "  titel: x\n  due: H-x\n" + ITEM.format(id="a"))
    root = cycle_with("many", text)
    result = cli("validate", str(root))
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if "01-s.yaml:" in line]
    assert len(lines) == 3
    assert "unknown key 'titel'" in lines[0] and ":9:" in lines[0]
    assert "'H-x' is not a date" in lines[1] and ":10:" in lines[1]
    assert "duplicate item id 'a'" in lines[2] and ":11:" in lines[2]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    files = dict(MINI_CYCLE)
    files["03-lagi.yaml"] = _stage(ITEM.format(id="gudang"))
    root = write_tree(tmp_path / "dup", files)
    with pytest.raises(ValidationError) as err:
        load_cycle(root)
    assert str(err.value) == (f"{root / '03-lagi.yaml'}:6: duplicate item id 'gudang' "
                              f"(also at {root / '01-persiapan.yaml'}:11)")


def test_workspace_naming_unknown_region_is_exit_2(tmp_path: Path, cli: RunCli) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pilkada.yaml").write_text("cycle: pilkada-2024\nregion: \"16.99\"\n", "utf-8")
    result = cli("validate", str(ws))
    assert result.exit_code == 2
    assert f"{ws / 'pilkada.yaml'}:2: unknown region code '16.99'" in result.stderr


def test_workspace_unknown_key_and_bad_depth(tmp_path: Path, cli: RunCli) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pilkada.yaml").write_text(
        "cycle: pilkada-2024\nregion: 16\ndepth: rt\nthreshold:\n  warn_days: 3\n", "utf-8")
    result = cli("validate", str(ws / "pilkada.yaml"))
    assert result.exit_code == 2
    assert f"{ws / 'pilkada.yaml'}:3: unknown depth 'rt'" in result.stderr
    assert f"{ws / 'pilkada.yaml'}:4: unknown key 'threshold' (did you mean 'thresholds'?)" \
        in result.stderr


def test_a_stage_short_name_of_24_characters_loads(cycle_with) -> None:  # type: ignore[no-untyped-def]
    text = "short: Penetapan calon terpilih\nshort_en: Count and recapitulation\n" + \
        _stage(ITEM.format(id="a"))
    stage = load_cycle(cycle_with("short", text)).stages[0]
    assert (stage.short, stage.short_en) == ("Penetapan calon terpilih", "Count and recapitulation")
    plain = load_cycle(cycle_with("plain", _stage(ITEM.format(id="a")))).stages[0]
    assert (plain.short, plain.short_en) == ("", "")
