"""What ``tools/train.py`` and ``tools/test.py`` share: config and Runner."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import RUNNERS


def load_tool_config(config: str,
                     cfg_options: Optional[dict] = None,
                     work_dir: Optional[str] = None,
                     launcher: str = 'none') -> Config:
    """Load a config as MMSeg's tools do.

    Args:
        config (str): Config file path.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; else the config's
            ``work_dir``; else ``./work_dirs/<config name>``.
        launcher (str): ``--launcher``. Defaults to 'none'.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """``Runner.from_cfg``, or the config's ``runner_type``."""
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
