"""The `kb` program starts light: commands that never embed must not pull in torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kb.main import cli
from tests.conftest import ROOT


def test_kb_help_lists_every_command_without_importing_torch():
    code = (
        "import sys; from click.testing import CliRunner; from kb.main import cli; "
        "out = CliRunner().invoke(cli, ['--help']).output; "
        "print(out); print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    *help_text, imported = done.stdout.strip().splitlines()
    assert imported == "False False"
    for command in ("ingest", "search", "ask", "serve", "eval", "backup", "apikey", "user"):
        assert any(line.strip().startswith(command) for line in help_text), command


def test_kb_show_prints_a_documents_metadata_with_or_without_its_passages(fake_samples_data: Path):
    shown = CliRunner().invoke(cli, ["--data-dir", str(fake_samples_data), "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "title: " in shown.output and "passages: " in shown.output and "[0]" not in shown.output
    with_passages = CliRunner().invoke(cli, ["--data-dir", str(fake_samples_data), "show", "1", "--passages"])
    assert with_passages.exit_code == 0 and "[0] S." in with_passages.output
