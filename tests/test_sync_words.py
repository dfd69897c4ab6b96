"""What `pilkada sync` says, in the user's words and both languages, whichever git runs it:
records sent, records received by sending office and region, a warning with the way to settle
each conflict a sync brought in, and a failed talk with the shared repository (unreachable, a
refused login, no repository at that address) as one plain sentence, git's own words only with
--debug (issue 26 point 5)."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilkada_cli.storage import gitfailure
from sharing import Office, write_cycle
from test_sync import NoGit

pytestmark = pytest.mark.skipif(shutil.which("git") is None,
                                reason="the bare repository is made with git (CI installs it)")

GITS = ["git", "dulwich"]


def _office(kind: str, name: str, root: Path) -> Office:
    """An office whose PC has the system's git ("git") or none ("dulwich")."""
    cls = Office if kind == "git" else NoGit
    return cls(name, root / name, root / f"home-{name}")


def _said(o: Office, lang: str, *args: str, ok: bool = True) -> tuple[int, str, str]:
    result = o.run("--lang", lang, *args, ok=ok)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def pair(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Office, Office, Path]:
    """A province (system git) that shared a workspace, and a regency that joined it with the
    git of the test's parameter; each with its office key."""
    kind = request.param
    cycle = write_cycle(tmp_path)
    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    prov = _office("git", "prov", tmp_path)
    prov.ws.mkdir()
    prov.run("init", str(prov.ws), "--region", "16", "--depth", "kecamatan", "--cycle",
             str(cycle), "--operator", "Desk", "--language", "en", "--git", str(bare))
    reg = _office(kind, "reg", tmp_path)
    reg.run("init", str(reg.ws), "--git", str(bare), "--operator", "Rina")
    prov.run("keys", "init", "--office", "Provinsi Sumatera Selatan")
    reg.run("keys", "init", "--office", "KPU Ogan Ilir")
    return prov, reg, bare


def _one(text: str) -> str:
    """``text`` as one line (the error console wraps long messages)."""
    return " ".join(text.split())


