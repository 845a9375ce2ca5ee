# The two entry points of the README: `make demo` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export KB_DATA_DIR ?= kb-data

.PHONY: demo test install clean

$(BIN)/kb: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch must come first: a plain `torch` requirement would pull CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kb

install: $(BIN)/kb

demo: install
	$(BIN)/kb ingest samples/
	$(BIN)/kb serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) kb-data
