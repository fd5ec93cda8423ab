# Set-up and everyday commands. `make run` and `make test` are all a new machine needs.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: run test test-quick lint bench eval clean-index train-reader

$(PY):
	python3 -m venv $(VENV)

# torch first, and its CPU build by name (`+cpu`): on PyPI a plain `torch` is a multi-GB
# CUDA build. PyPI has no `+cpu` wheels, so pip finds it in a local wheel folder it is
# configured with, or else on PyTorch's CPU index.
TORCH := torch==2.13.0+cpu
TORCH_INDEX := https://download.pytorch.org/whl/cpu
$(STAMP): pyproject.toml | $(PY)
	@echo "setting up $(VENV), the first time only (a few minutes):" >&2
	@echo "  upgrading pip…" >&2
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "  installing PyTorch, CPU build ($(TORCH), about 200 MB)…" >&2
	@$(PY) -m pip install --quiet "$(TORCH)" 2>/dev/null \
		|| $(PY) -m pip install --quiet "$(TORCH)" --extra-index-url $(TORCH_INDEX)
	@echo "  installing the project and its dependencies…" >&2
	@$(PY) -m pip install --quiet -e ".[dev,tools]"
	@touch $(STAMP)
	@echo "  done." >&2

# `run` builds or updates the index when it is missing or stale, then starts the bot.
run: $(STAMP)
	@$(PY) -m bot run

test: $(STAMP)
	$(PY) -m pytest -q

# The tests that load no model and start no process (under a minute); `make test` runs them all.
test-quick: $(STAMP)
	$(PY) -m pytest -q -m "not model and not slow"

lint: $(STAMP)
	$(PY) -m ruff check bot tests tools
	$(PY) -m mypy bot tools/bench.py tools/evaluate.py

# Latency, build throughput and scale up to a million passages (about 15 minutes; `--quick`: about 3).
# `bench` and `eval` run from a clone: their code is in tools/ (the `tools` extra).
bench: $(STAMP)
	$(PY) -m bot bench

# Answer quality on the seed article's questions, beside BM25 and dense baselines (see README).
eval: $(STAMP)
	$(PY) -m bot eval tests/data/seed_questions.jsonl --corpus corpus

# Delete the built index; the next `run` or `ask` builds it again from corpus/.
clean-index:
	rm -rf index

# Train the reader and fit its confidence model again (about 100 minutes on two cores; see README).
train-reader: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,tools,train]"
	$(PY) tools/train_reader.py
	$(PY) tools/fit_confidence.py