SAID = {
    "en": {
        "sent": "Sent 2 records to {bare}.",
        "from reg": "Received 2 records from KPU Ogan Ilir (unverified): region 16.10 Kab. "
                    "Ogan Ilir.",
        "from prov": "Received 2 records from Provinsi Sumatera Selatan (unverified): regions "
                     "16.10 Kab. Ogan Ilir, 16.71 Kota Palembang.",
        "conflict": "Warning: this sync brought in a CONFLICT at 16.10 Kab. Ogan Ilir, item "
                    "nphd-kpu: {sides}, recorded without seeing each other's record. It counts "
                    "as blocked until it is settled.",
        "prov sides": "blocked by Desk (Provinsi Sumatera Selatan) vs done by Rina (KPU Ogan "
                      "Ilir (unverified))",
        "reg sides": "blocked by Desk (Provinsi Sumatera Selatan (unverified)) vs done by Rina "
                     "(KPU Ogan Ilir)",
        "settle": "  To settle it, agree with the other office which status is right, record "
                  "it once more here (pilkada record 16.10 nphd-kpu --status STATUS, with "
                  "--note for the reason of blocked) and share it (pilkada sync or export).",
        "nothing": "No new records to send or receive: this PC and {bare} hold the same "
                   "records.",
    },
    "id": {
        "sent": "Terkirim 2 catatan ke {bare}.",
        "from reg": "Diterima 2 catatan dari KPU Ogan Ilir (belum terverifikasi): wilayah "
                    "16.10 Kab. Ogan Ilir.",
        "from prov": "Diterima 2 catatan dari Provinsi Sumatera Selatan (belum terverifikasi): "
                     "wilayah 16.10 Kab. Ogan Ilir, 16.71 Kota Palembang.",
        "conflict": "Peringatan: sinkronisasi ini membawa KONFLIK di 16.10 Kab. Ogan Ilir, "
                    "butir nphd-kpu: {sides}, dicatat tanpa saling melihat catatan pihak lain. "
                    "Butir ini dihitung terhambat sampai diselesaikan.",
        "prov sides": "terhambat oleh Desk (Provinsi Sumatera Selatan) lawan selesai oleh Rina "
                      "(KPU Ogan Ilir (belum terverifikasi))",
        "reg sides": "terhambat oleh Desk (Provinsi Sumatera Selatan (belum terverifikasi)) "
                     "lawan selesai oleh Rina (KPU Ogan Ilir)",
        "settle": "  Untuk menyelesaikannya, sepakati dengan kantor lain status mana yang "
                  "benar, catat sekali lagi di sini (pilkada record 16.10 nphd-kpu --status "
                  "STATUS, dengan --note untuk alasan terhambat) lalu bagikan (pilkada sync "
                  "atau export).",
        "nothing": "Tidak ada catatan baru untuk dikirim atau diterima: PC ini dan {bare} "
                   "menyimpan catatan yang sama.",
    },
}


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("pair", GITS, indirect=True)
def test_sync_says_what_it_sent_and_received_by_office_and_warns_of_a_conflict(
        pair: tuple[Office, Office, Path], lang: str) -> None:
    prov, reg, bare = pair
    words = {k: v.replace("{bare}", str(bare)) for k, v in SAID[lang].items()}
    reg.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    reg.run("blocked", "16.10", "gudang", "--reason", "gudang disewa", "--at", "2024-02-21")
    # the regency sends its two records (its office claim and seen note are not records)
    assert _said(reg, lang, "sync") == (0, words["sent"] + "\n", "")
    # the province, not having seen them, records the same item otherwise: a conflict
    prov.run("blocked", "16.10", "nphd-kpu", "--reason", "belum ditandatangani", "--at",
             "2024-02-22")
    prov.run("done", "16.71", "nphd-kpu", "--at", "2024-02-22")
    code, out, err = _said(prov, lang, "sync")
    assert (code, out) == (0, words["sent"] + "\n" + words["from reg"] + "\n")
    assert err == "\n".join([words["conflict"].format(sides=words["prov sides"]),
                             words["settle"], ""])
    code, out, err = _said(reg, lang, "sync")
    assert (code, out) == (0, words["from prov"] + "\n")
    assert err == "\n".join([words["conflict"].format(sides=words["reg sides"]),
                             words["settle"], ""])
    assert _said(reg, lang, "sync") == (0, words["nothing"] + "\n", "")
    assert _said(prov, lang, "sync") == (0, words["nothing"] + "\n", "")


