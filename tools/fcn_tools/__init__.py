"""The tools' one helper package; not part of the plugin, not installed.

The scripts in ``tools/`` are thin entry points into it: they import it
directly (their folder is first on ``sys.path``), the scripts in
``tools/deployment/`` and ``tools/model_converters/`` put ``tools/`` on
``sys.path`` first, and the tests reach it through ``pythonpath = tools``
(setup.cfg). See docs/architecture.md for what each module holds.
"""
