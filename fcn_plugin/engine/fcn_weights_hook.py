"""Runner hook that checks and reports the weight files a config names."""
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseModule, is_model_wrapper
from mmengine.runner import BaseLoop

from mmseg.registry import HOOKS
from fcn_plugin.converters.errors import (MissingWeightFileError,
                                          WeightFileError)
from .weight_check import (PREVIOUS_STAGE, LoadPlan, check_input,
                           load_for_check, missing_file_message, model_net,
                           plan_load)

#: The prefix MMEngine's ``Runner.load_checkpoint`` strips by default.
_MODULE_PREFIX = re.compile(r'^module\.')


def _pretrained_cfgs(module: nn.Module) -> List[Dict[str, Any]]:
    cfgs = getattr(module, 'init_cfg', None) if isinstance(
        module, BaseModule) else None
    if isinstance(cfgs, dict):
        cfgs = [cfgs]
    return [c for c in cfgs or [] if c.get('type') == 'Pretrained']


@HOOKS.register_module()
class FCNWeightsHook(Hook):
    """Check every weight file before a run uses it, and explain loads.

    For the nets of `FCN <https://arxiv.org/abs/1605.06211>`_, whose
    weights always come from a local file, this hook makes mistakes fail
    at once with one message naming the file:

    - ``before_run``: each file the run will read (``load_from``, and when
      training every ``init_cfg=dict(type='Pretrained', ...)``) must exist
      and be local; a missing file names the converter command that writes
      it. Pretrained files are checked against the module they initialise
      (keys, shapes, input normalisation).
    - ``after_load_checkpoint`` (``load_from`` and ``tools/test.py CONFIG
      CKPT``): the file must hold the config's net with the same shapes
      (number of classes, widths). When training, a file of an earlier
      stage initialises the net as in the paper's staged training
      (VGG16 -> FCN-32s -> FCN-16s -> FCN-8s): shared layers are copied,
      new score layers stay zero and upscore layers bilinear, and the old
      upscore layers without a place in the new net are dropped from the
      checkpoint and reported (e.g. the 32s ``upscore`` in FCN-16s).
    - ``before_save_checkpoint``: records ``meta['fcn_net']`` and the input
      normalisation, so the next stage can check them.

    Add it with ``custom_hooks = [dict(type='FCNWeightsHook')]``.

    Args:
        check_input (bool): Fail when a file's recorded input
            normalisation differs from the model's ``data_preprocessor``.
            Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_input: bool = True) -> None:
        self.check_input = check_input
        self._source: Optional[str] = None
        self._training = False
        #: The :class:`LoadPlan` of the last file checked or loaded.
        self.last_plan: Optional[LoadPlan] = None

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _files(self, runner, model: nn.Module,
               net: Optional[str]) -> List[Tuple[str, str, str, Any]]:
        """(path, setting, expected net, (module, cfg) or None) to check."""
        files = []
        if runner._load_from:
            setting = 'resume' if runner._resume else 'load_from'
            want = PREVIOUS_STAGE[net] if (
                self._training and net and not runner._resume) else net
            files.append((runner._load_from, setting, want, None))
        if self._training:
            for name, module in model.named_modules():
                for cfg in _pretrained_cfgs(module):
                    where = f'model.{name}.init_cfg' if name else \
                        'model.init_cfg'
                    want = 'vgg16' if name == 'backbone' else net
                    files.append((cfg.get('checkpoint'), where, want,
                                  (module, cfg)))
        return files

    def before_run(self, runner) -> None:
        """Fail at once on a missing, remote or unfitting weight file."""
        model = self._model(runner)
        self._training = isinstance(runner._train_loop, BaseLoop)
        self._source = runner._load_from
        net = model_net(model)
        for path, setting, want, target in self._files(runner, model, net):
            if not isinstance(path, str) or '://' in path:
                raise WeightFileError(
                    f'{setting}={path!r}: weights are read from local files '
                    'only (nothing is downloaded); convert them into '
                    'checkpoints/ (see docs/weights.md)')
            if not osp.isfile(osp.expanduser(path)):
                staged = want if want != net else None
                raise MissingWeightFileError(
                    missing_file_message(path, setting, net or want or
                                         'vgg16', staged))
            if target is not None:
                self._check_pretrained(path, setting, *target, model, net)

    def _check_pretrained(self, path: str, setting: str, module: nn.Module,
                          cfg: Dict[str, Any], model: nn.Module,
                          net: Optional[str]) -> None:
        ckpt = load_for_check(path)
        state = ckpt.get('state_dict', ckpt)
        meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) \
            else None
        where = f'{path} ({setting})'
        prefix = cfg.get('prefix')
        if prefix:
            prefix = prefix if prefix.endswith('.') else prefix + '.'
            state = {
                k[len(prefix):]: v for k, v in state.items()
                if k.startswith(prefix)
            }
            if not state:
                raise WeightFileError(
                    f'{path} ({setting}): no key starts with '
                    f'prefix={cfg["prefix"]!r}')
            state = {f'{prefix}{k}': v for k, v in state.items()}
            shapes = {f'{prefix}{k}': tuple(v.shape)
                      for k, v in module.state_dict().items()}
        else:
            shapes = {k: tuple(v.shape)
                      for k, v in module.state_dict().items()}
        if not set(shapes) & set(state):
            raise WeightFileError(
                f'{where}: none of its keys (e.g. {next(iter(state), None)})'
                f' is a parameter of the module it initialises (e.g. '
                f'{next(iter(shapes), None)}); set prefix= (e.g. '
                "prefix='backbone.' for a trunk file on the backbone)")
        whole = module is model and net is not None
        target = net if whole else 'vgg16'
        # With a prefix only part of the file is used: its net is read off
        # the selected keys, not off meta['fcn_net'].
        plan = plan_load(shapes, target, state, where,
                         None if prefix else meta, staged=whole)
        if self.check_input:
            check_input(meta, model, where)
        self.last_plan = plan
        print_log(plan.describe(where, target), logger='current')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check a ``load_from`` checkpoint; drop layers with no place."""
        model = self._model(runner)
        net = model_net(model)
        if net is None:
            return
        source = self._source or 'the loaded checkpoint'
        state = checkpoint.get('state_dict', checkpoint)
        revised = {_MODULE_PREFIX.sub('', k): v for k, v in state.items()}
        meta = checkpoint.get('meta') if isinstance(
            checkpoint.get('meta'), dict) else None
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        plan = plan_load(shapes, net, revised, source, meta,
                         staged=self._training)
        if self.check_input:
            check_input(meta, model, source)
        for key in list(state):
            if _MODULE_PREFIX.sub('', key) in plan.skipped:
                del state[key]
        self.last_plan = plan
        print_log(plan.describe(source, net), logger='current')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the net and its input normalisation in the meta."""
        from .weight_check import preprocessor_input
        model = self._model(runner)
        net = model_net(model)
        meta = checkpoint.setdefault('meta', {})
        if net is not None:
            meta['fcn_net'] = net
        inp = preprocessor_input(model)
        if inp is not None:
            meta['input'] = inp

    def __repr__(self) -> str:
        return f'{type(self).__name__}(check_input={self.check_input})'

