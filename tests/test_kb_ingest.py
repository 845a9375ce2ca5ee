"""`kb ingest` end to end: every format, incremental updates, bad files, a long concept PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfWriter

from kb.main import cli
from kb.service import KnowledgeBase
from tests.conftest import SAMPLES, make_config
from tests.pdfgen import make_long_concept_pdf
from tests.test_ingest_pdf_errors import small_pdf

pytestmark = pytest.mark.model  # the CLI loads the real model itself


def run(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_samples_ingest_once_then_unchanged_then_only_the_changed_file(tmp_path: Path):
    corpus = tmp_path / "samples"
    shutil.copytree(SAMPLES, corpus, ignore=shutil.ignore_patterns("*.py"))
    data = tmp_path / "data"

    code, output = run(data, "ingest", str(corpus))
    assert code == 0, output
    assert "14 neu, 0 aktualisiert, 0 unverändert, 0 fehlgeschlagen" in output

    code, output = run(data, "list", "--json")
    formats = {d["format"] for d in __import__("json").loads(output)}
    assert formats == {"pdf", "docx", "pptx", "html", "md", "txt", "image"}

    code, output = run(data, "ingest", str(corpus))
    assert "0 neu, 0 aktualisiert, 14 unverändert" in output

    kb = KnowledgeBase(make_config(data))
    before = {d.file_name: (d.id, kb.catalogue.passage_ids(d.id)) for d in kb.documents()}
    kb.close()
    note = corpus / "notiz-starkregenvorsorge-moorbach.md"
    note.write_text(
        note.read_text("utf-8") + "\n## Nachtrag\n\nDer Kreistag hat die Karten am 5. Mai 2024 beauftragt.\n", "utf-8"
    )

    code, output = run(data, "ingest", str(corpus))
    assert "0 neu, 1 aktualisiert, 13 unverändert" in output
    kb = KnowledgeBase(make_config(data))
    after = {d.file_name: (d.id, kb.catalogue.passage_ids(d.id)) for d in kb.documents()}
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [note.name]
    assert after[note.name][0] == before[note.name][0]  # same document, new passages
    assert any("5. Mai 2024" in p.text for p in kb.passages(after[note.name][0]))
    assert kb.check().ok
    kb.close()


def test_bad_files_are_named_while_the_rest_of_the_batch_is_ingested(tmp_path: Path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "gut.md").write_text("# Radverkehr\n\nDer Kreis baut Pendler-Radrouten zu den Bahnhöfen.\n", "utf-8")
    data = small_pdf(tmp_path / "ganz.pdf").read_bytes()
    (batch / "kaputt.pdf").write_bytes(data[: len(data) // 3])
    writer = PdfWriter(clone_from=small_pdf(tmp_path / "offen.pdf"))
    writer.encrypt(user_password="geheim")
    with (batch / "geschuetzt.pdf").open("wb") as file:
        writer.write(file)
    (batch / "leer.docx").touch()
    (batch / "falsch.pptx").write_text("Nur Text mit falscher Endung.", "utf-8")
    shutil.copy(small_pdf(tmp_path / "zweites.pdf"), batch / "zweites.pdf")

    code, output = run(tmp_path / "data", "ingest", str(batch))

    assert code == 1
    assert "2 neu, 0 aktualisiert, 0 unverändert, 4 fehlgeschlagen" in output
    for name, problem in [
        ("kaputt.pdf", "beschädigt"),
        ("geschuetzt.pdf", "verschlüsselt"),
        ("leer.docx", "leer (0 Bytes)"),
        ("falsch.pptx", "passt nicht zum Inhalt"),
    ]:
        assert any(name in line and problem in line for line in output.splitlines()), (name, output)
    kb = KnowledgeBase(make_config(tmp_path / "data"))
    ready = sorted(d.file_name for d in kb.documents() if d.status == "ready")
    failed = sorted(d.file_name for d in kb.documents() if d.status == "failed")
    assert ready == ["gut.md", "zweites.pdf"]
    assert failed == ["falsch.pptx", "geschuetzt.pdf", "kaputt.pdf", "leer.docx"]
    assert kb.check().ok
    hits = kb.search("Radrouten zu den Bahnhöfen", mode="keyword").hits
    assert hits[0].document.file_name == "gut.md"
    kb.close()


@pytest.fixture(scope="module")
def long_concept(tmp_path_factory: pytest.TempPathFactory, embedder):
    folder = tmp_path_factory.mktemp("long")
    facts = make_long_concept_pdf(folder / "konzept-lang.pdf", pages=64)
    kb = KnowledgeBase(make_config(folder / "data"), embedder=embedder)
    report = kb.ingest([folder / "konzept-lang.pdf"])
    yield facts, kb, report
    kb.close()


def test_long_concept_keeps_page_numbers(long_concept):
    facts, kb, report = long_concept
    assert facts["pages"] >= 64 and len(facts["two_column"]) >= 6 and len(facts["tables"]) >= 8
    assert report.files[0].pages == facts["pages"]
    (document,) = kb.documents()
    passages = kb.passages(document.id)
    for page, marker in facts["markers"].items():
        holding = [p for p in passages if marker in p.text]
        assert holding, f"marker of page {page} lost"
        spans = [(p.page_start, p.page_end) for p in holding]
        assert all(start <= page <= end and end - start <= 1 for start, end in spans), (page, spans)


def test_long_concept_has_no_running_headers_and_repaired_hyphenation(long_concept):
    facts, kb, _ = long_concept
    (document,) = kb.documents()
    text = " ".join(p.text for p in kb.passages(document.id))
    assert facts["header"] not in text
    assert "Seite " not in text
    assert "Klimaschutzmanagement" in text and "Energieeffizienzmaßnahmen" in text
    assert "-\n" not in text and "Klimaschutzma- nagement" not in text
    assert "E-Mobilität" in text  # the right column of the two-column pages, hyphen kept


def test_long_concept_two_column_pages_read_column_by_column(long_concept):
    facts, kb, _ = long_concept
    (document,) = kb.documents()
    page = facts["two_column"][0]
    on_page = " ".join(p.text for p in kb.passages(document.id) if p.page_start <= page <= p.page_end)
    left, right = facts["markers"][page], "Rechte Spalte: Ladeinfrastruktur für E-Mobilität wird kreisweit geplant."
    assert left in on_page and right in on_page
    assert on_page.index(left) < on_page.index(right)


def test_two_writers_in_separate_processes_lose_nothing(tmp_path: Path):
    """A `kb ingest` and another at the same time: both documents end up in both indexes."""
    import subprocess
    import sys

    notes = sorted(n for n in SAMPLES.glob("notiz-*") if not n.name.endswith(".meta.json"))
    folders = []
    for name, chosen in (("a", notes[:2]), ("b", notes[2:])):
        folder = tmp_path / name
        folder.mkdir()
        for note in chosen:
            shutil.copy(note, folder / note.name)
        folders.append(folder)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "kb.main", "--data-dir", str(data), "ingest"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    writers = [subprocess.Popen([*command, str(f)], **pipes) for f in folders]
    for writer in writers:
        assert writer.wait(300) == 0, writer.stderr.read()
    check = subprocess.run(
        [sys.executable, "-m", "kb.main", "--data-dir", str(data), "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    listed = subprocess.run([*command[:-1], "list"], capture_output=True, text=True).stdout
    assert all(note.name in listed for note in notes)


def test_odd_unicode_file_names_are_ingested_under_their_names(tmp_path: Path):
    batch = tmp_path / "batch"
    batch.mkdir()
    names = ["Notiz \u202egpj.md", "Baumpflanzung 🌳 Straße\u00a0Süd.md", "<script>alert(1)<\u2215script>.txt"]
    for name in names:
        (batch / name).write_text("# Bäume\n\nDer Kreis pflanzt Straßenbäume mit den Gemeinden.\n", "utf-8")
    code, output = run(tmp_path / "data", "ingest", str(batch))
    assert code == 0 and "3 neu" in output, output
    kb = KnowledgeBase(make_config(tmp_path / "data"))
    assert sorted(d.file_name for d in kb.documents()) == sorted(names)
    kb.close()


def test_files_of_the_data_directory_follow_the_umask_so_a_server_of_the_same_group_reads_them(
    tmp_path: Path, fake_embedder
):
    """`kb ingest` run by an operator, `kb serve` by a service account of the same group."""
    import os

    previous = os.umask(0o027)
    try:
        kb = KnowledgeBase(make_config(tmp_path / "data"), embedder=fake_embedder)
        kb.ingest([SAMPLES / "notiz-moorschutz-birkenau-sued.md"])
        kb.close()
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(tmp_path / "data").as_posix(): path.stat().st_mode & 0o777
        for path in (tmp_path / "data").rglob("*")
        if path.is_file() and path.name != "secret_key"  # the session key stays the owner's
    }
    assert any(name.startswith("index") for name in modes) and "catalogue.sqlite3" in modes
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o640 != 0o640 or mode & 0o007} == {}
