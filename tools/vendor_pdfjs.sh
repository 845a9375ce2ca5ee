#!/usr/bin/env bash
# Vendor pdf.js (npm's pdfjs-dist, Apache-2.0) for the PDF viewer: fetch the pinned package with
# npm and copy only the files the viewer loads into web/static/pdfjs/ (gitignored, never a CDN).
# Usage: tools/vendor_pdfjs.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: tools/vendor_pdfjs.sh VERSION}
target=web/static/pdfjs
command -v npm >/dev/null || { echo "npm fehlt: apt-get install npm (für pdf.js $version)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "pdfjs-dist@$version" >/dev/null && tar xzf "pdfjs-dist-$version.tgz")
package="$work/package"
rm -rf "$target"
mkdir -p "$target/standard_fonts"
cp "$package/build/pdf.min.mjs" "$package/build/pdf.worker.min.mjs" "$package/LICENSE" "$target/"
cp "$package/standard_fonts/"* "$target/standard_fonts/"  # the 14 standard fonts PDFs may leave out
echo "$version" > "$target/VERSION"
echo "pdf.js $version -> $target"
