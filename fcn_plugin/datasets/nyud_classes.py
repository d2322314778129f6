"""The 40 classes of the NYUDv2 task of the FCN NYUD nets.

`FCN <https://arxiv.org/abs/1605.06211>`_ segments NYUDv2 into the 40
classes of Gupta, Arbelaez and Malik (CVPR 2013). The released
``nyud-fcn32s-*`` nets score them in the order of the reference's
``data/nyud/classes.txt`` (fcn.berkeleyvision.org), which is the order of
``className`` in Gupta's ``classMapping40.mat``: label 1..40 there, 0..39
in the prepared PNGs (``tools/prepare_nyud.py``), void 255.
"""

#: The classes in the reference's order (``data/nyud/classes.txt``; its
#: spelling, ``refridgerator`` included).
NYUD40_CLASSES = (
    'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door',
    'window', 'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves',
    'curtain', 'dresser', 'pillow', 'mirror', 'floor mat', 'clothes',
    'ceiling', 'books', 'refridgerator', 'television', 'paper', 'towel',
    'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet',
    'sink', 'lamp', 'bathtub', 'bag', 'otherstructure', 'otherfurniture',
    'otherprop')
