"""Lay out PASCAL-Context (59 classes) for the FCN configs (MMSeg's layout).

Example::

    python tools/prepare_pascal_context.py --voc2010 /data/VOCdevkit \\
        --context /data/pascal-context --out data/VOCdevkit --nproc 4

writes ``OUT/VOC2010/{JPEGImages, SegmentationClassContext,
ImageSets/SegmentationContext/{train,val}.txt}`` with the FCN reference's
label mapping and splits (reruns skip finished files). Without
``--context`` it takes the labels MMSeg's own converter wrote. Or fetch
everything first, from the official locations (resumable; the VOC2010
archive checksummed)::

    python tools/prepare_pascal_context.py --download /data/context \\
        --out data/VOCdevkit

The preparation is :mod:`fcn_tools.prepare_context`, the downloads
:mod:`fcn_tools.download`.
"""
from fcn_tools.errors import run_tool
from fcn_tools.prepare_context import main

if __name__ == '__main__':
    run_tool(main)
