# Entry points. Each target runs the idempotent setup first.
VENV ?= .venv
PY := $(VENV)/bin/python
WORK_DIR ?= work_dirs/demo

.PHONY: setup test demo

setup:
	bash scripts/setup_env.sh

test: setup
	$(PY) -m pytest -q

demo: setup
	$(PY) tools/demo.py --work-dir $(WORK_DIR)
