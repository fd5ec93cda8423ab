# Set-up and everyday commands. `make run` and `make test` are all a new machine needs.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: run test lint bench eval clean-index train-reader

$(PY):
	python3 -m venv $(VENV)

# torch first, pinned to the CPU build: a plain `torch` pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(PY)
	@echo "installing into $(VENV) (first run only)…" >&2
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet "torch==2.13.0" || $(PY) -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# `run` builds or updates the index when it is missing or stale, then starts the bot.
run: $(STAMP)
	@$(PY) -m bot run

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check bot tests
	$(PY) -m mypy bot

# Latency, build throughput and scale up to a million passages (about 10 minutes; `--quick`: 1).
bench: $(STAMP)
	$(PY) -m bot bench

# Train the reader and fit its confidence model again (about 80 minutes on two cores; see README).
train-reader: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,train]"
	$(PY) tools/train_reader.py
	$(PY) tools/fit_confidence.py
