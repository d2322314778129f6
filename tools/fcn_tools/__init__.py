"""Glue of the command-line tools in ``tools/``; not part of the plugin.

The scripts in ``tools/`` import it directly (their folder is first on
``sys.path``); the tests reach it through ``pythonpath = tools``.
"""
