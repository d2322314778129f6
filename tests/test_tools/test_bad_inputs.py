"""Every user mistake ends in one ``error:`` line, through the real tools.

Each row of :data:`CASES` damages a copy of a small synthetic VOC set, a
checkpoint, a config or an argument, runs one tool in a subprocess (the
paper config ``configs/fcn32s_vgg16_voc.py`` at tiny widths) and checks: a
non-zero exit, stderr's last non-empty line starts with ``error: `` and
names the culprit file or setting (exactly one ``error:`` line; one per
rank under torchrun), no ``Traceback`` anywhere in the output, every file
already in the work dir (checkpoints, ``last_checkpoint``, logs)
byte-identical afterwards, and the pickled payload of the unsafe checkpoint
never run. The setup (data, a 2-iteration run) is shared by all cases.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_tools.synthetic import make_synthetic_voc
from .conftest import ROOT

PAPER_32S = ROOT / 'configs' / 'fcn32s_vgg16_voc.py'
PAPER_8S = ROOT / 'configs' / 'fcn8s_vgg16_voc.py'
#: Tiny widths (exact VGG16 geometry), no pretrained trunk, 2 iterations.
TINY = [
    'model.backbone.stage_channels=(4,5,6,7,8)',
    'model.backbone.fc_channels=9',
    'model.backbone.init_cfg=None',
    'train_cfg.max_iters=2',
    'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1',
]
TINY_32S = TINY + ['model.decode_head.in_channels=9']
TINY_8S = TINY + ['model.decode_head.in_channels=(6,7,9)', 'load_from=None']
#: The ids make_synthetic_voc writes: 3 train, 1 val.
TRAIN_ID, VAL_ID = '2008_000000', '2008_000003'


def roots(voc: Path, workers: int = 0) -> List[str]:
    """Options pointing every dataloader at ``voc`` with ``workers``."""
    opts = []
    for split in ('train', 'val', 'test'):
        opts += [
            f'{split}_dataloader.dataset.data_root={voc}',
            f'{split}_dataloader.num_workers={workers}',
            f'{split}_dataloader.persistent_workers={workers > 0}',
        ]
    return opts


class SystemCall:
    """Unpickles as ``os.system(command)`` (pickled as ``posix.system``)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


@dataclass
class Env:
    """What one case may use: private folders and the shared run."""
    tmp: Path  # private folder of the case
    voc: Path  # private copy of the synthetic VOC2012 folder
    trained: Path  # shared work dir of a 2-iteration fcn32s run (read only)
    work: Path  # private copy of ``trained`` (checked unchanged)

    @property
    def ckpt(self) -> Path:
        return self.trained / 'iter_2.pth'


def tool_test_cmd(env: Env, *extra, config=PAPER_32S, ckpt=None, workers=0):
    return [
        'tools/test.py', config, ckpt or env.ckpt, '--work-dir',
        env.tmp / 'test_work', '--cfg-options', *TINY_32S,
        *roots(env.voc, workers), *extra
    ]


def train_cmd(env: Env, *extra, workers=0):
    return [
        'tools/train.py', PAPER_32S, '--work-dir', env.work, '--cfg-options',
        *TINY_32S, *roots(env.voc, workers), *extra
    ]


def image(env: Env, name=VAL_ID) -> Path:
    return env.voc / 'JPEGImages' / f'{name}.jpg'


def label(env: Env, name=VAL_ID) -> Path:
    return env.voc / 'SegmentationClass' / f'{name}.png'


def split(env: Env, name='seg11valid') -> Path:
    return env.voc / 'ImageSets' / 'Segmentation' / f'{name}.txt'


def bad_train_label(env: Env, value: int = 50) -> Path:
    """Paint ``value`` into the one training label (SBD-style, gray)."""
    split(env, 'sbd_train').write_text(f'{TRAIN_ID}\n')
    return paint_label(env.voc / 'SegmentationClassAug' / f'{TRAIN_ID}.png',
                       value)


def remove(path: Path) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def truncate(path: Path, keep: float = 0.6) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


def paint_label(path: Path, value: int) -> Path:
    """Write ``value`` into a block of the label PNG ``path``."""
    img = Image.open(path)
    arr = np.array(img)
    arr[2:6, 3:9] = value
    out = Image.fromarray(arr, mode=img.mode)
    if img.mode == 'P':
        out.putpalette(img.getpalette())
    out.save(path)
    return path


def resize_label(path: Path) -> Path:
    img = Image.open(path)
    img.resize((img.width + 4, img.height - 3), Image.NEAREST).save(path)
    return path


def rgb_label(path: Path) -> Path:
    Image.open(path).convert('RGB').save(path)
    return path


