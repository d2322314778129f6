"""The PASCAL colour map, for datasets whose classes have no colours."""
from typing import List


def pascal_colormap(num: int = 256) -> List[List[int]]:
    """The PASCAL VOC colour map: ``[r, g, b]`` of labels ``0..num-1``.

    Label ``i`` spreads its bits over the high bits of R, G and B (the VOC
    devkit's ``VOClabelcolormap``): 0 is black, 1 is (128, 0, 0), ...,
    255 is (224, 224, 192). VOC's PNG palette; `FCN
    <https://arxiv.org/abs/1605.06211>`_'s SIFT Flow classes are drawn in
    its colours 1..33.

    Args:
        num (int): How many labels. Defaults to 256.

    Returns:
        list[list[int]]: ``num`` RGB triples.
    """
    out = []
    for label in range(num):
        rgb = [0, 0, 0]
        code = label
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((code >> channel) & 1) << shift
            code >>= 3
        out.append(rgb)
    return out
