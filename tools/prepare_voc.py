"""Lay out PASCAL VOC2012 + SBD for the FCN configs (MMSeg's VOC layout).

Example::

    python tools/prepare_voc.py --voc /data/VOCdevkit \\
        --sbd /data/benchmark_RELEASE --out data/VOCdevkit \\
        --voc2011-val /data/seg11valid.txt --nproc 4

writes ``OUT/VOC2012/{JPEGImages, SegmentationClass, SegmentationClassAug,
ImageSets/Segmentation/*.txt}`` (SBD labels converted by MMSeg's own
converter; reruns skip finished files). Or fetch everything first, from
the official locations (resumable, checksummed)::

    python tools/prepare_voc.py --download /data/voc --out data/VOCdevkit

The preparation is :mod:`fcn_tools.prepare_voc`, the downloads
:mod:`fcn_tools.download`.
"""
from fcn_tools.errors import run_tool
from fcn_tools.prepare_voc import main

if __name__ == '__main__':
    run_tool(main)
