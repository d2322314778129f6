"""End-to-end demo on the synthetic VOC set: the paper's staged training.

Writes a synthetic VOC set, trains FCN-32s from scratch, FCN-16s from
FCN-32s and FCN-8s from FCN-16s (``tools/train.py``), tests the three nets
(``tools/test.py``) and leaves the checkpoints, predictions, comparison
grids, curves, ``summary.json`` and ``report.html`` in the work dir; exits
non-zero unless the paper's checks hold. The demo is
:mod:`fcn_tools.demo`.

Example:
    python tools/demo.py --work-dir work_dirs/demo
"""
from fcn_tools.demo import main
from fcn_tools.errors import run_tool

if __name__ == '__main__':
    run_tool(main)
