# dfertools quick start: `make demo` and `make test` work from a fresh clone.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
# CPU machines: the CPU build. GPU users install their CUDA build of torch
# before running make (it is then left alone).
TORCH_SPEC ?= torch==2.13.0
DEMO_DIR ?= work_dirs/demo
PYTEST_ARGS ?=
# one install stamp per interpreter: a clone used from two virtualenvs (or
# from a venv and the bare interpreter) installs into each of them
PY_ID := $(shell $(PYTHON) -c "import hashlib, sys; print(hashlib.sha1(sys.prefix.encode()).hexdigest()[:10])")
ifeq ($(PY_ID),)
$(error '$(PYTHON)' does not run: install Python 3.9+ or pass PYTHON=/path/to/python)
endif
STAMP := .installed-$(PY_ID)

.PHONY: install install-tests demo test test-slow clean

$(STAMP): setup.py requirements/runtime.txt requirements/optional.txt
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -r requirements/runtime.txt -r requirements/optional.txt
	$(PIP) install --no-deps -e .
	@touch $@

install: $(STAMP)

$(STAMP)-tests: $(STAMP) requirements/tests.txt
	$(PIP) install -r requirements/tests.txt
	@touch $@

install-tests: $(STAMP)-tests

demo: install
	PYTHON="$(PYTHON)" bash tools/demo.sh "$(DEMO_DIR)"

test: install-tests
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_ARGS)

# exit code 5 = no slow test collected, which is not a failure
test-slow: install-tests
	$(PYTHON) -m pytest -m slow $(PYTEST_ARGS) || [ $$? -eq 5 ]

clean:
	rm -rf .installed-* work_dirs *.egg-info
