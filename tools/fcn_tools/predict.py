"""Load a segmentor from config + checkpoint files and predict images."""
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmseg.apis import inference_model, init_model
from mmseg.structures import SegDataSample

#: Pipeline steps that load labels; inference on bare images skips them.
ANNOTATION_LOADERS = ('LoadAnnotations', )


def load_segmentor(config: Union[str, Config],
                   checkpoint: Optional[str],
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a segmentor for inference with MMSeg's ``init_model``.

    A config without a top-level ``test_pipeline`` uses the pipeline of its
    ``test_dataloader`` (MMSeg's inference API needs the former); label
    loading steps are removed from it.

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): Local checkpoint file.
        device (str): Torch device. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        torch.nn.Module: The model in eval mode, with ``dataset_meta`` and
        ``cfg`` set.

    Raises:
        FileNotFoundError: If the config or checkpoint file is missing.
        ValueError: If the config has no test pipeline.
    """
    if not isinstance(config, Config):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(config)
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if config.get('test_pipeline', None) is None:
        try:
            config.test_pipeline = config.test_dataloader.dataset.pipeline
        except AttributeError:
            raise ValueError(
                f'config {config.filename} defines neither test_pipeline '
                'nor test_dataloader.dataset.pipeline') from None
    # Images to predict have no label: drop annotation loading (MMSeg's
    # inference API drops only its own LoadAnnotations).
    config.test_pipeline = [
        t for t in config.test_pipeline
        if t.get('type') not in ANNOTATION_LOADERS
    ]
    return init_model(config, checkpoint, device=device)


def predict(model: torch.nn.Module, image: Union[str,
                                                 np.ndarray]) -> SegDataSample:
    """Segment one image (a file or a BGR array) at its own size.

    Args:
        model (torch.nn.Module): From :func:`load_segmentor`.
        image (str | np.ndarray): Image file or BGR uint8 array.

    Returns:
        SegDataSample: With ``pred_sem_seg`` at the image's size.
    """
    return inference_model(model, image)


def pred_label(sample: SegDataSample) -> np.ndarray:
    """The (H, W) uint8 predicted label map of a data sample."""
    return sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
