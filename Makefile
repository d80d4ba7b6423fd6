# Two commands: `make run` starts the bot, `make test` runs the whole suite.
# Both create .venv and install what they need on first use (with uv, installed by pip).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
LOWEST := .venv-lowest

.PHONY: run test test-lowest test-optimizer lint format check-content bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# `make run` installs exactly what requirements.lock pins.
$(STAMP_RUN): pyproject.toml requirements.lock | $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# `make test` installs the newest versions pyproject.toml allows, with the dev tools.
$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/python -m bot

test: $(STAMP_DEV)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite again on the lowest versions pyproject.toml allows.
test-lowest: $(BIN)/python
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev]'
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# The optional optimizer extra (torch's CPU build, pandas, tqdm) and the tests it unlocks.
# pip, not uv, so the machine's pip configuration (a CPU-only index or wheel directory)
# decides where torch comes from; without one, add
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu to avoid the CUDA build.
test-optimizer: $(STAMP_DEV)
	$(BIN)/python -m pip install --quiet -e '.[optimizer]'
	$(BIN)/python -c "import torch, fsrs; fsrs.Optimizer; print('torch', torch.__version__)"
	$(BIN)/python -m pytest -m optimizer $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check bot cogs tests bench
	$(BIN)/ruff format --check bot cogs tests bench
	$(BIN)/mypy bot cogs

format: $(STAMP_DEV)
	$(BIN)/ruff check --fix bot cogs tests bench
	$(BIN)/ruff format bot cogs tests bench

check-content: $(STAMP_RUN)
	$(BIN)/python -m bot.content check content

bench: $(STAMP_DEV)
	$(BIN)/python -m bench

# Pin what `make run` installs to the newest versions pyproject.toml allows today.
lock: $(BIN)/python
	$(UV) pip compile --quiet pyproject.toml -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .mypy_cache .ruff_cache
