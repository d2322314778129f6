# Entry points. Each target runs the idempotent setup first.
VENV ?= .venv
PY := $(VENV)/bin/python
WORK_DIR ?= work_dirs/demo

.PHONY: setup lint test demo

# Sources that flake8 and isort check (settings in setup.cfg).
LINT_PATHS := fcn_plugin tools tests configs

setup:
	bash scripts/setup_env.sh

lint: setup
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)

# Lint first: CI runs `make test`, so style is enforced with the tests.
test: setup lint
	$(PY) -m pytest -q

# The staged FCN-32s -> 16s -> 8s demo on a synthetic VOC set; writes
# $(WORK_DIR)/report.html and fails unless the paper's checks hold.
# DEMO_SEED picks another synthetic set and training seed.
DEMO_SEED ?= 0
demo: setup
	$(PY) tools/demo.py --work-dir $(WORK_DIR) --seed $(DEMO_SEED)