def write_config(env: Env, name: str, text: str) -> Path:
    path = env.tmp / name
    path.write_text(f'_base_ = [{str(PAPER_32S)!r}]\n{text}')
    return path


def unsafe_checkpoint(env: Env) -> Path:
    path = env.tmp / 'evil.pth'
    torch.save(
        {
            'state_dict': torch.load(str(env.ckpt),
                                     weights_only=False)['state_dict'],
            'meta': SystemCall(f'touch {env.tmp / "marker"}')
        }, str(path))
    return path


def copy_ckpt(env: Env, name: str, damage=None) -> Path:
    path = env.tmp / name
    shutil.copyfile(env.ckpt, path)
    return damage(path) if damage else path


def infer_cmd(env: Env, src) -> list:
    return [
        'tools/infer.py', PAPER_32S, env.ckpt, src, '--out-dir',
        env.tmp / 'infer', '--cfg-options', *TINY_32S
    ]


def empty_dir(env: Env, name: str) -> Path:
    path = env.tmp / name
    path.mkdir()
    return path


def dist_train(env: Env) -> tuple:
    culprit = bad_train_label(env)
    argv = [
        'bash', 'tools/dist_train.sh', PAPER_32S, '2', '--work-dir',
        env.tmp / 'dist_work', '--cfg-options', *TINY_32S,
        *roots(env.voc, 2), 'train_dataloader.batch_size=1',
        'train_cfg.max_iters=4'
    ]
    return argv, culprit


#: id -> ``make(env)``: damages what the case needs and returns (argv of
#: the tool, the culprit: a path or a setting the error line must name).
CASES: Dict[str, Callable[[Env], tuple]] = {
    # data, through tools/test.py (workers 0 unless said) and train.py
    'truncated_jpeg': (lambda e: (
        tool_test_cmd(e), truncate(image(e)))),
    'undecodable_image': (lambda e: (
        tool_test_cmd(e), write(image(e), b'\xff\xd8' + b'\x13' * 300 +
                                b'\xff\xd9'))),
    'label_value_50': (lambda e: (
        tool_test_cmd(e), paint_label(label(e), 50))),
    'label_value_50_two_workers': (lambda e: (
        train_cmd(e, workers=2), bad_train_label(e))),
    'label_other_size': (lambda e: (
        tool_test_cmd(e), resize_label(label(e)))),
    'label_rgb_painted': (lambda e: (
        tool_test_cmd(e), rgb_label(label(e)))),
    'missing_label_png': (lambda e: (
        tool_test_cmd(e), remove(label(e)))),
    'empty_split_file': (lambda e: (
        tool_test_cmd(e), write(split(e), b'\n'))),
    'missing_split_file': (lambda e: (
        tool_test_cmd(e), remove(split(e)))),
    'missing_data_root': (lambda e: (
        train_cmd(e), remove(e.voc))),
    # configs
    'missing_config': (lambda e: (
        ['tools/train.py', e.tmp / 'nope.py'], e.tmp / 'nope.py')),
    'config_syntax_error': (lambda e: (
        ['tools/test.py', write_config(e, 'syntax.py', 'model = dict(\n'),
         e.ckpt], e.tmp / 'syntax.py')),
    'unknown_model_type': (lambda e: (
        tool_test_cmd(e, config=write_config(
            e, 'model.py', "model = dict(type='FCNNet')\n")), 'FCNNet')),
    'cfg_options_key_typo': (lambda e: (
        tool_test_cmd(e, 'model.backbone.stage_chanels=(4,5,6,7,8)'),
        'stage_chanels')),
    # weights and checkpoints
    'missing_checkpoint': (lambda e: (
        tool_test_cmd(e, ckpt=e.tmp / 'none.pth'), e.tmp / 'none.pth')),
    'truncated_checkpoint': (lambda e: (
        tool_test_cmd(e, ckpt=copy_ckpt(e, 'cut.pth', truncate)),
        e.tmp / 'cut.pth')),
    'checkpoint_of_another_net': (lambda e: (
        ['tools/test.py', PAPER_8S, e.ckpt, '--work-dir', e.tmp / 'w8',
         '--cfg-options', *TINY_8S, *roots(e.voc)], e.ckpt)),
    'unsafe_pickled_checkpoint': (lambda e: (
        tool_test_cmd(e, ckpt=unsafe_checkpoint(e)), e.tmp / 'evil.pth')),
    'bad_resume_file': (lambda e: (
        train_cmd(e) + ['--resume', copy_ckpt(
            e, 'iter_4.pth', lambda p: truncate(p, 0.5))],
        e.tmp / 'iter_4.pth')),
    'load_from_missing': (lambda e: (
        train_cmd(e, f'load_from={e.tmp / "gone.pth"}'), e.tmp / 'gone.pth')),
    'nan_loss': (lambda e: (
        train_cmd(e, 'optim_wrapper.optimizer.lr=1e30'),
        'optim_wrapper.optimizer.lr')),
    # the other tools
    'converter_input_of_wrong_kind': (lambda e: (
        ['tools/model_converters/vgg2mmseg.py', e.ckpt, e.tmp / 'out.pth'],
        e.ckpt)),
    'prepare_voc_on_wrong_folder': (lambda e: (
        ['tools/prepare_voc.py', '--voc', empty_dir(e, 'notvoc'), '--sbd',
         empty_dir(e, 'notsbd'), '--out', e.tmp / 'out'], e.tmp / 'notvoc')),
    'infer_missing_image': (lambda e: (
        infer_cmd(e, e.tmp / 'none.jpg'), e.tmp / 'none.jpg')),
    'infer_empty_folder': (lambda e: (
        infer_cmd(e, empty_dir(e, 'pics')), e.tmp / 'pics')),
    # torchrun with 2 processes (gloo): each rank prints the one line;
    # dist_test.sh shares the filter (tools/torchrun_filter.awk)
    'dist_train_label_value_50': dist_train,
}


