"""The national region list: counts, levels, time zones and lookup by code or name."""

from __future__ import annotations

import pytest

from conftest import RunCli
from pilkada_cli.base.errors import InputError
from pilkada_cli.domain.regions import load_regions


def test_national_counts_match_the_kepmendagri_list() -> None:
    index = load_regions()
    nation = list(index.descendants("ID", 4))
    by_level: dict[str, int] = {}
    for r in nation:
        by_level[r.level] = by_level.get(r.level, 0) + 1
    assert by_level["provinsi"] == 38
    assert by_level["kabupaten"] + by_level["kota"] == 514
    assert by_level["kecamatan"] == 7285
    assert by_level["desa"] == 83762
    sumsel = list(index.descendants("16", 3))
    assert len(sumsel) == 17 + 241


@pytest.mark.parametrize(("code", "zone"), [
    ("16.71", "WIB"), ("61.01", "WIB"), ("51.71", "WITA"), ("64.72", "WITA"),
    ("73.71", "WITA"), ("81.71", "WIT"), ("91.71", "WIT"), ("96.01", "WIT"),
])
def test_time_zone_follows_the_province(code: str, zone: str) -> None:
    region = load_regions().get(code)
    assert region is not None and region.timezone == zone


@pytest.mark.parametrize(("query", "code"), [
    ("palembang", "16.71"), ("Kota Palembang", "16.71"), ("OGAN ILIR", "16.10"),
    ("Kab. Ogan Ilir", "16.10"), ("kabupaten empat lawang", "16.11"),
    ("lubuklinggau", "16.73"), ("Pangkalpinang", "19.71"), ("lahat", "16.04"),
    ("kecamatan lahat", "16.04.10"), ("16.10", "16.10"), ("indonesia", "ID"),
    ("sumatera selatan", "16"),
])
def test_lookup_by_code_or_name(query: str, code: str) -> None:
    assert load_regions().resolve(query, scope="16").code == code


def test_accents_are_ignored() -> None:
    assert load_regions().resolve("Regapu'u").name == "Regapu’u"
    assert load_regions().resolve("regapúu").name == "Regapu’u"


def test_ambiguous_name_lists_candidates() -> None:
    with pytest.raises(InputError) as err:
        load_regions().resolve("bekasi")
    assert str(err.value) == ("region name 'bekasi' is ambiguous; use a code:\n"
                              "  32.16  Kabupaten Bekasi (kabupaten)\n"
                              "  32.75  Kota Bekasi (kota)")


def test_unknown_name_suggests_closest() -> None:
    with pytest.raises(InputError) as err:
        load_regions().resolve("palembng", scope="16")
    assert str(err.value).startswith("unknown region 'palembng'; did you mean: 16.71 Kota "
                                     "Palembang")


def test_cli_regions_level_kota(cli: RunCli) -> None:
    result = cli("regions", "16", "--level", "kota")
    assert result.exit_code == 0
    codes = [line.split()[0] for line in result.stdout.splitlines() if "Kota " in line]
    assert codes == ["16.71", "16.72", "16.73", "16.74"]


def test_cli_regions_by_name(cli: RunCli) -> None:
    result = cli("regions", "palembang")
    assert result.exit_code == 0
    first = next(line for line in result.stdout.splitlines() if "16.71" in line)
    assert "Kota Palembang" in first and "city" in first and "WIB" in first
    assert result.stdout.count("district") == 18


def test_cli_unknown_region_exit_2(cli: RunCli) -> None:
    result = cli("regions", "atlantis")
    assert result.exit_code == 2
    assert "Error: unknown region 'atlantis'" in result.stderr
