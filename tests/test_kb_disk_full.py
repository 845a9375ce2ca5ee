"""A full disk during `kb ingest`: one German sentence naming the data directory, no traceback, and
the documents finished before it stay; after space is freed the next run finishes the batch.

The data directory is a real 600 KB tmpfs, mounted in a private user and mount namespace
(``unshare``), so the test needs no root and leaves nothing mounted.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

NOTES = ["notiz-foerdermittelberatung-talheim-ost.md", "notiz-moorschutz-birkenau-sued.md"]


def namespaces_available() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


@pytest.mark.model  # the CLI in the namespace loads the real model
@pytest.mark.skipif(not namespaces_available(), reason="unshare -rm (user and mount namespaces) is not permitted here")
def test_a_full_data_directory_stops_the_batch_with_one_german_sentence(tmp_path: Path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for number, name in enumerate(NOTES, 1):
        shutil.copy(SAMPLES / name, batch / f"{number}-{name}")
    # An original of 1.5 MB (a page with a large embedded comment) does not fit; the note after it never starts.
    filler = os.urandom(1_100_000).hex()
    (batch / "3-bericht-gross.html").write_text(
        f"<html><body><h1>Bericht</h1><p>Der Kreis berät die Gemeinden.</p><!-- {filler} --></body></html>", "utf-8"
    )
    shutil.copy(SAMPLES / "notiz-starkregenvorsorge-moorbach.md", batch / "4-notiz-starkregenvorsorge.md")
    data = tmp_path / "data"
    data.mkdir()
    kb = f"{shlex.quote(sys.executable)} -m kb.main --data-dir {shlex.quote(str(data))}"
    script = f"""
        mount -t tmpfs -o size=600k tmpfs {shlex.quote(str(data))} || exit 90
        {kb} ingest {shlex.quote(str(batch))} --visibility public >first.out 2>first.err; echo $? >first.rc
        {kb} check >check.out 2>&1; echo $? >check.rc
        {kb} list --json >list.json
        mount -o remount,size=50m {shlex.quote(str(data))}
        {kb} ingest {shlex.quote(str(batch))} --visibility public --json >second.json 2>second.err; echo $? >second.rc
        {kb} check >>check.out 2>&1; echo $? >>check.rc
    """
    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=tmp_path, env=env, timeout=600)
    assert done.returncode != 90, "could not mount a tmpfs in the namespace"
    out = {name: (tmp_path / name).read_text("utf-8") for name in ("first.out", "first.err", "check.out")}

    assert (tmp_path / "first.rc").read_text().strip() == "1", out
    assert "Traceback" not in out["first.err"] and "Errno" not in out["first.err"], out["first.err"]
    message = [line for line in out["first.err"].splitlines() if line.startswith("Fehler:")]
    assert message == [
        f"Fehler: Kein Speicherplatz mehr im Datenverzeichnis {data}: bitte dort Platz schaffen (oder "
        "KB_DATA_DIR auf ein größeres Laufwerk legen) und die Aufnahme erneut starten, bereits "
        "aufgenommene Dateien bleiben erhalten."
    ], out["first.err"]
    assert "2 neu" in out["first.out"], out["first.out"]

    ready = {d["file_name"] for d in json.loads((tmp_path / "list.json").read_text()) if d["status"] == "ready"}
    assert ready == {f"1-{NOTES[0]}", f"2-{NOTES[1]}"}
    assert (tmp_path / "check.rc").read_text().split() == ["0", "0"], out["check.out"]

    second = json.loads((tmp_path / "second.json").read_text())
    assert (tmp_path / "second.rc").read_text().strip() == "0", (tmp_path / "second.err").read_text()
    assert (second["added"], second["unchanged"], second["stopped"]) == (2, 2, None)


UPLOAD_INTO_FULL_DISK = """
import io, json, os, sys
from kb.service.accounts import Accounts
from tests.conftest import make_app, make_config
from tests.fakes import HashingEmbedder

config = make_config(__import__("pathlib").Path(sys.argv[1]))
accounts = Accounts(config.catalogue_path)
key = accounts.create_key("write", "Test")
accounts.close()
client = make_app(config, HashingEmbedder()).test_client()
body = "# Bericht\\n\\nDer Kreis berät die Gemeinden.\\n".encode() + b"Text. " * 200_000
response = client.post(
    "/api/v1/documents",
    headers={"Authorization": f"Bearer {key}"},
    data={"file": (io.BytesIO(body), "bericht.md")},
)
print(json.dumps({"status": response.status_code, "body": response.get_json(),
                  "left": sorted(os.listdir(config.uploads_dir))}))
"""


@pytest.mark.skipif(not namespaces_available(), reason="unshare -rm (user and mount namespaces) is not permitted here")
def test_an_upload_into_a_full_data_directory_is_refused_with_507_and_leaves_nothing(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    script = (
        f"mount -t tmpfs -o size=600k tmpfs {shlex.quote(str(data))} || exit 90\n"
        f"exec {shlex.quote(sys.executable)} -c {shlex.quote(UPLOAD_INTO_FULL_DISK)} {shlex.quote(str(data))}"
    )
    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == 507, result
    assert result["body"]["error"]["code"] == "insufficient_storage"
    assert result["body"]["error"]["message"].startswith(
        f"bericht.md: Kein Speicherplatz mehr im Datenverzeichnis {data}:"
    )
    assert result["left"] == []  # the partly written upload is removed
