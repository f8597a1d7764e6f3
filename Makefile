# The two quick-start commands: `make demo` and `make test`. Both build .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch 2.13.0; on a CUDA machine, install your CUDA torch into $(VENV) first.
TORCH ?= torch==2.13.0

.PHONY: demo test install clean completions

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

# The static shell completion scripts, regenerated from the commands (a test checks them).
completions: install
	$(PY) -m avili.cli.completion_scripts --write completions

clean:
	rm -rf avili-demo .pytest_cache
