"""Weight shapes of a Caffe trunk, read off its layer declarations."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

Shape = Tuple[int, ...]


class CaffeTrunkShapes:
    """Shapes and widths of a trunk of `FCN
    <https://arxiv.org/abs/1605.06211>`_ from what the trunk declares.

    A trunk declares ``caffe_layers`` (Caffe name and kernel size of each
    layer with parameters, in order), ``fc_layers`` (the convolutionalised
    classifier, ``fc6`` / ``fc7``), ``caffe_stages`` (the stage of each other
    layer: its width is ``stage_channels[stage]``) and ``caffe_groups``
    (Caffe's ``group`` of a grouped layer). The converters' shape checks and
    the narrow test nets use these class methods.
    """

    caffe_layers: Tuple[Tuple[str, int], ...] = ()
    fc_layers: Tuple[str, ...] = ()
    caffe_stages: Dict[str, int] = {}
    caffe_groups: Dict[str, int] = {}

    @classmethod
    def layer_shapes(cls,
                     stage_channels: Sequence[int],
                     fc_channels: int,
                     in_channels: int = 3,
                     with_fc: bool = True) -> Dict[str, Shape]:
        """Weight shape of every layer, in ``caffe_layers`` order.

        A group-``g`` layer sees ``in / g`` input channels per output.
        Each layer also has a bias of shape ``(out, )``.
        """
        out: Dict[str, Shape] = {}
        cin = in_channels
        for name, kernel in cls.caffe_layers:
            if name in cls.fc_layers:
                if not with_fc:
                    continue
                cout = fc_channels
            else:
                cout = stage_channels[cls.caffe_stages[name]]
            groups = cls.caffe_groups.get(name, 1)
            out[name] = (cout, cin // groups, kernel, kernel)
            cin = cout
        return out

    @classmethod
    def widths_of(cls, out_channels: Callable[[str], Optional[int]]
                  ) -> Tuple[Optional[List[int]], Optional[int]]:
        """``(stage_channels, fc_channels)`` of a weight file.

        Args:
            out_channels (Callable): Output channels of a layer of the file,
                None where the file lacks the layer.

        Returns:
            tuple: The widths (from each stage's first layer); None for
            what the file does not hold.
        """
        first: Dict[int, str] = {}
        for name, stage in cls.caffe_stages.items():
            first.setdefault(stage, name)
        stages = [out_channels(first[s]) for s in sorted(first)]
        return (None if None in stages else stages,
                out_channels(cls.fc_layers[-1]))
