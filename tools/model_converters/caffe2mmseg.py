"""Convert a Caffe .caffemodel to a plugin checkpoint.

Reads the ILSVRC VGG16 model (``VGG_ILSVRC_16_layers.caffemodel``, FCN's
``vgg16-fcn.caffemodel``) or a released FCN model
(``fcn32s-heavy-pascal.caffemodel`` ... ``fcn8s-atonce-pascal.caffemodel``,
``pascalcontext-fcn32s-heavy.caffemodel`` ...
``pascalcontext-fcn8s-heavy.caffemodel``, the two-head
``siftflow-fcn32s-heavy.caffemodel`` ...
``siftflow-fcn8s-heavy.caffemodel``), and FCN-AlexNet's ImageNet CaffeNet
(``bvlc_reference_caffenet.caffemodel``) and release
(``fcn-alexnet-pascal.caffemodel``) without pycaffe. Example::

    python tools/model_converters/caffe2mmseg.py \
        VGG_ILSVRC_16_layers.caffemodel checkpoints/vgg16_caffe_fcn.pth

A released FCN scores its benchmark's classes in the reference's order;
``--classes`` names the MMSeg dataset whose class list the converted score
layers follow (their rows, and both class axes of the upscore layers, are
reordered; rows of classes the dataset lacks are dropped) and whose
``dataset_meta`` the checkpoint records. Without it, the release is detected
from the number of ``score_fr`` rows and converted for its first target:
``voc`` for 21 rows, ``pascal-context`` (60 classes with the background) for
60. For MMSeg's 59-class PASCAL-Context (``PascalContextDataset59``,
``reduce_zero_label``)::

    python tools/model_converters/caffe2mmseg.py \
        pascalcontext-fcn8s-heavy.caffemodel \
        checkpoints/fcn8s_pascal-context-59.pth --classes pascal-context-59

A SIFT Flow release has two heads on one trunk: ``<layer>_sem`` (33
semantic classes) becomes ``decode_head.<layer>``, ``<layer>_geo`` (3
geometric classes) ``geo_head.<layer>`` of a ``TwoHeadEncoderDecoder``
(``configs/fcn*_vgg16_siftflow.py``)::

    python tools/model_converters/caffe2mmseg.py \
        siftflow-fcn16s-heavy.caffemodel checkpoints/fcn16s_vgg16_siftflow.pth

The NYUDv2 releases: the colour and HHA FCN-32s (``--modality hha``
records the HHA mean) and the late-fusion colour-HHA net, whose two streams
(``conv1_1color`` ..., ``conv1_1hha`` ...) become the streams of a
``LateFusionEncoderDecoder``::

    python tools/model_converters/caffe2mmseg.py \
        nyud-fcn32s-hha-heavy.caffemodel \
        checkpoints/fcn32s_vgg16_nyud-hha.pth --modality hha
    python tools/model_converters/caffe2mmseg.py \
        nyud-fcn32s-color-hha-heavy.caffemodel \
        checkpoints/fcn32s_vgg16_nyud-rgb-hha.pth
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.converters import NETS, caffe2mmseg, summary
from fcn_plugin.datasets.class_orders import CLASS_ORDERS, targets

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def _classes_help() -> str:
    names = '; '.join(f'{target}: {order.targets[target]}'
                      for target, order in targets().items())
    return ('class list the score layers are reordered to, that of an MMSeg '
            f'dataset ({names}); rows of reference classes it lacks (the '
            'background for pascal-context-59) are dropped. Default: the '
            'first target of the release the number of score_fr rows shows; '
            'a row count of no declared release converts unchanged')


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Caffe .caffemodel -> plugin checkpoint')
    parser.add_argument('src', help='the .caffemodel file')
    parser.add_argument('dst', help='output checkpoint, e.g. '
                        'checkpoints/vgg16_caffe_fcn.pth')
    parser.add_argument('--net', choices=NETS,
                        help='expected net; detected from the layers if '
                        'omitted')
    parser.add_argument('--classes', choices=tuple(targets()),
                        help=_classes_help())
    modalities = sorted({m for o in CLASS_ORDERS.values()
                         for m in o.modality_means})
    parser.add_argument(
        '--modality', choices=modalities,
        help='input of a one-stream release of an RGB-D benchmark (NYUDv2: '
        'hha for nyud-fcn32s-hha-heavy.caffemodel, color for the colour '
        'net): its mean is recorded as the input. A late-fusion file takes '
        'its modalities from its layer suffixes (conv1_1color, conv1_1hha) '
        'and refuses this option')
    args = parser.parse_args()
    print(summary(caffe2mmseg(args.src, args.dst, args.net, args.classes,
                              args.modality), args.dst))


if __name__ == '__main__':
    run_tool(main)
