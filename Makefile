# The two quick-start commands: `make demo` and `make test`. Both build .venv on first use.
# `make test-fast` skips the tests marked slow (retraining, subprocess runs); `make coverage`
# runs everything under coverage (line and branch).
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch 2.13.0; on a CUDA machine, install your CUDA torch into $(VENV) first.
TORCH ?= torch==2.13.0

.PHONY: demo test test-fast coverage install clean completions

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,media,faiss]"
	touch $@

demo: install
	$(VENV)/bin/avili demo --workdir avili-demo

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

coverage: install
	$(PY) -m pytest -q --cov=avili --cov-branch --cov-report=term

# The static shell completion scripts, regenerated from the commands (a test checks them).
completions: install
	$(PY) -m avili.cli.completion_scripts --write completions

clean:
	rm -rf avili-demo .pytest_cache .coverage
