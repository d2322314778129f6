"""The variants' inference and training steps on one fake batch.

Each variant is driven as MMEngine's loops drive a segmentor:
``model.test_step`` under ``no_grad`` on a packed data dict, and
``model.train_step`` with an ``OptimWrapper`` around SGD (the Caffe
solver's momentum and weight decay). Every variant gets the same uint8
BGR images and labels (the benchmark's :func:`fake_batch`), each in its
own packed dict.
"""
from typing import Callable, Dict, Sequence

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.runner import set_random_seed

from ..benchmark.cases import SOLVER, fake_batch, packed_data
from .catalog import build_model


class Steps:
    """Models of several variants and their step functions.

    Args:
        names (Sequence[str]): Variants to build.
        widths (str): ``'full'`` or ``'tiny'`` trunk widths.
        shape (Sequence[int]): NxCxHxW of the batch.
        seed (int): Seed of the fake batch and of the weights.
    """

    def __init__(self, names: Sequence[str], widths: str,
                 shape: Sequence[int], seed: int = 0) -> None:
        self.models = {}
        for name in names:
            set_random_seed(seed)
            self.models[name] = build_model(name, widths)
        num_classes = next(iter(
            self.models.values())).decode_head.out_channels
        imgs, labels = fake_batch(shape, num_classes, seed)
        self.infer: Dict[str, Callable[[], object]] = {}
        self.train: Dict[str, Callable[[], object]] = {}
        for name, model in self.models.items():
            wrapper = build_optim_wrapper(
                model,
                dict(type='OptimWrapper', optimizer=dict(type='SGD',
                                                         **SOLVER)))
            self.infer[name] = self._infer(model, packed_data(imgs))
            self.train[name] = self._train(model, packed_data(imgs, labels),
                                           wrapper)

    @staticmethod
    def _infer(model, data: dict) -> Callable[[], object]:

        @torch.no_grad()
        def run() -> object:
            return model.test_step(data)

        return run

    @staticmethod
    def _train(model, data: dict, wrapper) -> Callable[[], object]:

        def run() -> object:
            return model.train_step(data, wrapper)

        return run

    def set_mode(self, train: bool) -> None:
        """Train or eval mode for every model."""
        for model in self.models.values():
            model.train(train)