@pytest.fixture(scope='session')
def pristine_voc(tmp_path_factory) -> Path:
    return make_synthetic_voc(
        tmp_path_factory.mktemp('bad_inputs_data'), 4, size=(23, 31))


@pytest.fixture(scope='session')
def trained(tmp_path_factory, pristine_voc) -> Path:
    """Work dir of a 2-iteration tiny fcn32s run of the paper config."""
    work = tmp_path_factory.mktemp('bad_inputs_work')
    run([
        'tools/train.py', PAPER_32S, '--work-dir', work, '--cfg-options',
        *TINY_32S, *roots(pristine_voc)
    ], check=True)
    assert (work / 'iter_2.pth').is_file()
    return work


def run(argv: list, check: bool = False) -> subprocess.CompletedProcess:
    argv = [str(a) for a in argv]
    if argv[0] != 'bash':
        argv = [sys.executable] + argv
    with socket.socket() as sock:  # a free port for torchrun
        sock.bind(('127.0.0.1', 0))
        port = str(sock.getsockname()[1])
    # one thread per process: the same work for less CPU on shared cores
    env = dict(
        os.environ, PYTHON=sys.executable, PORT=port, OMP_NUM_THREADS='1')
    env.pop('FCN_DEBUG', None)
    proc = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    if check and proc.returncode:
        raise AssertionError(f'{argv} failed:\n{proc.stderr[-3000:]}')
    return proc


def snapshot(work: Path) -> Dict[str, str]:
    """Hash of every file in ``work``: checkpoints, last_checkpoint, the
    run folders' logs. Not the config MMEngine dumps to ``work/NAME.py`` at
    every start (each run folder keeps its own ``vis_data/config.py``)."""
    return {
        str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(work.rglob('*'))
        if p.is_file() and not (p.parent == work and p.suffix == '.py')
    }


def unchanged(work: Path, before: Dict[str, str]) -> bool:
    """Whether every file of ``before`` is still in ``work``, unchanged
    (new files, e.g. the failed run's own log folder, may appear)."""
    after = snapshot(work)
    return all(after.get(name) == digest for name, digest in before.items())


@pytest.mark.parametrize('name', list(CASES))
def test_bad_input_ends_in_one_error_line(name, tmp_path, pristine_voc,
                                          trained):
    voc = tmp_path / 'VOC2012'
    shutil.copytree(pristine_voc, voc)
    work = tmp_path / 'work'
    shutil.copytree(trained, work)
    env = Env(tmp=tmp_path, voc=voc, trained=trained, work=work)
    before = {work: snapshot(work), trained: snapshot(trained)}
    assert {'last_checkpoint', 'iter_2.pth'} <= set(before[work])
    assert any(name.endswith('.log') for name in before[work])
    argv, culprit = CASES[name](env)
    proc = run(argv)
    output = proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    last: Optional[str] = lines[-1] if lines else None
    report = f'{name}: exit {proc.returncode}\n{output[-4000:]}'
    assert proc.returncode != 0, report
    assert 'Traceback' not in output, report
    assert last is not None and last.startswith('error: '), report
    assert str(culprit) in last, report
    if name.startswith('dist_'):  # each rank says it once, torchrun is quiet
        errors = [ln for ln in lines if ln.startswith('error: ')]
        assert 1 <= len(errors) <= 2 and set(errors) == {last}, report
    else:
        assert [ln for ln in lines if 'error:' in ln] == [last], report
    assert all(unchanged(w, files) for w, files in before.items()), report
    assert not (tmp_path / 'marker').exists()
