"""Runner hook that checks and reports the weight files a config names."""
import os.path as osp
import re
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseModule, is_model_wrapper
from mmengine.optim import BaseOptimWrapper
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmseg.registry import HOOKS

from fcn_plugin.errors import MissingWeightFileError, WeightFileError
from fcn_plugin.models.net_table import (PREVIOUS_STAGE, TRUNK_NET, is_trunk,
                                         trunk_net_of)
from .streams import model_streams, plan_streams, stream_of_module
from .weight_check import (LoadPlan, check_input, load_for_check,
                           missing_file_message, model_heads, model_net,
                           plan_load, preprocessor_input)

#: The prefix MMEngine's ``Runner.load_checkpoint`` strips by default
#: (its ``revise_keys``); the plan is made on the keys as MMEngine will load
#: them, before it revises them.
_MODULE_PREFIX = re.compile(r'^module\.')


def _pretrained(model: nn.Module) -> Iterator[Tuple[str, nn.Module, dict]]:
    """``(setting, module, cfg)`` of every ``Pretrained`` ``init_cfg``."""
    for name, module in model.named_modules():
        cfgs = module.init_cfg if isinstance(module, BaseModule) else None
        for cfg in [cfgs] if isinstance(cfgs, dict) else cfgs or []:
            if cfg.get('type') == 'Pretrained':
                yield (f'model.{name}.init_cfg' if name else
                       'model.init_cfg'), module, cfg


