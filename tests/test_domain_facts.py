"""The shipped checklists against the facts of domain.md §8 and §9 (each test names its line),
and the commands of issues 14 and 25's "Done when"."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import SHIPPED, RunCli
from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.readiness import AsOf, Readiness, applies, region_tags
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.workspace import SUMSEL_TAGS, Thresholds

WILAYAH = Path(__file__).resolve().parents[1] / "src" / "pilkada_cli" / "data" / "wilayah.csv"


@pytest.fixture(scope="module")
def cycle() -> Cycle:
    return load_cycle(SHIPPED / "pilkada-2024")


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``status --format json`` of a fresh national workspace, nation to regency."""
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    ws = tmp_path_factory.mktemp("nation") / "ws"
    runner = CliRunner()
    env = {"NO_COLOR": "1", "COLUMNS": "200", "PILKADA_LANG": "en"}
    made = runner.invoke(app, ["init", str(ws), "--region", "indonesia", "--depth",
                               "kabupaten", "--language", "en"], env=env)
    assert made.exit_code == 0, made.output
    out = runner.invoke(app, ["--workspace", str(ws), "status", "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.stdout)
    data["_config"] = (ws / "pilkada.yaml").read_text(encoding="utf-8")
    return data


def test_545_regions_elect_a_head_37_415_93(national: dict[str, Any]) -> None:
    # §8a: "Pilkada 2024 elected 545 regional heads: 37 governors, 415 regents, 93 mayors";
    # counted here from the region list: every province but DIY (34), every kabupaten but
    # Kepulauan Seribu (31.01), every kota but Jakarta's five (31.71-31.75).
    with WILAYAH.open(encoding="utf-8") as fh:
        codes = [row["kode"] for row in csv.DictReader(fh)]
    provinces = [c for c in codes if "." not in c and c != "34"]
    regencies = [c for c in codes if c.count(".") == 1 and int(c[3:]) < 71 and c != "31.01"]
    cities = [c for c in codes if c.count(".") == 1 and int(c[3:]) >= 71
              and c not in ("31.71", "31.72", "31.73", "31.74", "31.75")]
    assert (len(provinces), len(regencies), len(cities)) == (37, 415, 93)
    assert national["root"]["electing_regions"] == 37 + 415 + 93
    rows = {row["code"]: row for row in national["regions"]}
    assert len(rows) == 38
    assert sum(row["electing_regions"] for row in rows.values()) == 545
    # §8a: DI Yogyakarta elects no governor but its five kab/kota elect; DKI elects only its
    # governor.
    assert (rows["34"]["elects"], rows["34"]["electing_regions"]) == (False, 5)
    assert (rows["31"]["elects"], rows["31"]["electing_regions"]) == (True, 1)


def _own_items(cycle: Cycle) -> list[str]:
    return [i.id for i in cycle.items.values() if i.serves == "own"]


def test_no_own_election_item_applies_to_jakarta_cities_or_diy(cycle: Cycle) -> None:
    # §8a: Jakarta's administrative cities (31.71-31.75) and regency (31.01), and DIY's
    # governor: no own-APBD grants, NPHD, candidacy, declaration, DPRD proposal, inauguration.
    index = load_regions()
    regions = [index.get(c) for c in ("31", "31.01", "31.71", "34", "34.71")]
    r = Readiness(cycle, [x for x in regions if x is not None], {}, [],
                  AsOf(day=date(2024, 8, 21)), Thresholds())
    own = set(_own_items(cycle))
    assert {"nphd-kpu-tanda-tangan", "hibah-kpu-tahap-1", "paslon-ditetapkan",
            "pelantikan-kepala-daerah", "usul-pengesahan-disampaikan"} <= own
    for code in ("31.71", "31.01", "34"):
        ids = {st.item.id for st in r.items(code)}
        assert not ids & own, (code, ids & own)
    # They still host the governor's election (31.x) or their regencies' (34): ad hoc bodies,
    # voter lists, logistics, TPS and the city-level recapitulation apply.
    city = {st.item.id for st in r.items("31.71")}
    assert {"kpps-dilantik", "dpt-ditetapkan-kabkota", "tps-siap",
            "rekapitulasi-kabkota"} <= city
    assert "laporan-bulanan-desk-pilkada-2024-02" in {st.item.id for st in r.items("34")}
    # §8a: "DIY's five kab/kota do elect": every own item of a city without tags applies there
    city_own = {i for i in own if "kota" in cycle.items[i].levels and not cycle.items[i].when}
    assert city_own <= {st.item.id for st in r.items("34.71")}
    assert {"nphd-kpu-tanda-tangan", "dpt-ditetapkan-provinsi"} <= {
        st.item.id for st in r.items("31")}


def test_recapitulation_is_due_per_level(cycle: Cycle) -> None:
    # §8c: "PPK (kecamatan) recap 28 Nov-3 Dec; kab/kota recap 29 Nov-6 Dec; provincial recap
    # 30 Nov-9 Dec"; PPS -> PPK handover 28-30 Nov; §8g: the recapitulation is critical.
    items = cycle.items
    assert items["hasil-pps-diserahkan-ke-ppk"].due == date(2024, 11, 30)
    assert items["rekapitulasi-kecamatan"].due == date(2024, 12, 3)
    assert items["rekapitulasi-kabkota"].due == date(2024, 12, 6)
    assert items["rekapitulasi-provinsi"].due == date(2024, 12, 9)
    assert all(items[i].critical for i in ("hasil-pps-diserahkan-ke-ppk", "rekapitulasi-kecamatan",
                                           "rekapitulasi-kabkota", "rekapitulasi-provinsi"))


def test_pps_sworn_in_26_may_and_kpps_7_november(cycle: Cycle) -> None:
    # §8f: "PPS inaugurated 26 May 2024 ... KPPS 7 Nov 2024"
    assert cycle.items["pps-dilantik"].due == date(2024, 5, 26)
    assert cycle.items["kpps-dilantik"].due == date(2024, 11, 7)


def test_aceh_reads_kip_and_panwaslih(tmp_path: Path, cli: RunCli) -> None:
    # §8a: "Aceh (11): the election bodies are KIP Aceh / KIP kab/kota (not KPU) and Panwaslih
    # (not Bawaslu), under UU 11/2006"
    assert cli("init", "ws", "--region", "11", "--depth", "kabupaten", "--language",
               "en").exit_code == 0
    ws = str(tmp_path / "ws")
    data = json.loads(cli("--workspace", ws, "status", "11.71", "--format", "json",
                          "--as-of", "2024-06-01").stdout)
    items = {i["item"]: i for i in data["items"]}
    assert items["ppk-dilantik"]["owner"] == "KIP"
    assert items["panwascam-terbentuk"]["owner"] == "Panwaslih"
    assert items["nphd-kpu-tanda-tangan"]["title"] == "NPHD dengan KIP ditandatangani"
    table = cli("--workspace", ws, "status", "11.71", "--as-of", "2024-06-01", "--all")
    words = set(re.findall(r"[\w-]+", table.stdout))
    assert "KIP" in words and "Panwaslih" in words and not words & {"KPU", "Bawaslu"}
    sumsel = json.loads(cli("status", "16.71", "--format", "json", "--as-of",
                            "2024-06-01").stdout)
    assert {i["owner"] for i in sumsel["items"] if i["item"] == "ppk-dilantik"} == {"KPU"}


def test_desk_pilkada_reports_every_month_from_february(cycle: Cycle) -> None:
    # §8b: desks set up by decree in January-February 2024, reporting monthly; weekly in the
    # last weeks after Kemendagri's order of 22 Oct 2024, through recapitulation and beyond.
    desk = cycle.items["desk-pilkada-diaktifkan"]
    assert date(2024, 1, 1) <= desk.due <= date(2024, 2, 29)
    reports = [i for i in cycle.items.values() if i.series in (
        "laporan-bulanan-desk-pilkada", "laporan-mingguan-desk-pilkada")]
    months_2024 = sorted({i.due.month for i in reports if i.due.year == 2024})
    assert months_2024 == list(range(2, 13))  # February to December 2024
    monthly = [i.due for i in reports if i.series == "laporan-bulanan-desk-pilkada"]
    assert monthly[0] == date(2024, 2, 29) and len(monthly) == 9  # February to October
    weekly = [i.due for i in reports if i.series == "laporan-mingguan-desk-pilkada"]
    assert all(d.weekday() == 0 for d in weekly)  # Mondays
    assert weekly[0] > date(2024, 10, 22) and weekly[-1] == date(2024, 12, 16)
    after = [i.due for i in cycle.items.values() if i.series == "laporan-desk-pasca-rekapitulasi"]
    assert after == [date(2025, 1, 31), date(2025, 2, 28)]  # MK disputes and inauguration


def test_only_empat_lawang_has_the_psu_item_in_the_sumsel_default(cycle: Cycle) -> None:
    # §8e: nine sengketa-mk regions; "only Empat Lawang ... held its PSU on 19 Apr 2025";
    # "a PSU item applies to a region with a PSU ruling, not to every region with a case"
    index = load_regions()
    tags = {code: frozenset(t) for code, t in SUMSEL_TAGS.items()}
    item = cycle.items["psu-putusan-mk-dilaksanakan"]
    regions = [index.get("16"), *index.descendants("16", 2)]
    with_psu = [r.code for r in regions
                if r is not None and applies(cycle, item, r, region_tags(r.code, tags))]
    assert with_psu == ["16.11"]
    assert item.due == date(2025, 4, 19)
    assert sorted(c for c, t in tags.items() if "sengketa-mk" in t) == [
        "16.01", "16.03", "16.04", "16.07", "16.09", "16.10", "16.11", "16.71", "16.72"]
    # §8e: "declaration after a dismissal fell around 10 Feb 2025"
    assert cycle.items["calon-terpilih-ditetapkan-pasca-putusan-mk"].due == date(2025, 2, 10)


def test_dispute_stage_follows_the_national_mk_schedule_and_sumsel_its_own(cycle: Cycle) -> None:
    # §9d: "MK disputes, nationally (PMK 14/2024): petitions from 27 Nov to 18 Dec 2024 ...;
    # KPU's answer and Bawaslu's statement in the hearings of 17 Jan-4 Feb 2025; final rulings
    # 24 Feb 2025. The 6-11 Dec window is Sumsel's."
    stage = cycle.stage("penyelesaian-pelanggaran-sengketa")
    assert stage is not None and stage.start == date(2024, 11, 27)
    petition = cycle.items["permohonan-phpu-diajukan"]
    assert (petition.start, petition.due) == (date(2024, 11, 27), date(2024, 12, 18))
    for answer in ("jawaban-kpu-sengketa-mk", "keterangan-bawaslu-sengketa-mk"):
        assert (cycle.items[answer].start, cycle.items[answer].due) == (
            date(2025, 1, 17), date(2025, 2, 4))
    # §8e, §9d: in Sumatera Selatan the petitions were filed 6-11 Dec 2024
    key = cycle.variant_key("16.71", "kota", frozenset({"sengketa-mk"}))
    assert cycle.stage_for(stage, key).start == date(2024, 12, 6)
    sumsel = cycle.item_for(petition, key)
    assert (sumsel.start, sumsel.due) == (date(2024, 12, 6), date(2024, 12, 11))
    assert cycle.item_for(petition, cycle.variant_key("32.06", "kabupaten", frozenset())).due \
        == date(2024, 12, 18)


def test_third_single_candidate_window(cycle: Cycle) -> None:
    # §8d: "KPU reopened document submission on 11-16 Sep 2024 in single-candidate regions"
    item = cycle.items["penyerahan-dokumen-dibuka-kembali"]
    assert (item.due, item.when, item.stage) == (
        date(2024, 9, 16), frozenset({"calon-tunggal"}), "pendaftaran-paslon")


def test_owners_and_dates_of_8f(cycle: Cycle) -> None:
    items = cycle.items
    # §8f: "The Forkopimda security meeting is convened and chaired by the regional head"
    assert items["rakor-forkopimda-keamanan"].owner == "Pemda"
    # §8f: "TPS Linmas are paid from KPU's ad hoc honoraria ... and recruited through PPS"
    assert items["linmas-tps-direkrut"].owner == "KPU"
    assert "desa" in items["linmas-tps-direkrut"].levels
    # §8f: "Pasal 71(2) ... runs from 22 Mar 2024 to the end of the term"; §9d: "an item with a
    # start, not only an end"
    assert items["larangan-penggantian-pejabat"].due >= date(2025, 2, 20)
    assert items["larangan-penggantian-pejabat"].start == date(2024, 3, 22)
    # §8f: "Pasal 71(3) ... runs until the elected pair is declared"
    assert items["program-pemda-netral"].due == items["calon-terpilih-ditetapkan"].due
    # §8f: "The single-candidate ballot design is checked before printing (October)"
    assert items["surat-suara-kolom-kosong"].due <= date(2024, 10, 31)
    # §8f: the province forwards kab/kota appointment proposals
    assert items["usul-pengesahan-diteruskan-provinsi"].levels == frozenset({"provinsi"})


def test_rerun_stage_one_transfer_is_not_due_on_a_sunday() -> None:
    # §8f: "hibah-tahap-1-tersalur H-164 is a Sunday (14 working days after 24 Feb 2025 ≈
    # 14 Mar, H-166)"
    rerun = load_cycle(SHIPPED / "pilkada-ulang-2025")
    item = rerun.items["hibah-tahap-1-tersalur"]
    assert (item.due_spec, item.due) == ("H-166", date(2025, 3, 14))
    start, working = date(2025, 2, 24), 0
    day = start
    while working < 14:  # 14 working days after 24 Feb 2025 (no holiday in between)
        day += timedelta(days=1)
        working += day.weekday() < 5
    assert day == item.due and item.due.weekday() == 4


def test_rerun_elects_only_in_bangka_and_pangkalpinang() -> None:
    # §6b (as §8f refers to it): the 2025 re-run is held in Kab. Bangka and Kota Pangkalpinang
    rerun = load_cycle(SHIPPED / "pilkada-ulang-2025")
    assert [c for c in ("19.01", "19.02", "19.71", "19") if rerun.elects(c)] == ["19.01", "19.71"]
    assert rerun.hosts("19") and not rerun.hosts("19.02")


def test_critical_flags_follow_the_written_rule(cycle: Cycle) -> None:
    # §8g: "Same-kind items are flagged alike (all grant transfers, or none)"; compliance,
    # briefings, reports and prop clearing are not critical.
    items = cycle.items
    transfers = [i for i in items if i.startswith("hibah-") and "-tahap-" in i]
    assert len(transfers) == 8 and all(items[i].critical for i in transfers)
    nphd = [i for i in items if i.startswith("nphd-")]
    assert len(nphd) == 4 and all(items[i].critical for i in nphd)
    for not_critical in ("larangan-penggantian-pejabat", "program-pemda-netral",
                         "deklarasi-netralitas-asn", "sosialisasi-pkpu-pencalonan-pasca-putusan-mk",
                         "rakor-forkopimda-keamanan", "penertiban-apk-masa-tenang",
                         "desk-pilkada-diaktifkan", "laporan-realisasi-hibah"):
        assert not items[not_critical].critical, not_critical
    assert not any(i.critical for i in items.values() if i.owner == "Desk Pilkada")
    rerun = load_cycle(SHIPPED / "pilkada-ulang-2025").items
    assert all(rerun[i].critical for i in rerun if i.startswith(("nphd-", "hibah-")))


def test_depth_desa_has_items(cycle: Cycle) -> None:
    # §8f: preparations at village level (PPS secretariat staff proposed by village heads,
    # Linmas recruited through PPS) and village socialisation
    desa = {i.id for i in cycle.items.values() if "desa" in i.levels}
    assert {"staf-sekretariat-pps-diusulkan", "linmas-tps-direkrut",
            "sosialisasi-pemilih-desa", "pps-dilantik", "tps-siap"} <= desa
    assert cycle.items["staf-sekretariat-pps-diusulkan"].owner == "Kepala Desa"


def test_national_init_writes_only_sourced_tags(national: dict[str, Any]) -> None:
    # §9e: "The 37 single-candidate regions (KPU, 23 Sep 2024): Province 92 Papua Barat; kota
    # 19.71, 35.75, 35.78, 64.72, 65.71; kabupaten 11.08, ... 76.01"; §9a: "PSU ordered in 24
    # regions (23 kab/kota and Provinsi Papua)"; "a tag must be able to apply to one region
    # without passing down" (Papua's PSU, Papua Barat's single candidate).
    text = national["_config"]
    tags, own = text.split("\nown_tags:\n")
    rows = [line for line in tags.splitlines() if line.startswith('  "')]
    single = [line.split('"')[1] for line in rows if "calon-tunggal" in line]
    assert len(single) == 36 and sum(int(c[3:]) >= 71 for c in single) == 5
    assert '"16.11": [calon-tunggal, psu-mk, sengketa-mk]' in tags
    assert '"64.11": [psu-mk, sengketa-mk]' in tags  # Mahakam Ulu
    assert sum("psu-mk" in line for line in rows) == 23
    assert not any(line.startswith(('  "91"', '  "92"')) for line in rows)
    assert '"91": [psu-mk, sengketa-mk]' in own and '"92": [calon-tunggal]' in own
    assert '"19": [putusan-akhir-mk, sengketa-mk]' in own
    assert '"95": [putusan-akhir-mk, sengketa-mk]' in own
    assert "sengketa-mk (about 310 cases) is complete only in" in text


def test_done_when_commands(tmp_path: Path, cli: RunCli) -> None:
    # Issue 14, "Done when": recap due 3 Dec 2024 at kecamatan (§8c), the Desk Pilkada's
    # monthly report listed by `due` in March 2024 (§8b).
    items = cli("--lang", "en", "items", "--level", "kecamatan")
    row = next(line for line in items.stdout.splitlines() if "rekapitulasi-kecamatan" in line)
    assert "3 Dec 2024" in row  # short dates on screen
    # `due` leaves out regions that have reported nothing: the province has recorded one thing.
    assert cli("init", "ws", "--region", "16", "--depth", "kabupaten").exit_code == 0
    ws = str(tmp_path / "ws")
    assert cli("--workspace", ws, "done", "16", "nphd-kpu-tanda-tangan", "--at",
               "2023-11-20T10:00").exit_code == 0
    due = cli("--lang", "en", "--workspace", ws, "due", "16", "--as-of", "2024-03-15")
    assert due.exit_code == 0
    assert any(line.startswith("16 ") and "laporan-bulanan-desk-pilkada-2024-02" in line
               for line in due.stdout.splitlines())


@pytest.fixture(scope="module")
def jakarta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DKI Jakarta to kab/kota level with one recorded item (so the regions are not NO REPORT)."""
    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    ws = tmp_path_factory.mktemp("dki") / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(ws), "--region", "31", "--depth", "kabupaten",
                               "--language", "en"]).exit_code == 0
    assert runner.invoke(app, ["--workspace", str(ws), "done", "31.71", "tps-siap", "--at",
                               "2024-11-20T10:00"]).exit_code == 0
    return ws


def test_views_say_when_a_region_elects_no_head(jakarta: Path, cli: RunCli) -> None:
    # §8a: Jakarta's administrative cities and regency elect no head; the views say so.
    ws = str(jakarta)
    table = cli("--workspace", ws, "status", "--as-of", "2024-11-25").stdout
    assert "Regions that elect a head: 1" in table.splitlines()[:6]
    rows = [line for line in table.splitlines() if line.startswith("31.")]
    assert len(rows) == 6 and all("· elects no head" in row for row in rows)
    detail = cli("--workspace", ws, "status", "31.71", "--as-of", "2024-11-25").stdout
    assert ("Kota Administrasi Jakarta Pusat elects no head in this cycle: kota administrasi, "
            "tanpa pemilihan wali kota dan tanpa DPRD (UU 29/2007)") in detail
    province = cli("--workspace", ws, "status", "31", "--as-of", "2024-11-25").stdout
    assert "Daerah Khusus Ibukota Jakarta elects no head" not in province
    indonesian = cli("--lang", "id", "--workspace", ws, "status", "--as-of", "2024-11-25")
    assert "· tanpa pilkada sendiri" in indonesian.stdout


def test_reports_and_maps_say_when_a_region_elects_no_head(jakarta: Path, tmp_path: Path,
                                                           cli: RunCli) -> None:
    ws = str(jakarta)
    out = tmp_path / "r.{format}"
    assert cli("--workspace", ws, "report", "--as-of", "2024-11-25", "-f", "md", "-o",
               str(out)).exit_code == 0
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "- **Regions that elect a head:** 1" in md
    line = next(x for x in md.splitlines() if x.startswith("- **Elect no head in this cycle:**"))
    assert [c for c in ("31.01", "31.71", "31.72", "31.73", "31.74", "31.75") if c in line] == [
        "31.01", "31.71", "31.72", "31.73", "31.74", "31.75"]
    svg = tmp_path / "m.svg"
    assert cli("--workspace", ws, "map", "--as-of", "2024-11-25", "-o", str(svg)).exit_code == 0
    text = svg.read_text(encoding="utf-8")
    assert "Regions that elect a head: 1" in text
    assert "Kota Administrasi Jakarta Pusat (31.71)" in text and "elects no head</title>" in text


# --- §9: the second review (Dec 2026) ------------------------------------------------------------

def _for(cycle: Cycle, item: str, code: str, tags: frozenset[str] = frozenset(),
         level: str | None = None) -> Any:
    from pilkada_cli.domain.regions import level_of

    return cycle.localise(cycle.items[item], code, cycle.variant_key(
        code, level or level_of(code), tags))


PSU = frozenset({"psu-mk", "sengketa-mk"})


def test_psu_dates_per_cluster(cycle: Cycle) -> None:
    # §9a: "22 Mar 2025: Siak (14.08), Bangka Barat (19.05), Magetan (35.20), Barito Utara
    # (62.05); 5 Apr 2025: Sabang (11.72), Banggai (72.01), Bungo (15.08), Pulau Taliabu (82.08),
    # Buru (81.04); Kepulauan Talaud (71.04) on 9 Apr; 19 Apr 2025: Empat Lawang (16.11) and the
    # other 60-day regions; 24 May 2025: Palopo (73.73), Mahakam Ulu (64.11), Pesawaran (18.09);
    # 6 Aug 2025: Boven Digoel (93.02) and Provinsi Papua (91)."
    expected = {"14.08": date(2025, 3, 22), "19.05": date(2025, 3, 22),
                "35.20": date(2025, 3, 22), "11.72": date(2025, 4, 5), "72.01": date(2025, 4, 5),
                "15.08": date(2025, 4, 5), "82.08": date(2025, 4, 5), "81.04": date(2025, 4, 5),
                "71.04": date(2025, 4, 9), "16.11": date(2025, 4, 19), "32.06": date(2025, 4, 19),
                "73.73": date(2025, 5, 24), "64.11": date(2025, 5, 24), "18.09": date(2025, 5, 24),
                "93.02": date(2025, 8, 6), "91": date(2025, 8, 6)}
    for code, day in expected.items():
        assert _for(cycle, "psu-putusan-mk-dilaksanakan", code, PSU).due == day, code
    # §9a: Barito Utara: "a second full PSU with new pairs, 6 Aug 2025"
    barut = _for(cycle, "psu-putusan-mk-dilaksanakan", "62.05", PSU)
    assert barut.due == date(2025, 8, 6) and "22 Mar 2025" in barut.title
    # the districts of a regency read its date
    assert _for(cycle, "psu-putusan-mk-dilaksanakan", "14.08.01", PSU).due == date(2025, 3, 22)


def test_empat_lawang_second_mk_round_and_inauguration_by_the_governor(cycle: Cycle) -> None:
    # §9a: "Empat Lawang 323/PHPU.BUP-XXIII/2025, 'not accepted' 26 May 2025; KPU declared the
    # winner 29 May; the Governor inaugurated the pair 16 Jun 2025"
    assert _for(cycle, "sengketa-mk-pasca-psu", "16.11", PSU).due == date(2025, 5, 26)
    assert _for(cycle, "calon-terpilih-ditetapkan-pasca-psu", "16.11", PSU).due == \
        date(2025, 5, 29)
    inauguration = _for(cycle, "pelantikan-pasca-psu", "16.11", PSU)
    assert (inauguration.due, inauguration.owner) == (date(2025, 6, 16), "Pemda")
    assert "gubernur" in inauguration.title
    # §9b: "20 Feb 2025 (Perpres 13/2025 Ps 22A)" is not theirs
    assert "psu-mk" in cycle.items["pelantikan-kepala-daerah"].unless
    assert "Perpres 13/2025" in cycle.items["pelantikan-kepala-daerah"].basis


def test_papua_psu_is_the_province_s_own(tmp_path: Path, cli: RunCli) -> None:
    # §9a: "A province-level case (Papua's PSU, Papua Barat's single candidate) concerns the
    # province's own election only, not its regencies"
    assert cli("init", "ws", "--region", "91", "--depth", "kabupaten", "--language",
               "en").exit_code == 0
    ws = str(tmp_path / "ws")
    province = json.loads(cli("--workspace", ws, "items", "91", "--format", "json").stdout)
    assert "psu-mk" in province["region"]["tags"]
    psu = next(i for i in province["items"] if i["id"] == "psu-putusan-mk-dilaksanakan")
    assert psu["due"] == "2025-08-06" and psu["variant"]["where"] == "93.02, 91"
    regency = json.loads(cli("--workspace", ws, "items", "91.03", "--format", "json").stdout)
    assert "psu-mk" not in regency["region"]["tags"]
    assert not any(i["id"] == "psu-putusan-mk-dilaksanakan" for i in regency["items"])


def test_inauguration_is_not_one_date_for_everyone(cycle: Cycle) -> None:
    # §9b: "20 Feb 2025 (Perpres 13/2025 Ps 22A) holds for regions without an MK case"
    assert _for(cycle, "pelantikan-kepala-daerah", "16.71").due == date(2025, 2, 20)
    # §9b: "Aceh: the governor was inaugurated 12 Feb 2025 in the DPRA plenary (UU 11/2006 Ps
    # 69c); Aceh's regents and mayors by the governor before their DPRK"
    governor = _for(cycle, "pelantikan-kepala-daerah", "11")
    assert governor.due == date(2025, 2, 12) and "DPRA" in governor.title
    regent = _for(cycle, "pelantikan-kepala-daerah", "11.08")
    assert "Gubernur Aceh" in regent.title and "DPRK" in regent.title
    # §9b: "The 15 regions decided on 24 Feb 2025 ... the President inaugurated the two
    # governors (Babel, Papua Pegunungan) on 17 Apr 2025, governors inaugurated the 13"
    decided = frozenset({"sengketa-mk", "putusan-akhir-mk"})
    assert _for(cycle, "pelantikan-kepala-daerah", "19", decided).due == date(2025, 4, 17)
    assert _for(cycle, "putusan-mk-dibacakan", "95", decided).due == date(2025, 2, 24)


def test_aceh_supervisors_and_the_quran_test(cycle: Cycle) -> None:
    # §9c: "Panwaslih Kecamatan recruited 27-29 Jul 2024, set 11-12 Aug 2024; village
    # supervisors are PPL, recruited 29-31 Aug 2024"
    panwaslih = _for(cycle, "panwascam-terbentuk", "11.08")
    assert panwaslih.due == date(2024, 8, 12) and "Panwaslih Kecamatan" in panwaslih.title
    assert _for(cycle, "panwascam-terbentuk", "16.71").due == date(2024, 5, 27)
    ppl = _for(cycle, "pkd-pendaftaran", "11.08.01")
    assert (ppl.start, ppl.due) == (date(2024, 8, 29), date(2024, 8, 31)) and "PPL" in ppl.title
    stage = cycle.stage("pembentukan-panwascam-pkd-ptps")
    assert stage is not None
    aceh = cycle.stage_for(stage, cycle.variant_key("11", "provinsi", frozenset()))
    assert aceh.start == date(2024, 7, 27) and "Panwaslih" in aceh.title
    # §9c: "Candidates take a Qur'an reading test (UUPA, Qanun 12/2016); governor candidates on
    # 4 Sep 2024"
    quran = cycle.items["uji-baca-al-quran"]
    assert quran.when == {"aceh"} and quran.due == date(2024, 9, 4)
    assert "Qanun Aceh 12/2016" in quran.basis
    # §9c: Papua: "distrik and PPD instead of kecamatan and PPK"
    assert cycle.owner_names("94.01.01") == {"Camat": "Kepala Distrik"}
    assert _for(cycle, "ppk-dilantik", "94.01").title.startswith("Anggota PPD")


def test_bases_and_dates_of_9d(cycle: Cycle) -> None:
    items = cycle.items
    # §9d: "Counting at the TPS: PKPU 17/2024 ... PKPU 18/2024 covers only recapitulation"
    assert "PKPU 17/2024" in items["penghitungan-di-tps"].basis
    assert "PKPU 18/2024" not in items["penghitungan-di-tps"].basis
    assert "PKPU 17/2024" in items["bimtek-pkpu-rekapitulasi"].title
    # §9d: "the 10 Nov and 15 Dec 2023 grant-reporting deadlines: SE Mendagri of 29 Sep 2023,
    # printed as 900.1.91/5252/SJ; the 40/60 rule from an SE of 24 Jan 2023"
    for item, day in (("hibah-dianggarkan-apbd-2023", date(2023, 11, 10)),
                      ("hibah-dianggarkan-apbd-2024", date(2023, 12, 15))):
        assert items[item].due == day
        assert "900.1.91/5252/SJ" in items[item].basis and "24 Jan 2023" in items[item].basis
        assert "900.1.11/435/SJ" not in items[item].basis
    # §9d: "Pengawas TPS serve from 23 days before voting (4 Nov 2024)"
    assert items["ptps-dilantik"].due == date(2024, 11, 4) == cycle.voting_day - timedelta(23)
    # §9d: "Operasi Mantap Praja began mid/late Aug 2024"
    assert date(2024, 8, 14) <= items["operasi-mantap-praja"].due <= date(2024, 8, 31)
    # §9d: "PPK: registration ended 2 May 2024; tests 6-8 May, interviews 11-13 May,
    # appointment 15 May, oath 16 May"
    assert items["ppk-pendaftaran-seleksi"].due == date(2024, 5, 13)
    assert items["ppk-dilantik"].due == date(2024, 5, 16)
    # §9d: "Pasal 71(2) (no replacing officials) runs from 22 Mar 2024"
    assert items["larangan-penggantian-pejabat"].start == date(2024, 3, 22)


def test_the_desk_is_the_region_s_choice(cycle: Cycle) -> None:
    # §9f: "Surat Mendagri 100.2.7/2944/SJ (5 Jun 2023) ... Practice varies (Kesbangpol in some
    # regions), so the owner is a regional choice, not a national fact."
    desk = cycle.items["desk-pilkada-diaktifkan"]
    assert desk.owner == "Pemda" and "100.2.7/2944/SJ" in desk.basis


def test_missing_preparations_of_9g(cycle: Cycle) -> None:
    items = cycle.items
    # §9g: "leave applied for 7 working days before 22 Sep; Pjs 25 Sep-23 Nov"
    assert items["cuti-kampanye-petahana"].due == date(2024, 9, 11)
    assert "100.2.1.3/4204/SJ" in items["cuti-kampanye-petahana"].basis
    pjs = items["pjs-kepala-daerah-bertugas"]
    assert (pjs.start, pjs.due) == (date(2024, 9, 25), date(2024, 11, 23))
    # §9g: "Candidates' resignations ...: PKPU 8/2024 Ps 14, 23, 32"
    assert "Pasal 14, 23, dan 32" in items["pengunduran-diri-calon-diproses"].basis
    # §9g: "Candidate health checks ... (27 Aug-~2 Sep 2024)"
    health = items["pemeriksaan-kesehatan-paslon"]
    assert (health.start, health.due, health.owner) == (date(2024, 8, 27), date(2024, 9, 2),
                                                        "Dinkes")
    # §9g: "Campaign finance (PKPU 14/2024): RKDK 27 Aug-24 Sep, LADK 24 Sep, LPPDK 24 Nov 2024;
    # at most three debates; ... the regional head's regulation on campaign and APK sites"
    assert items["laporan-awal-dana-kampanye"].due == date(2024, 9, 24)
    assert items["laporan-akhir-dana-kampanye"].due == date(2024, 11, 24)
    assert "tiga" in items["debat-publik-paslon"].title
    assert items["perkada-lokasi-kampanye-apk"].owner == "Pemda"
    # §9g: "Village heads' neutrality (the Serang PSU was ordered over mobilised village heads)"
    assert "Serang" in items["netralitas-kepala-desa"].basis


def test_rerun_2025_ends_with_its_mk_stage_and_the_governor(cycle: Cycle) -> None:
    # §9g: "Re-run after 2 Sep 2025: Bangka's three petitions ruled 'not accepted' 29 Sep 2025;
    # Pangkalpinang's mayor inaugurated by the Governor 15 Oct 2025"; §9b: "After a PSU or a
    # re-run, the Governor inaugurates regents and mayors"
    rerun = load_cycle(SHIPPED / "pilkada-ulang-2025")
    assert rerun.items["putusan-mk-dibacakan"].due == date(2025, 9, 29)
    assert rerun.items["putusan-mk-dibacakan"].when == {"sengketa-mk"}
    inauguration = rerun.items["pelantikan-oleh-gubernur"]
    assert (inauguration.due, inauguration.owner) == (date(2025, 10, 15), "Pemda")


def test_next_cycles_are_relative_and_rebasable(tmp_path: Path, cli: RunCli) -> None:
    # §9h: "a template for the next cycle keeps each as its offset from voting day (or from the
    # fiscal year, for grants budgeted in the APBD of the year before and of the voting year)";
    # "the next Pilkada about Oct 2031-Apr 2032"
    made = cli("cycle", "new", "p2031", "--from", "pilkada-template", "--voting-day",
               "2031-11-26")
    assert made.exit_code == 0, made.output
    p2031 = load_cycle(tmp_path / "p2031")
    assert p2031.items["hibah-dianggarkan-apbd-tahun-sebelumnya"].due == date(2030, 11, 10)
    assert p2031.items["pemungutan-suara-terlaksana"].due == date(2031, 11, 26)
    # In April 2032 the grants of the voting year's APBD would be paid in 2031: refused.
    refused = cli("cycle", "new", "p2032", "--from", "pilkada-template", "--voting-day",
                  "2032-04-14")
    assert refused.exit_code == 2 and not (tmp_path / "p2032").exists()
    assert "is before fiscal year 2032, whose budget this item spends" in refused.stderr
    # §9h: "filling a vacant vice head (UU 10/2016 Ps 176: DPRD elects from two names when more
    # than 18 months remain)"
    vice = load_cycle(SHIPPED / "wakil-kosong")
    assert "18 bulan" in vice.items["sisa-masa-jabatan-dihitung"].title
    assert vice.items["partai-mengusulkan-dua-calon"].owner == "Partai Politik"
