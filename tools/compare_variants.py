"""Original vs simplified FCN-8s (and the ablations between), side by side.

Parameters, GFLOPs, time and peak memory of each variant at the VGG16
widths, and its accuracy after the same training on the study's synthetic
VOC set; one table in ``variants.json`` / ``variants.md``
(:mod:`fcn_tools.variants.cli`, docs/study.md).

Examples::

    python tools/compare_variants.py
    python tools/compare_variants.py --variants original simplified \
        --seeds 0 1 --work-dir work_dirs/variants
    python tools/compare_variants.py --widths tiny --repeats 1 \
        --train-scale 0.02 --num-images 6 --num-test 2 --size 40 40
"""
from fcn_tools.errors import run_tool
from fcn_tools.variants.cli import main

if __name__ == '__main__':
    run_tool(main)
