"""Train a segmentor with MMEngine's Runner (MMSeg's ``tools/train.py``).

``fcn_plugin`` is imported first, so every MMSeg-style config works, with
or without ``custom_imports``, and checkpoints resume with safe loading.

Examples:
    python tools/train.py configs/fcn32s_vgg16_voc.py
    python tools/train.py CONFIG --work-dir work_dirs/run1 --resume
    python tools/train.py CONFIG --resume work_dirs/run1/iter_4000.pth
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=8000
    tools/dist_train.sh CONFIG 4   # torchrun; gloo on machines without CUDA

A checkpoint that cannot be resumed from (truncated by a killed save),
a bad weight file, or a loss that turns NaN (``FCNNanGuardHook``) stops
the run with one message saying what to do (docs/troubleshooting.md).
"""
import argparse
import logging
import os.path as osp

from mmengine.config import Config
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.logging import print_log

import fcn_plugin  # noqa: F401  (registers the plugin, safe loading)
from fcn_tools.dist_env import cpu_dist
from fcn_tools.errors import run_tool
from fcn_tools.resume_check import check_resume_file, latest_checkpoint
from fcn_tools.runner import (add_runner_args, build_runner, load_tool_config,
                              parse_runner_args)


def parse_args() -> argparse.Namespace:
    """Parse MMSeg's training arguments."""
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the latest checkpoint in the work_dir, or from '
        'the given checkpoint file')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (needs a GPU)')
    add_runner_args(parser)
    args = parse_runner_args(parser)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist: '
                                'give the path of a config file')
    if args.resume not in (None, 'auto') and not osp.isfile(args.resume):
        raise FileNotFoundError(
            f'--resume: checkpoint file {args.resume} does not exist: give '
            'a checkpoint of this run, or --resume alone for the newest')
    if args.amp and not (is_cuda_available() or is_npu_available()
                         or is_mlu_available() or is_musa_available()):
        raise RuntimeError(
            '--amp needs a CUDA (or NPU/MLU/MUSA) device: MMEngine\'s '
            'AmpOptimWrapper scales fp16 losses with torch.cuda.amp and '
            'refuses to run on the CPU. Drop --amp to train in fp32.')
    return args


def enable_amp(cfg: Config) -> None:
    """Switch the config's ``OptimWrapper`` to ``AmpOptimWrapper``."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        print_log(
            'AMP training is already enabled in your config.',
            logger='current',
            level=logging.WARNING)
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError(
            '--amp works only with optim_wrapper.type="OptimWrapper", but '
            f'the config sets optim_wrapper.type="{optim_wrapper}"')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def main() -> None:
    """Build the Runner from the config and train."""
    train(parse_args())


def train(args: argparse.Namespace) -> None:
    """Train as ``args`` say."""
    cfg = load_tool_config(args.config, args.cfg_options, args.work_dir,
                           args.launcher)

    if args.amp:
        enable_amp(cfg)

    if args.resume == 'auto':
        cfg.resume = True
        if latest_checkpoint(cfg.work_dir) is None:
            print_log(
                f'--resume: no checkpoint in {cfg.work_dir}; training '
                'starts from the beginning',
                logger='current',
                level=logging.WARNING)
    elif args.resume is not None:
        check_resume_file(args.resume)
        cfg.resume = True
        cfg.load_from = args.resume
    else:
        cfg.resume = False

    with cpu_dist(args.launcher, cfg):
        build_runner(cfg).train()


if __name__ == '__main__':
    run_tool(main)
