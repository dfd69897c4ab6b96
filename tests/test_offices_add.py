"""`pilkada offices add`: a province trusts a regency from what the regency's `keys show`
printed, without editing YAML; pilkada.yaml keeps its comments and order and is written whole or
not at all (issue 26 point 6)."""

from __future__ import annotations

from pathlib import Path

from sharing import new_office, public_key, write_cycle


def test_two_offices_keys_round_trip_and_duplicates_are_refused(tmp_path: Path) -> None:
    cycle = write_cycle(tmp_path)
    prov = new_office(tmp_path, "prov", "16", "kecamatan", cycle)
    oi = new_office(tmp_path, "oi", "16.10", "kecamatan", cycle, office='Kab. "Ogan" Ilir')
    oki = new_office(tmp_path, "oki", "16.02", "kecamatan", cycle, office="Kab. OKI")
    lahat = new_office(tmp_path, "lahat", "16.04", "kecamatan", cycle, office="Kab. Lahat")
    config = prov.ws / "pilkada.yaml"

    # a bundle from an office not yet listed: the refusal names the command that fixes it
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    oi.run("export", "--out", str(tmp_path / "oi.pilkada"))
    with config.open("a", encoding="utf-8") as f:  # the list exists, so bundles are judged
        f.write("offices:\n  # the regencies we accept\n  - name: \"Kab. Lahat\"\n"
                f"    key: {public_key(lahat)}\n"
                '    regions: ["16.04"]\n# the rakor name, kept after the list\nname: "Rakor"\n')
    refused = prov.run("import", str(tmp_path / "oi.pilkada"), ok=False)
    assert refused.exit_code == 2
    assert ("that key is not in the offices list of pilkada.yaml: to accept this office, run "
            "`pilkada offices add` with what its `pilkada keys show` prints") in refused.output

    # Ogan Ilir's output saved to a file, given as is
    shown = tmp_path / "oi.txt"
    shown.write_text(oi.run("keys", "show").stdout, encoding="utf-8")
    before = config.read_text(encoding="utf-8")
    added = prov.run("offices", "add", str(shown))
    assert added.stdout.startswith('Added Kab. "Ogan" Ilir (fingerprint ')
    after = config.read_text(encoding="utf-8")
    block = oi.run("keys", "show").stdout.splitlines()[-3:]
    head, tail = before.split("# the rakor name")
    assert after == head + "\n".join(block) + "\n# the rakor name" + tail  # all else kept
    # OKI's output pasted whole as the argument
    prov.run("offices", "add", oki.run("keys", "show").stdout)
    listed = prov.run("validate").exit_code
    assert listed == 0
    assert after.count("- name:") + 1 == config.read_text(encoding="utf-8").count("- name:")

    # both offices' bundles are now taken, and the log names each office
    prov.run("import", str(tmp_path / "oi.pilkada"))
    oki.run("done", "16.02", "nphd-kpu", "--at", "2024-02-21")
    oki.run("export", "--out", str(tmp_path / "oki.pilkada"))
    prov.run("import", str(tmp_path / "oki.pilkada"))
    assert {(e["region"], e["office"]) for e in prov.log()} == {
        ("16.10", 'Kab. "Ogan" Ilir'), ("16.02", "Kab. OKI")}

    # a key or a name listed already is refused in a plain sentence; nothing is written
    listed_text = config.read_bytes()
    again = prov.run("offices", "add", str(shown), ok=False)
    assert again.exit_code == 2
    assert "pilkada.yaml already lists this key, as the office 'Kab. \"Ogan\" Ilir'; nothing " \
           "was changed" in again.output
    twin = new_office(tmp_path, "twin", "16.02", "kecamatan", cycle, office="kab. oki")
    same_name = prov.run("offices", "add", twin.run("keys", "show").stdout, ok=False)
    assert same_name.exit_code == 2
    assert "pilkada.yaml already lists an office named 'Kab. OKI'" in same_name.output
    assert config.read_bytes() == listed_text


def test_text_that_is_not_an_office_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    cycle = write_cycle(tmp_path)
    prov = new_office(tmp_path, "prov", "16", "kecamatan", cycle)
    oi = new_office(tmp_path, "oi", "16.10", "kecamatan", cycle, office="Kab. Ogan Ilir")
    config = prov.ws / "pilkada.yaml"
    before = config.read_bytes()
    shown = oi.run("keys", "show").stdout
    cases = {
        shown.replace('"16.10"', '"99.99"'): "unknown region code '99.99'",
        shown.replace("key: ed25519:", "key: rsa:"): "is not a public key",
        "\n".join(line for line in shown.splitlines() if "regions:" not in line):
            "does not hold what `pilkada keys show` prints: no 'regions:' line",
        shown + shown: "holds more than one office; add them one at a time",
        str(tmp_path / "missing.txt"): "is neither a file nor the text `pilkada keys show` "
                                       "prints",
    }
    for text, message in cases.items():
        result = prov.run("offices", "add", text, ok=False)
        assert result.exit_code == 2 and message in result.output, (message, result.output)
        assert config.read_bytes() == before
