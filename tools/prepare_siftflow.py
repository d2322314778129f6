"""Lay out SIFT Flow for the FCN configs (images, semantic and geometric
labels, the reference's splits).

Example::

    python tools/prepare_siftflow.py --siftflow /data/SiftFlowDataset \\
        --splits /data/fcn.berkeleyvision.org/data/sift-flow \\
        --out data/siftflow --nproc 4

writes ``OUT/{images, semantic, geometric}/<id>.{jpg,png}`` and
``OUT/{trainval,test}.txt`` with the FCN reference's labels (classes from
0, void 255) and splits (reruns skip finished files). Or fetch everything
first, from the official locations (resumable; no checksums published, so
the content is checked)::

    python tools/prepare_siftflow.py --download /data/siftflow-release \\
        --out data/siftflow

The preparation is :mod:`fcn_tools.prepare_siftflow`, the downloads
:mod:`fcn_tools.download`.
"""
from fcn_tools.errors import run_tool
from fcn_tools.prepare_siftflow import main

if __name__ == '__main__':
    run_tool(main)
