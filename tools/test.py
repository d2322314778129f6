"""Test (and evaluate) a segmentor with MMEngine's Runner.

MMSeg's ``tools/test.py`` with the same arguments. ``fcn_plugin`` is
imported first, so every MMSeg-style config works. ``--show-dir`` paints
every test image (the visualization hook runs with ``interval=1``) into
``DIR/vis_data/vis_image``; a config without a visualization hook or
visualizer gets MMSeg's ``SegVisualizationHook`` / ``SegLocalVisualizer``.

Examples:
    python tools/test.py CONFIG work_dirs/run1/iter_100000.pth
    python tools/test.py CONFIG CKPT --show-dir work_dirs/run1/show
    python tools/test.py CONFIG CKPT --out work_dirs/run1/pred_png
"""
import argparse
import logging
import os.path as osp

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

import fcn_plugin  # noqa: F401  (registers the plugin, safe loading)
from fcn_plugin.errors import WeightFileError
from fcn_plugin.models.segmentors import PRECISIONS, set_precision
from fcn_tools.dist_env import cpu_dist
from fcn_tools.errors import run_tool
from fcn_tools.resume_check import checkpoint_problem
from fcn_tools.runner import (add_runner_args, build_runner, load_tool_config,
                              parse_runner_args)


def parse_args() -> argparse.Namespace:
    """Parse MMSeg's test arguments."""
    parser = argparse.ArgumentParser(
        description='MMSeg test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='The directory to save output prediction for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved '
        '(in DIR/vis_data/vis_image, one per test image)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    add_runner_args(parser)
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='fp32',
        help='bf16: trunk weights cast to bfloat16 once, fp32 logits '
        '(PrecisionEncoderDecoder; CPU inference, docs/deployment.md)')
    args = parse_runner_args(parser)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist: '
                                'give the path of a config file')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint file {args.checkpoint} does not exist: give a '
            'checkpoint written by tools/train.py or a converter')
    problem = checkpoint_problem(args.checkpoint)
    if problem is not None:
        raise WeightFileError(
            f'checkpoint {args.checkpoint} is unreadable: {problem}; use '
            'another checkpoint (an earlier iter_N.pth of the run)')
    return args


def trigger_visualization_hook(cfg: Config,
                               args: argparse.Namespace) -> Config:
    """Make the visualization hook draw every test image."""
    if cfg.get('default_hooks', None) is None:
        cfg.default_hooks = ConfigDict()
    default_hooks = cfg.default_hooks
    if default_hooks.get('visualization', None) is None:
        print_log(
            'default_hooks has no visualization hook; adding MMSeg\'s '
            'SegVisualizationHook',
            logger='current',
            level=logging.WARNING)
        default_hooks['visualization'] = ConfigDict(
            type='SegVisualizationHook')
    hook = default_hooks['visualization']
    hook['draw'] = True
    hook['interval'] = 1
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if cfg.get('visualizer', None) is None:
        cfg.visualizer = ConfigDict(
            type='SegLocalVisualizer',
            vis_backends=[dict(type='LocalVisBackend')],
            name='visualizer')
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def enable_tta(cfg: Config) -> Config:
    """Swap in the config's ``tta_pipeline`` and ``tta_model``."""
    if cfg.get('tta_pipeline', None) is None:
        raise ValueError(f'--tta: the config {cfg.filename} defines no '
                         '`tta_pipeline`')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    tta_model = cfg.get('tta_model', None) or ConfigDict(type='SegTTAModel')
    tta_model.module = cfg.model
    cfg.model = tta_model
    return cfg


def set_output_dir(cfg: Config, out: str) -> Config:
    """Make every IoU-style test evaluator write its predictions."""
    evaluators = cfg.test_evaluator
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    for evaluator in evaluators:
        evaluator['output_dir'] = out
        evaluator['keep_results'] = True
    return cfg


def main() -> None:
    """Build the Runner from the config and test the checkpoint."""
    run_test(parse_args())


def run_test(args: argparse.Namespace) -> None:
    """Test as ``args`` say."""
    cfg = load_tool_config(args.config, args.cfg_options, args.work_dir,
                           args.launcher)

    cfg.load_from = args.checkpoint
    cfg.resume = False
    set_precision(cfg.model, args.precision)

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg = enable_tta(cfg)
    if args.out is not None:
        cfg = set_output_dir(cfg, args.out)

    with cpu_dist(args.launcher, cfg):
        build_runner(cfg).test()


if __name__ == '__main__':
    run_tool(main)
