"""Run an FCN exported by :mod:`.export` in ONNX Runtime.

:class:`OrtSegmentor` checks that the file is the net a config describes
(net, class count, input and output shapes) before any image runs, so a
file of another net or class count fails with one message naming the
expected and the found shapes.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

Dim = Union[int, str, None]

#: Keys of the ONNX ``metadata_props`` that ``export.export_onnx`` writes.
META_NET = 'fcn_plugin.net'
META_CLASSES = 'fcn_plugin.num_classes'
META_OUTPUT = 'fcn_plugin.output'
META_CONFIG = 'fcn_plugin.config'


def import_deploy_module(name: str):
    """Import ``onnx`` / ``onnxruntime``, or say how to install them."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(
            f'{name} is not installed: pip install -e .[deploy] (the pins '
            'of requirements/stack.txt)') from None


def _shape_text(name: str, dims: Sequence[Dim]) -> str:
    shown = ', '.join(str(d) if d is not None else '?' for d in dims)
    return f'{name} [{shown}]'


class OrtSegmentor:
    """An exported FCN in an ONNX Runtime CPU session.

    Args:
        onnx_file (str): The ``.onnx`` file.
        threads (int, optional): Intra-op threads; None lets ONNX Runtime
            choose (one per core).
    """

    def __init__(self, onnx_file: str, threads: Optional[int] = None) -> None:
        ort = import_deploy_module('onnxruntime')
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'ONNX file not found: {onnx_file}')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                onnx_file, options, providers=['CPUExecutionProvider'])
        except Exception as err:  # onnxruntime raises its own types
            raise ValueError(f'{onnx_file} is not an ONNX model ONNX '
                             f'Runtime can load: {err}') from None
        self.file = onnx_file
        self.inputs = self.session.get_inputs()
        self.outputs = self.session.get_outputs()
        self.meta: Dict[str, str] = dict(
            self.session.get_modelmeta().custom_metadata_map)

    @property
    def output_name(self) -> str:
        """'logits' or 'labels' (the name of the graph's output)."""
        return self.outputs[0].name

    def found_text(self) -> str:
        """The file's net, input and output shapes, as in messages."""
        ins = ', '.join(_shape_text(i.name, i.shape) for i in self.inputs)
        outs = ', '.join(_shape_text(o.name, o.shape) for o in self.outputs)
        net = self.meta.get(META_NET, 'an unknown net')
        return f'{net} with input {ins} -> output {outs}'

    def check(self, net: str, num_classes: int) -> None:
        """Fail unless the file is ``net`` with ``num_classes`` classes.

        Args:
            net (str): Expected net name (e.g. 'fcn8s').
            num_classes (int): Expected number of output channels.

        Raises:
            ValueError: Naming the expected and the found net and shapes.
        """
        expected_out = ('logits [N, {c}, H, W] or labels [N, H, W]'
                        ).format(c=num_classes)
        ok = len(self.inputs) == 1 and len(self.outputs) == 1
        if ok:
            in_dims: List[Dim] = list(self.inputs[0].shape)
            out = self.outputs[0]
            ok = len(in_dims) == 4 and in_dims[1] == 3
            if out.name == 'logits':
                ok = ok and len(out.shape) == 4 and out.shape[1] == (
                    num_classes)
            else:
                ok = ok and out.name == 'labels' and len(out.shape) == 3
            found_net = self.meta.get(META_NET)
            found_classes = self.meta.get(META_CLASSES)
            ok = ok and found_net in (None, net)
            ok = ok and found_classes in (None, str(num_classes))
        if not ok:
            raise ValueError(
                f'{self.file} does not fit the config: expected {net} with '
                f'input img [N, 3, H, W] -> output {expected_out} '
                f'({num_classes} classes), found {self.found_text()} '
                f'({self.meta.get(META_CLASSES, "?")} classes); export '
                'this config with tools/deployment/pytorch2onnx.py')

    def check_input(self, shape: Sequence[int]) -> None:
        """Fail unless a static-size file accepts an input of ``shape``."""
        dims = self.inputs[0].shape
        for want, got in zip(dims, shape):
            if isinstance(want, int) and want != got:
                raise ValueError(
                    f'{self.file} was exported for a fixed input '
                    f'{_shape_text(self.inputs[0].name, dims)}, found '
                    f'{_shape_text("image", list(shape))}; export it with '
                    '--dynamic to serve every size')

    def __call__(self, img: np.ndarray) -> np.ndarray:
        """Run the graph.

        Args:
            img (np.ndarray): (N, 3, H, W) image, 0-255, channel order as
                loaded (BGR for the FCN configs).

        Returns:
            np.ndarray: (N, C, H, W) float32 logits or (N, H, W) int64
            labels, as the file's output says.
        """
        img = np.ascontiguousarray(img, dtype=np.float32)
        self.check_input(img.shape)
        return self.session.run(None, {self.inputs[0].name: img})[0]

    def labels(self, img: np.ndarray) -> np.ndarray:
        """(N, H, W) int64 label map of ``img`` (see ``__call__``)."""
        out = self(img)
        if self.output_name == 'labels':
            return out
        if out.shape[1] == 1:
            raise ValueError(
                f'{self.file}: a one-channel logits output needs the '
                "head's threshold; export it with --output labels")
        return out.argmax(axis=1)