@HOOKS.register_module()
class FCNWeightsHook(Hook):
    """Check every weight file before a run uses it, and explain loads.

    For the nets of `FCN <https://arxiv.org/abs/1605.06211>`_, whose
    weights always come from a local file, this hook makes mistakes fail
    at once with one message naming the file. MMEngine does the loading
    (``load_from``, ``resume``, ``init_cfg=dict(type='Pretrained')``); the
    hook only checks and reports, at MMEngine's public hook points:

    - ``before_run``: each file the run will read (the config's
      ``load_from``, and when training every ``Pretrained`` ``init_cfg``)
      must exist and be local; a missing file names the converter command
      that writes it. Pretrained files are checked against the module they
      initialise (keys, shapes, input normalisation).
    - ``after_load_checkpoint`` (``load_from``, ``resume`` and
      ``tools/test.py CONFIG CKPT``): the file must hold the config's net
      with the same shapes (number of classes, widths). When training
      from ``load_from``, a file of an earlier stage initialises the net as
      in the paper's staged training (VGG16 -> FCN-32s -> FCN-16s ->
      FCN-8s): shared layers are copied, new score layers stay zero and
      upscore layers bilinear, and the old upscore layers without a place
      in the new net are dropped from the checkpoint and reported (e.g.
      the 32s ``upscore`` in FCN-16s).
    - ``before_save_checkpoint``: records ``meta['fcn_net']`` and the input
      normalisation, so the next stage can check them.

    The nets, their staging and their released weights come from the
    declarations of the model classes (:class:`NetDescription`), so a net
    defined in a user's module is checked the same way. A net with two
    heads (``TwoHeadEncoderDecoder``, the SIFT Flow nets) is checked and
    staged head by head; a file must have both heads (or be a trunk
    file).

    Add it with ``custom_hooks = [dict(type='FCNWeightsHook')]``.

    Args:
        check_input (bool): Fail when a file's recorded input
            normalisation differs from the model's ``data_preprocessor``.
            Defaults to True.
        new_classes (bool): When training from a file whose net has
            another number of classes than the config's ``num_classes``
            (e.g. the VOC FCN-8s fine-tuned on another dataset), keep every
            other layer and start the class-sized head layers as the
            recipe does (score layers zero, upscore layers bilinear).
            Defaults to False: such a file is refused, naming both counts.
            A trunk file has no classes and always fits.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 check_input: bool = True,
                 new_classes: bool = False) -> None:
        self.check_input = check_input
        self.new_classes = new_classes
        self._training = False
        #: The :class:`LoadPlan` of the last file checked or loaded.
        self.last_plan: Optional[LoadPlan] = None

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner) -> None:
        """Fail at once on a missing, remote or unfitting weight file."""
        model = self._model(runner)
        # Runner.train() builds the optimizer before this hook point;
        # val() and test() do not.
        self._training = isinstance(runner.optim_wrapper, BaseOptimWrapper)
        net = model_net(model)
        load_from = runner.cfg.get('load_from', None)
        if load_from:
            resume = bool(runner.cfg.get('resume', False))
            staged = self._training and not resume and net is not None
            self._check_file(load_from, 'resume' if resume else 'load_from',
                             net, PREVIOUS_STAGE[net] if staged else net,
                             model_heads(model))
        if not self._training:
            return
        for setting, module, cfg in _pretrained(model):
            want = trunk_net_of(module) if module is getattr(
                model, 'backbone', None) else net
            path = cfg.get('checkpoint')
            self._check_file(path, setting, net, want, model_heads(model))
            self._check_pretrained(path, setting, module, cfg, model, net)

    @staticmethod
    def _check_file(path: Any, setting: str, net: Optional[str],
                    want: Optional[str],
                    heads: Sequence[str] = ('decode_head', )) -> None:
        """Fail on a remote or missing file, naming how to make it."""
        if not isinstance(path, str) or '://' in path:
            raise WeightFileError(
                f'{setting}={path!r}: weights are read from local files '
                'only (nothing is downloaded); convert them into '
                'checkpoints/ (see docs/weights.md)')
        if not osp.isfile(osp.expanduser(path)):
            raise MissingWeightFileError(
                missing_file_message(path, setting, net or want or TRUNK_NET,
                                     want if want != net else None,
                                     heads=tuple(heads) or ('decode_head', )))

    def _check_pretrained(self, path: str, setting: str, module: nn.Module,
                          cfg: Dict[str, Any], model: nn.Module,
                          net: Optional[str]) -> None:
        """Check a ``Pretrained`` file against the module it initialises."""
        ckpt = load_for_check(path)
        state = ckpt.get('state_dict', ckpt)
        meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) \
            else None
        where = f'{path} ({setting})'
        prefix = cfg.get('prefix') or ''
        if prefix and not prefix.endswith('.'):
            prefix += '.'
        if prefix:
            # MMEngine loads the keys under the prefix, without it.
            state = {k: v for k, v in state.items() if k.startswith(prefix)}
            if not state:
                raise WeightFileError(
                    f'{where}: no key starts with prefix={cfg["prefix"]!r}')
        shapes = {
            prefix + k: tuple(v.shape)
            for k, v in module.state_dict().items()
        }
        if not set(shapes) & set(state):
            raise WeightFileError(
                f'{where}: none of its keys (e.g. {next(iter(state), None)})'
                f' is a parameter of the module it initialises (e.g. '
                f'{next(iter(shapes), None)}); set prefix= (e.g. '
                "prefix='backbone.' for a trunk file on the backbone)")
        whole = module is model and net is not None
        stream = stream_of_module(model, module)
        # A late-fusion stream's head starts from its single-stream net's.
        target = net if whole or (stream and stream[1] == 'decode_head') \
            else trunk_net_of(module)
        # With a prefix only part of the file is used: its net is read off
        # the selected keys, not off meta['fcn_net'].
        plan = plan_load(shapes, target, state, where,
                         None if prefix else meta, staged=whole,
                         new_classes=self.new_classes)
        if plan.widened:
            raise WeightFileError(
                f'{where}: its first conv has fewer input channels than the '
                "model's; MMEngine's Pretrained loader cannot widen it. Set "
                f'load_from={path!r} instead (the weights hook widens it '
                'there) and remove this init_cfg')
        if self.check_input:
            self._check_input(
                meta, model, where, plan, training=True,
                channels=model.stream_slice(stream[0]) if stream else None)
        self.last_plan = plan
        print_log(plan.describe(where, target), logger='current')

    @staticmethod
    def _check_input(meta: Optional[dict],
                     model: nn.Module,
                     source: str,
                     plan: LoadPlan,
                     training: bool,
                     channels: Optional[slice] = None) -> None:
        """The input check; a trunk file that starts a training may have
        another mean (logged)."""
        trunk = training and is_trunk(plan.source_net)
        note = check_input(meta, model, source, trunk=trunk,
                           channels=channels)
        if note:
            print_log(note, logger='current')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check a loaded checkpoint; drop layers with no place."""
        model = self._model(runner)
        net = model_net(model)
        if net is None:
            return
        resume = bool(runner.cfg.get('resume', False))
        source = runner.cfg.get('load_from', None) or (
            resume and find_latest_checkpoint(runner.work_dir)
        ) or 'the loaded checkpoint'
        state = checkpoint.get('state_dict', checkpoint)
        revised = {_MODULE_PREFIX.sub('', k): v for k, v in state.items()}
        meta = checkpoint.get('meta') if isinstance(
            checkpoint.get('meta'), dict) else None
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        streams = model_streams(model)
        staged = self._training and not resume
        if streams:
            plan = plan_streams(shapes, net, revised, source, streams, meta,
                                staged=staged, new_classes=self.new_classes)
        else:
            plan = plan_load(shapes, net, revised, source, meta,
                             staged=staged, new_classes=self.new_classes)
        if self.check_input:
            self._check_input(meta, model, source, plan, training=staged)
        for key in list(state):
            plain = _MODULE_PREFIX.sub('', key)
            if plain in plan.dropped:
                del state[key]
            elif plain in plan.widened:
                state[key] = plan.widened[plain]
        self.last_plan = plan
        print_log(plan.describe(source, net), logger='current')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the net and its input normalisation in the meta."""
        model = self._model(runner)
        net = model_net(model)
        meta = checkpoint.setdefault('meta', {})
        if net is not None:
            meta['fcn_net'] = net
        streams = model_streams(model)
        if streams:
            meta['streams'] = list(streams)
        inp = preprocessor_input(model)
        if inp is not None:
            meta['input'] = inp

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(check_input={self.check_input}, '
                f'new_classes={self.new_classes})')
