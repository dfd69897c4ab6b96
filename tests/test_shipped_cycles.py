"""The shipped cycles: valid, true to PKPU 2/2024, and accepted by the published JSON Schema."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from conftest import SHIPPED, RunCli
from pilkada_cli.domain.checklist import load_cycle, stage_files
from pilkada_cli.domain.schema import schema
from pilkada_cli.domain.yamlload import load_file

CYCLES = sorted(p for p in SHIPPED.iterdir() if (p / "cycle.yaml").is_file())

# domain.md §2a/§2b: PKPU 2/2024 stage windows that have fixed dates.
PKPU_2_2024 = {
    "pembentukan-ppk-pps-kpps": (date(2024, 4, 17), date(2024, 11, 5)),
    "pemantau-pemilihan": (date(2024, 2, 27), date(2024, 11, 16)),
    "penyerahan-dp4": (date(2024, 4, 24), date(2024, 5, 31)),
    "pemutakhiran-daftar-pemilih": (date(2024, 5, 31), date(2024, 9, 23)),
    "pengumuman-pendaftaran-paslon": (date(2024, 8, 24), date(2024, 8, 26)),
    "pendaftaran-paslon": (date(2024, 8, 27), date(2024, 8, 29)),
    "penetapan-paslon": (date(2024, 9, 22), date(2024, 9, 22)),
    "pengundian-nomor-urut": (date(2024, 9, 23), date(2024, 9, 23)),
    "kampanye": (date(2024, 9, 25), date(2024, 11, 23)),
    "masa-tenang": (date(2024, 11, 24), date(2024, 11, 26)),
    "pemungutan-suara": (date(2024, 11, 27), date(2024, 11, 27)),
    "penghitungan-rekapitulasi": (date(2024, 11, 27), date(2024, 12, 16)),
}


def test_five_cycles_are_shipped() -> None:
    assert [p.name for p in CYCLES] == ["pilkada-2024", "pilkada-template", "pilkada-ulang-2025",
                                        "psu", "wakil-kosong"]


@pytest.mark.parametrize("folder", CYCLES, ids=lambda p: p.name)
def test_shipped_cycle_is_valid(folder: Path) -> None:
    cycle = load_cycle(folder)
    assert cycle.id == folder.name
    for item in cycle.items.values():
        assert item.basis, f"{item.id} has no basis"
        assert item.title_en, f"{item.id} has no English title"


# A source a reader can open: a regulation, a decision or an article address, never a file of
# ours (a build machine's path, the project's notes) nor an issue of this repository.
OURS = re.compile(r"domain\.md|/work/|/home/|\bissue \d|shared/docs|\.md\b")


@pytest.mark.parametrize("folder", CYCLES, ids=lambda p: p.name)
def test_every_source_is_public(folder: Path) -> None:
    cycle = load_cycle(folder)
    texts = [("sources", src) for src in cycle.sources] + [("note", cycle.note)]
    texts += [(f"elections.{e.level}", e.basis) for e in cycle.elections]
    texts += [(f"elections.{e.level}.except.{code}", why) for e in cycle.elections
              for code, why in e.excluded]
    texts += [(f"owner_aliases.{a.region}", a.basis) for a in cycle.owner_aliases]
    for stage in cycle.stages:
        texts += [(stage.id, stage.basis), (stage.id, stage.note)]
        texts += [(item.id, text) for item in stage.items for text in (item.basis, item.note)]
    texts += [(f"variant at {v.path}:{v.line}", str(v.changed("basis") or ""))
              for v in cycle.variants]
    cited = [(where, text) for where, text in texts if OURS.search(text)]
    assert not cited, cited[:5]
    # every basis names its source (in brackets, or a regulation by its number) or says that
    # the item is our own synthesis where no public source gives it
    for item in cycle.items.values():
        assert "[" in item.basis or re.search(
            r"\b(UU|PKPU|PMK|Permendagri|SE|Perpres|Qanun)\b|\(sintesis, tidak resmi\)",
            item.basis), (item.id, item.basis)


TEMPLATES = ("pilkada-template", "pilkada-ulang-2025", "psu", "wakil-kosong")


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_are_written_relative_to_their_voting_day(name: str) -> None:
    """Issue 25: the shipped templates are re-basable: no date is an ISO date."""
    cycle = load_cycle(SHIPPED / name)
    assert cycle.dates and all(d.kind in ("relative", "fiscal") for d in cycle.dates), [
        (d.path, d.line, d.raw) for d in cycle.dates if d.kind == "absolute"][:3]


def test_the_next_pilkada_template_is_a_draft_and_anchors_grants_to_the_fiscal_year() -> None:
    template = load_cycle(SHIPPED / "pilkada-template")
    assert template.draft and not load_cycle(SHIPPED / "pilkada-2024").draft
    items = template.items
    assert items["hibah-dianggarkan-apbd-tahun-sebelumnya"].due_spec == "Y-1:11-10"
    assert items["hibah-dianggarkan-apbd-tahun-sebelumnya"].due == date(2030, 11, 10)
    assert "2023" not in items["hibah-dianggarkan-apbd-tahun-sebelumnya"].title
    # the 2024 offsets: PPK sworn in 16 May 2024 = H-195
    assert items["ppk-dilantik"].due_spec == "H-195"
    # per-region facts of 2024-2025 are not carried over; Aceh's and Papua's names are
    assert not [v for v in template.variants if v.regions and not set(v.regions) <= {
        "11", "91", "92", "93", "94", "95", "96"}]
    assert any(v.target == "panwascam-terbentuk" for v in template.variants)


@pytest.mark.parametrize("folder", CYCLES, ids=lambda p: p.name)
def test_every_shipped_stage_has_short_names_that_are_short(folder: Path) -> None:
    """Each stage names itself in a tight line (the stages under way beside the verdict) in
    both languages, in at most 24 characters, and no two stages share one."""
    stages = load_cycle(folder).stages
    for stage in stages:
        for short in (stage.short, stage.short_en):
            assert 0 < len(short) <= 24 and short == short.strip(), (stage.id, short)
    assert len({s.short for s in stages}) == len({s.short_en for s in stages}) == len(stages)


def test_pilkada_2024_has_the_21_pkpu_stages_and_dates() -> None:
    cycle = load_cycle(SHIPPED / "pilkada-2024")
    assert cycle.voting_day == date(2024, 11, 27)
    assert len(cycle.stages) == 21
    by_id = {s.id: s for s in cycle.stages}
    for stage_id, (start, end) in PKPU_2_2024.items():
        assert (by_id[stage_id].start, by_id[stage_id].end) == (start, end), stage_id
    assert by_id["perencanaan-program-anggaran"].end == date(2024, 1, 26)
    assert len(cycle.items) >= 80
    levels = {level for item in cycle.items.values() for level in item.levels}
    assert levels >= {"provinsi", "kabupaten", "kota", "kecamatan"}
    assert any(item.when == {"calon-tunggal"} for item in cycle.items.values())
    assert sum(item.critical for item in cycle.items.values()) >= 10


def test_rerun_2025_uses_relative_deadlines() -> None:
    cycle = load_cycle(SHIPPED / "pilkada-ulang-2025")
    assert cycle.voting_day == date(2025, 8, 27)
    relative = [i for i in cycle.items.values() if i.due_spec.startswith("H")]
    assert len(relative) >= len(cycle.items) // 2


def _files() -> list[tuple[str, Path]]:
    out = []
    for folder in CYCLES:
        out.append(("cycle", folder / "cycle.yaml"))
        out += [("stage", p) for p in stage_files(folder)]
    return out


@pytest.mark.parametrize(("kind", "path"), _files(), ids=lambda x: getattr(x, "name", x))
def test_shipped_files_match_the_json_schema(kind: str, path: Path) -> None:
    data = load_file(path).data
    jsonschema.validate(data, schema(kind))
    jsonschema.validate(data, schema())  # the combined schema accepts every kind


def test_schema_rejects_what_the_loader_rejects() -> None:
    bad_item = {"id": "s", "title": "S", "start": "2024-01-01", "end": "2024-02-01",
                "items": [{"id": "a", "title": "T", "owner": "KPU", "titel": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_item, schema("stage"))
    bad_due = {**bad_item, "items": [{"id": "a", "title": "T", "owner": "KPU", "due": "H-x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_due, schema("stage"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"cycle": "x", "region": "16.999"}, schema("workspace"))
    long_short = {**bad_item, "items": [{"id": "a", "title": "T", "owner": "KPU"}],
                  "short": "Penghitungan dan Rekapitulasi"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(long_short, schema("stage"))
    jsonschema.validate({**long_short, "short": "Rekapitulasi"}, schema("stage"))


def test_workspace_from_init_matches_schema(tmp_path: Path, cli: RunCli) -> None:
    assert cli("init", "ws", "--region", "16").exit_code == 0
    jsonschema.validate(load_file(tmp_path / "ws" / "pilkada.yaml").data, schema("workspace"))


def test_cli_schema_prints_json(cli: RunCli) -> None:
    result = cli("schema", "stage")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["required"] == ["id", "title", "start", "end", "items"]
    assert cli("schema", "nope").exit_code == 2


def test_cli_validate_without_arguments_checks_shipped_cycles(cli: RunCli) -> None:
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert "cycle pilkada-2024, 21 stages" in result.stderr
    for name in ("pilkada-ulang-2025", "pilkada-template", "psu", "wakil-kosong"):
        assert f"cycle {name}" in result.stderr
    # which dates are absolute: counted for every cycle, listed for a cycle named
    assert "0 of 60 dates are absolute" in result.stderr  # psu
    named = cli("validate", str(SHIPPED / "pilkada-2024"))
    assert named.exit_code == 0
    assert re.search(r"absolute at \S*06-pemantau-pemilihan\.yaml: lines 7, 8, \d+", named.stderr)


def test_cli_stages_lists_pkpu_dates_in_indonesian(cli: RunCli) -> None:
    result = cli("--lang", "id", "stages")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "masa-tenang" in line)
    assert "24 Nov 2024" in row and "26 Nov 2024" in row  # short dates on screen
    assert sum(1 for line in result.stdout.splitlines() if line.split()[0].isdigit()) >= 21


def test_cli_items_filters(cli: RunCli) -> None:
    result = cli("items", "--stage", "pemungutan-suara", "--owner", "kpu")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    owner = re.split(r"\s{2,}", lines[0]).index("Owner")
    rows = [re.split(r"\s{2,}", line) for line in lines[1:] if line.strip()]
    assert rows and all(row[owner] == "KPU" for row in rows)
    assert cli("items", "--stage", "nope").exit_code == 2
    assert cli("items", "--level", "rt").exit_code == 2
