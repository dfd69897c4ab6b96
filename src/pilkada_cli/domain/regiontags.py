"""The region tags ``pilkada init`` writes for Pilkada 2024: only what public sources support.

Nationally the sources name the 37 single-candidate regions (KPU, 23 Sep 2024: era.id/amp/166344;
kaltim.tribunnews.com/amp/2024/09/23), the 24 regions where the MK ordered a re-vote
(news.okezone.com/read/2025/02/25/337/3117066) and the two provinces whose governor's case was
decided on 24 Feb 2025 without a re-vote (selalukabar.com; redaksinarasi.com). A tag of a
province's own election (Papua's re-vote, Papua Barat's single candidate) is given to the province
alone (``own_tags``): it does not pass down to its regencies, whose elections were others.
Sumatera Selatan's tags are complete, its MK cases included; elsewhere the other regions with an
MK case (about 310) are not in the sources, so a workspace's comment says what to add by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pilkada_cli.domain.workspace import SUMSEL_TAGS

# MK rulings of 24 Feb 2025 ordering a re-vote, kab/kota (Papua province, 91, is in OWN_TAGS).
PSU_MK_2025: dict[str, str] = {
    "11.72": "Kota Sabang", "13.08": "Kab. Pasaman", "14.08": "Kab. Siak",
    "15.08": "Kab. Bungo", "16.11": "Kab. Empat Lawang", "17.01": "Kab. Bengkulu Selatan",
    "18.09": "Kab. Pesawaran", "19.05": "Kab. Bangka Barat", "32.06": "Kab. Tasikmalaya",
    "35.20": "Kab. Magetan", "36.04": "Kab. Serang", "62.05": "Kab. Barito Utara",
    "63.72": "Kota Banjarbaru", "64.02": "Kab. Kutai Kartanegara", "64.11": "Kab. Mahakam Ulu",
    "71.04": "Kab. Kepulauan Talaud", "72.01": "Kab. Banggai", "72.08": "Kab. Parigi Moutong",
    "73.73": "Kota Palopo", "75.05": "Kab. Gorontalo Utara", "81.04": "Kab. Buru",
    "82.08": "Kab. Pulau Taliabu", "93.02": "Kab. Boven Digoel",
}

# The 37 single-candidate regions on voting day (KPU, 23 Sep 2024), kab/kota; Papua Barat (92),
# a province, is in OWN_TAGS.
CALON_TUNGGAL_2024: tuple[str, ...] = (
    "11.08", "11.16", "12.09", "12.15", "12.18", "12.23", "12.24", "13.10", "15.04", "16.10",
    "16.11", "17.03", "18.04", "18.12", "19.01", "19.03", "19.71", "21.01", "32.07", "33.02",
    "33.11", "33.29", "35.03", "35.21", "35.25", "35.75", "35.78", "61.07", "63.10", "63.11",
    "64.72", "65.02", "65.71", "73.09", "74.13", "76.01",
)

# Tags of a province's own election: Papua's governor re-vote (6 Aug 2025), Papua Barat's
# single candidate, and the governors' cases decided on 24 Feb 2025 (Babel, Papua Pegunungan).
OWN_TAGS: dict[str, tuple[str, ...]] = {
    "91": ("sengketa-mk", "psu-mk"),
    "92": ("calon-tunggal",),
    "19": ("sengketa-mk", "putusan-akhir-mk"),
    "95": ("sengketa-mk", "putusan-akhir-mk"),
}

_SUMSEL_NOTE = (
    "Sumatera Selatan's tags are complete: calon-tunggal for Ogan Ilir and Empat Lawang,",
    "sengketa-mk for the nine kab/kota with an MK case, psu-mk (a re-vote ordered by the MK)",
    "for Empat Lawang only.",
)
_NATIONAL_NOTE = (
    "calon-tunggal: the 37 single-candidate regions (KPU, 23 Sep 2024); psu-mk: the 24 regions",
    "where the MK ordered a re-vote (24 Feb 2025); putusan-akhir-mk: governors' cases decided",
    "on 24 Feb 2025 without a re-vote. sengketa-mk (about 310 cases) is complete only in",
    "Sumatera Selatan: add the other regions with an MK case by hand. Under own_tags, a",
    "province's own election: its regencies do not inherit the tag.",
)

Tags = dict[str, frozenset[str]]


# The 2025 re-run: Kab. Bangka's result went to the MK (three petitions, not accepted on 29 Sep
# 2025); Kota Pangkalpinang's did not.
RERUN_2025: dict[str, tuple[str, ...]] = {"19.01": ("sengketa-mk",)}


# Regions whose own rules a cycle may name by a tag, whatever the election: Aceh (UU 11/2006).
STRUCTURAL: dict[str, tuple[str, ...]] = {"11": ("aceh",)}
PILKADA_2024 = date(2024, 11, 27)
RERUN_2025_DAY = date(2025, 8, 27)


def known_tags(root: str, voting_day: date | None = PILKADA_2024
               ) -> tuple[Tags, Tags, tuple[str, ...]]:
    """The tags the sources support for the regions under ``root`` (a code, ``ID`` for the
    nation) in a cycle voting on ``voting_day``: those passed down, those of a region alone
    (``own_tags``), and, outside Sumatera Selatan, the comment that says how complete they
    are. The tags of an election's facts (single candidates, MK cases) are those of the
    election held that day (Pilkada 2024, the 2025 re-run); a cycle for another day (a copy
    re-based on 2031, a template) gets only the regions' own rules (Aceh)."""
    tags: dict[str, set[str]] = {}

    def add(codes: Iterable[str], names: Iterable[str]) -> None:
        for code in codes:
            if root == "ID" or code == root or code.startswith(root + "."):
                tags.setdefault(code, set()).update(names)
            elif root.startswith(code + "."):  # a tag of a region above the root passes to it
                tags.setdefault(root, set()).update(names)

    for code, names in STRUCTURAL.items():
        add((code,), names)
    if voting_day == RERUN_2025_DAY:
        for code, names in RERUN_2025.items():
            add((code,), names)
    if voting_day != PILKADA_2024:
        return {code: frozenset(t) for code, t in tags.items()}, {}, ()

    def under(code: str) -> bool:
        return root == "ID" or code == root or code.startswith(root + ".")

    for code, names in SUMSEL_TAGS.items():
        add((code,), names)
    add(PSU_MK_2025, ("sengketa-mk", "psu-mk"))
    add(CALON_TUNGGAL_2024, ("calon-tunggal",))
    own = {code: frozenset(names) for code, names in OWN_TAGS.items() if under(code)}
    in_sumsel = root == "16" or root.startswith("16.")
    # Inside Sumsel the tags are complete and need no comment.
    note = () if in_sumsel else (
        (*_SUMSEL_NOTE, *_NATIONAL_NOTE) if root == "ID" else _NATIONAL_NOTE)
    return {code: frozenset(t) for code, t in tags.items()}, own, note
