"""Lay out NYUDv2 for the FCN NYUD configs (colour, depth, HHA, the 40
classes of Gupta et al., the reference's splits).

Example::

    # the unpacked nyud.tar.gz of the FCN release (Gupta's data)
    python tools/prepare_nyud.py --nyud /data/nyud --out data/nyud

    # or the official labelled .mat, with classMapping40.mat and
    # splits.mat beside it
    python tools/prepare_nyud.py --nyud /data/nyu_depth_v2_labeled.mat \\
        --out data/nyud --nproc 4

writes ``OUT/{images, depth, hha, labels}/img_<id>.png`` and
``OUT/{train, val, trainval, test}.txt`` with the FCN reference's labels
(classes from 0, void 255), ids and splits (reruns skip finished files).
The preparation is :mod:`fcn_tools.prepare_nyud`.
"""
from fcn_tools.errors import run_tool
from fcn_tools.prepare_nyud import main

if __name__ == '__main__':
    run_tool(main)
