# The two entry points of the README: `make demo` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export KB_DATA_DIR ?= kb-data

# The PDF viewer's pdf.js (npm's pdfjs-dist), vendored into a gitignored folder at install time.
PDFJS_VERSION := 6.5.438
PDFJS := web/static/pdfjs/VERSION

# OCR needs Tesseract with its German model (and orientation detection) from Debian.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-deu tesseract-ocr-osd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The tests start a PostgreSQL server of their own (tests/postgres.py) from Debian's package.
POSTGRES_FOUND := command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1

.PHONY: demo test check lint install system clean

$(BIN)/kb: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch must come first: a plain `torch` requirement would pull CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kb

install: system $(BIN)/kb $(PDFJS)

$(PDFJS): Makefile tools/vendor_pdfjs.sh
	grep -qx $(PDFJS_VERSION) $@ 2>/dev/null || bash tools/vendor_pdfjs.sh $(PDFJS_VERSION)

system:
	@tesseract --list-langs 2>/dev/null | grep -qx deu && tesseract --list-langs 2>/dev/null | grep -qx osd || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(OCR_PACKAGES); }
	@command -v npm >/dev/null || { \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q npm; }
	@$(POSTGRES_FOUND) || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends postgresql; }

demo: install
	$(BIN)/kb ingest samples/
	$(BIN)/kb serve --host 127.0.0.1 --port 5000

# Import contracts (pyproject.toml: layers, CLI and web only through the service) and ruff.
lint: $(BIN)/kb
	$(BIN)/lint-imports
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest -q

# The fast lane: logic tests with the stand-in embedder, no real model, OCR or browser (about a minute).
check: $(BIN)/kb $(PDFJS) lint
	$(BIN)/python -m pytest -q -m "not model and not slow"

clean:
	rm -rf $(VENV) kb-data web/static/pdfjs
