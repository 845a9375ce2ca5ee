#!/usr/bin/env bash
# Install Kreiswissen as a county's administrator would: Debian's `python3 -m venv` with the pip it
# brings (no upgrade), a plain `pip install .`, then ingest the HTML samples. Fails when a
# dependency the code imports is not declared (seen once: lxml_html_clean with pip 23).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
git ls-files -z | xargs -0 cp --parents -t "$work/src"
python3 -m venv "$work/venv"
pip="$work/venv/bin/pip"
echo "fresh venv: $("$pip" --version)"
"$pip" install --quiet torch==2.13.0  # the CPU build on this disk; first, or a CUDA build is pulled
"$pip" install --quiet "$work/src"  # the tracked files as they are, built outside the work tree
HF_HUB_OFFLINE=1 "$work/venv/bin/kb" --data-dir "$work/data" ingest --json samples/*.html > "$work/report.json"
"$work/venv/bin/python" - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["added"] == 2 and report["failed"] == 0, report
print(f"fresh install: {report['added']} HTML samples ingested, {report['passages']} passages")
PY
