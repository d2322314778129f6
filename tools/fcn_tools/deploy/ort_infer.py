"""Image files to label maps with an exported FCN, as MMSeg predicts them.

:class:`OrtImageSegmenter` runs the config's test pipeline (without label
loading, as ``MMSegInferencer`` does), the ONNX graph, and MMSeg's
post-processing (bilinear resize of the logits back to the original size
when the pipeline resized the image, then the argmax), so that its label
maps equal those of the PyTorch model through ``MMSegInferencer``.
"""
import copy
from pathlib import Path
from typing import Optional, Tuple, Union

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from ..dataset_meta import config_dataset_meta
from .export import model_net_name
from .runtime import OrtSegmentor

#: Pipeline steps that load labels, which ``MMSegInferencer`` drops.
LABEL_LOADERS = ('LoadAnnotations', 'LoadDepthAnnotation')


class OrtImageSegmenter:
    """Segment image files with an ONNX file exported from ``cfg``.

    Args:
        cfg (Config): The config the file was exported from.
        onnx_file (str): The ``.onnx`` file.
        threads (int, optional): ONNX Runtime intra-op threads.

    Raises:
        ValueError: If the file is not the config's net (net, class count,
            input or output shapes).
    """

    def __init__(self,
                 cfg: Config,
                 onnx_file: str,
                 threads: Optional[int] = None) -> None:
        from mmseg.registry import MODELS, VISUALIZERS
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        # Only the net's identity is needed: no weights are allocated.
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.pop('pretrained', None)
        with torch.device('meta'):
            model = MODELS.build(model_cfg)
        head = model.decode_head
        self.num_classes = head.out_channels
        self.align_corners = head.align_corners
        self.ort = OrtSegmentor(onnx_file, threads)
        self.ort.check(model_net_name(model), self.num_classes)
        if self.num_classes == 1 and self.ort.output_name == 'logits':
            raise ValueError(
                f'{onnx_file}: a one-channel head predicts with its '
                'threshold; export it with --output labels')
        # The pipeline MMSegInferencer runs (it reads the same key).
        self.pipeline = Compose([
            step for step in cfg.test_dataloader.dataset.pipeline
            if str(step['type']).split('.')[-1] not in LABEL_LOADERS
        ])
        self.dataset_meta = config_dataset_meta(cfg, self.num_classes)
        vis_cfg = copy.deepcopy(cfg.get('visualizer', None) or dict(
            type='SegLocalVisualizer'))
        vis_cfg['name'] = f'fcn_onnx_{id(self)}'
        self.visualizer = VISUALIZERS.build(vis_cfg)
        self.visualizer.set_dataset_meta(**self.dataset_meta)

    def __call__(self, image: Union[str, Path]) -> np.ndarray:
        """The (H, W) uint8 label map of an image file at its own size."""
        data = self.pipeline(dict(img_path=str(image)))
        meta = data['data_samples'].metainfo
        img = data['inputs'][None].float().numpy()
        out = self.ort(img)
        h, w = meta['ori_shape'][:2]
        if out.shape[-2:] == (h, w):
            if self.ort.output_name == 'logits':
                out = out.argmax(axis=1)
            return out[0].astype(np.uint8)
        if self.ort.output_name != 'logits':
            raise ValueError(
                f'{self.ort.file} outputs labels, but the test pipeline '
                f'resizes {image} to {out.shape[-2:]}: export with --output '
                'logits so the logits can be resized back, as MMSeg does')
        logits = F.interpolate(
            torch.from_numpy(out),
            size=(h, w),
            mode='bilinear',
            align_corners=self.align_corners)
        return logits.argmax(dim=1)[0].numpy().astype(np.uint8)

    def segment(self, image: Union[str, Path],
                opacity: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
        """Label map and overlay of an image file.

        The overlay is drawn by the config's visualizer, as
        ``MMSegInferencer`` draws it.

        Returns:
            tuple[np.ndarray, np.ndarray]: The ``(H, W)`` uint8 class
            indices and the RGB overlay.
        """
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        label = self(image)
        sample = SegDataSample(
            pred_sem_seg=PixelData(data=torch.from_numpy(label)[None]))
        rgb = mmcv.imread(str(image), channel_order='rgb')
        self.visualizer.alpha = opacity
        self.visualizer.add_datasample(
            Path(image).name, rgb, sample, draw_gt=False, draw_pred=True)
        return label, self.visualizer.get_image()
