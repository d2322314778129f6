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

demo: setup
	$(PY) tools/demo.py --work-dir $(WORK_DIR)
