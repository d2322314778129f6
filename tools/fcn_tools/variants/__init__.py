"""Original vs simplified FCN-8s, measured side by side.

Tool glue for ``tools/compare_variants.py``, not part of :mod:`fcn_plugin`:
the variants and their configs (:mod:`.catalog`), their cost
(:mod:`.cost`, :mod:`.memory`), their accuracy after the same training
(:mod:`.training`) and the table (:mod:`.report`).
"""
