# dfertools quick start: `make demo` and `make test` work from a fresh clone.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
# CPU machines: the CPU build. GPU users install their CUDA build of torch
# before running make (it is then left alone).
TORCH_SPEC ?= torch==2.13.0
DEMO_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install install-tests demo test test-slow clean

.installed: setup.py requirements/runtime.txt requirements/optional.txt
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -r requirements/runtime.txt -r requirements/optional.txt
	$(PIP) install --no-deps -e .
	@touch .installed

install: .installed

.installed-tests: .installed requirements/tests.txt
	$(PIP) install -r requirements/tests.txt
	@touch .installed-tests

install-tests: .installed-tests

demo: install
	bash tools/demo.sh $(DEMO_DIR)

test: install-tests
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_ARGS)

# exit code 5 = no slow test collected, which is not a failure
test-slow: install-tests
	$(PYTHON) -m pytest -m slow $(PYTEST_ARGS) || [ $$? -eq 5 ]

clean:
	rm -rf .installed .installed-tests work_dirs *.egg-info
