"""The region tags ``pilkada init`` writes for Pilkada 2024: only what public sources support.

Sumatera Selatan's are complete (domain.md §4b, §8d, §8e). Nationally the sources name the regions
where the MK ordered a re-vote (§6a) but not the other 35 single-candidate regions nor the other
regions with an MK case, so a workspace's comment says which tags it has to complete by hand.
"""

from __future__ import annotations

from pilkada_cli.workspace import SUMSEL_TAGS

# MK rulings of 24 Feb 2025 ordering a re-vote (domain.md §6a), kab/kota only. Papua province (91)
# re-voted too (6 Aug 2025) but is left out: a tag passes down to every region under it, and its
# regencies had no re-vote of their own.
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

_SUMSEL_NOTE = (
    "Sumatera Selatan's tags are complete (domain.md §4b, §8d, §8e): calon-tunggal for Ogan Ilir",
    "and Empat Lawang, sengketa-mk for the nine kab/kota with an MK case, psu-mk (a re-vote",
    "ordered by the MK) for Empat Lawang only.",
)
_NATIONAL_NOTE = (
    "Outside Sumatera Selatan the sources list only the regions where the MK ordered a re-vote",
    "(24 Feb 2025; tagged sengketa-mk and psu-mk). calon-tunggal (37 regions on voting day) and",
    "sengketa-mk (about 310 cases) are Sumsel-only here: add the other regions by hand.",
    "Papua province (91) re-voted on 6 Aug 2025 but is not tagged: a tag passes to its regencies.",
)


def known_tags(root: str) -> tuple[dict[str, frozenset[str]], tuple[str, ...]]:
    """The tags the sources support for the regions under ``root`` (a code, ``ID`` for the
    nation), and, outside Sumatera Selatan, the comment that says how complete they are."""
    def under(code: str) -> bool:
        return root == "ID" or code == root or code.startswith(root + ".") \
            or root.startswith(code + ".")

    tags: dict[str, set[str]] = {}
    for code, names in SUMSEL_TAGS.items():
        if under(code):
            tags.setdefault(code, set()).update(names)
    for code in PSU_MK_2025:
        if under(code):
            tags.setdefault(code, set()).update(("sengketa-mk", "psu-mk"))
    in_sumsel = root == "16" or root.startswith("16.")
    # Inside Sumsel the tags are complete and need no comment.
    note = () if in_sumsel else (
        (*_SUMSEL_NOTE, *_NATIONAL_NOTE) if root == "ID" else _NATIONAL_NOTE)
    return {code: frozenset(t) for code, t in tags.items()}, note