class _Server(http.server.BaseHTTPRequestHandler):
    """A git server that refuses every login under /login/ and knows no repository else."""

    def do_GET(self) -> None:  # (the name http.server calls)
        if self.path.startswith("/login/"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


FAILED = {
    "en": {
        "network": "Error: cannot reach the shared repository {remote}: the network, or the "
                   "server or shared drive that holds it, is not available",
        "auth": "Error: the shared repository {remote} did not let this PC in (its user name, "
                "password or key was refused or is not set up); ask your IT staff to set up "
                "this PC's access",
        "missing": "Error: there is no shared repository at {remote} (a wrong address, or it "
                   "was moved or deleted); ask your IT staff for the right address",
        "safe network": "Your records are safe: they are committed on this PC and will be sent "
                        "by the next `pilkada sync` (run it again when the network is back).",
        "safe": "Your records are safe: they are committed on this PC and will be sent by the "
                "next `pilkada sync` once this is put right.",
        "details": "Details (--debug): ",
    },
    "id": {
        "network": "Galat: tidak dapat menjangkau repositori bersama {remote}: jaringan, atau "
                   "server atau drive bersama tempat repositori itu berada, tidak tersedia",
        "auth": "Galat: repositori bersama {remote} tidak mengizinkan PC ini masuk (nama "
                "pengguna, kata sandi, atau kuncinya ditolak atau belum diatur); minta staf TI "
                "Anda mengatur akses PC ini",
        "missing": "Galat: tidak ada repositori bersama di {remote} (alamat salah, atau "
                   "repositori itu dipindahkan atau dihapus); minta alamat yang benar kepada "
                   "staf TI Anda",
        "safe network": "Catatan Anda aman: sudah di-commit di PC ini dan akan dikirim oleh "
                        "`pilkada sync` berikutnya (jalankan lagi saat jaringan kembali).",
        "safe": "Catatan Anda aman: sudah di-commit di PC ini dan akan dikirim oleh `pilkada "
                "sync` berikutnya setelah masalah ini dibereskan.",
        "details": "Rincian (--debug): ",
    },
}


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("pair", GITS, indirect=True)
def test_a_failed_sync_is_one_plain_sentence_with_gits_words_only_under_debug(
        pair: tuple[Office, Office, Path], lang: str, server: str, tmp_path: Path) -> None:
    _prov, reg, bare = pair
    words = FAILED[lang]
    reg.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    not_a_repo = tmp_path / "not-a-repository"
    not_a_repo.mkdir()
    cases = [(str(tmp_path / "drive-not-mounted.git"), "network"),
             (f"{server}/login/shared.git", "auth"),
             (f"{server}/nowhere/shared.git", "missing"),
             (str(not_a_repo), "missing")]
    for remote, kind in cases:
        subprocess.run(["git", "-C", str(reg.ws), "remote", "set-url", "origin", remote],
                       check=True)
        safe = words["safe network" if kind == "network" else "safe"]
        code, out, err = _said(reg, lang, "sync", ok=False)
        assert (code, out) == (3, ""), (remote, err)
        assert _one(err) == _one(words[kind].format(remote=remote) + "\n" + safe), remote
        code, out, err = _said(reg, lang, "--debug", "sync", ok=False)
        assert code == 3
        head, details, said = _one(err).partition(_one(words["details"]))
        assert head.strip() == _one(words[kind].format(remote=remote) + "\n" + safe)
        assert said and gitfailure.kind_of(remote, said) == kind  # git's own words, kept
    subprocess.run(["git", "-C", str(reg.ws), "remote", "set-url", "origin", str(bare)],
                   check=True)
    assert _said(reg, lang, "sync")[0] == 0  # nothing was lost: the record goes now


@pytest.mark.parametrize("kind", GITS)
def test_joining_an_address_without_a_repository_says_so_plainly(
        kind: str, server: str, tmp_path: Path) -> None:
    o = _office(kind, "x", tmp_path)
    remote = f"{server}/nowhere/shared.git"
    result = o.run("init", str(o.ws), "--git", remote, ok=False)
    assert result.exit_code == 3
    assert _one(result.stderr) == _one(FAILED["en"]["missing"].format(remote=remote))
    assert not o.ws.exists()


@pytest.mark.parametrize(("said", "kind"), [
    ("fatal: could not read Username for 'https://git.example': terminal prompts disabled",
     "auth"),
    ("remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://x/'", "auth"),
    ("git@host: Permission denied (publickey).\nfatal: Could not read from remote repository."
     "\n\nPlease make sure you have the correct access rights\nand the repository exists.",
     "auth"),
    ("fatal: unable to access 'https://x/': The requested URL returned error: 403", "auth"),
    ("remote: Repository not found.\nfatal: repository 'https://x/a.git/' not found",
     "missing"),
    ("fatal: '/srv/a.git' does not appear to be a git repository\nfatal: Could not read from "
     "remote repository.", "missing"),
    ("ssh: connect to host h port 22: Connection refused\nfatal: Could not read from remote "
     "repository.\n\nPlease make sure you have the correct access rights\nand the repository "
     "exists.", "network"),
    ("fatal: unable to access 'https://x/': Could not resolve host: x", "network"),
    ("ssh: Could not resolve hostname h: Name or service not known", "network"),
])
def test_gits_words_are_sorted_into_three_plain_kinds(said: str, kind: str) -> None:
    assert gitfailure.kind_of("ssh://h/srv/a.git", said) == kind
