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

# TODO: lint before pytest: delete this TODO and the `test: setup` line below,
# and uncomment `test: setup lint`.
# test: setup lint
test: setup
	$(PY) -m pytest -q

# The staged FCN-32s -> 16s -> 8s demo on a synthetic VOC set; writes
# $(WORK_DIR)/report.html and fails unless the paper's checks hold.
# DEMO_SEED picks another synthetic set and training seed.
DEMO_SEED ?= 0
demo: setup
	$(PY) tools/demo.py --work-dir $(WORK_DIR) --seed $(DEMO_SEED)
