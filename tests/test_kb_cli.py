"""The `kb` program starts light: commands that never embed must not pull in torch."""

from __future__ import annotations

import subprocess
import sys

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
