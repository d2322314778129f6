"""Write a synthetic PASCAL VOC data set (no download needed).

Example::

    python tools/make_synthetic_voc.py --out data/synthetic_voc --num 40

writes ``OUT/VOC2012/{JPEGImages, SegmentationClass, SegmentationClassAug,
ImageSets/Segmentation/{train,val,trainaug,aug,sbd_train,seg11valid}.txt}``,
which ``configs/_base_/datasets/synthetic_voc.py`` reads. The writer is
:mod:`fcn_tools.synthetic`.
"""
from fcn_tools.errors import run_tool
from fcn_tools.synthetic import main

if __name__ == '__main__':
    run_tool(main)
