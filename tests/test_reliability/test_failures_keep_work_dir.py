"""A run that fails on a wrong --resume file or a bad load_from leaves
everything already in the work dir (checkpoints, logs, last_checkpoint)
as it was."""
import os
import shutil

import pytest
import torch

from .conftest import CONFIG, load, train


def snapshot(folder) -> dict:
    """``{relative path: bytes}`` of every file under ``folder``."""
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


@pytest.fixture
def work(reference, tmp_path):
    """A copy of the reference run: iter_2/4/6, logs, last_checkpoint."""
    work = tmp_path / 'work'
    shutil.copytree(reference, work)
    (work / 'last_checkpoint').write_text(str(work / 'iter_6.pth'))
    return work


def other_classes(reference, tmp_path):
    """The reference iter_4.pth with 5 classes instead of 21."""
    ckpt = load(reference / 'iter_4.pth')
    state = ckpt['state_dict']
    for key in ('decode_head.score_fr.weight', 'decode_head.score_fr.bias'):
        state[key] = state[key][:5].clone()
    path = tmp_path / 'five_classes.pth'
    torch.save(ckpt, str(path))
    return path


def system_call(tmp_path):
    """A checkpoint whose unpickling would run ``touch marker``."""

    class SystemCall:

        def __reduce__(self):
            return (os.system, (f'touch {tmp_path / "marker"}', ))

    path = tmp_path / 'system_call.pth'
    torch.save({'meta': SystemCall()}, str(path))
    return path


@pytest.mark.parametrize('case', ['resume_classes', 'resume_unsafe',
                                  'load_from_classes', 'load_from_unsafe'])
def test_failed_start_keeps_work_dir(reference, voc, work, tmp_path, case):
    bad = (other_classes(reference, tmp_path) if case.endswith('classes')
           else system_call(tmp_path))
    before = snapshot(work)
    if case.startswith('resume'):
        proc = train(work, voc, resume=str(bad), check=False)
    else:
        proc = train(work, voc, f'load_from={bad}', check=False)
    assert proc.returncode == 1
    (line, ) = [ln for ln in proc.stderr.splitlines() if 'error:' in ln]
    assert str(bad) in line
    assert ('posix.system' in line if case.endswith('unsafe') else
            'the file has 5 classes' in proc.stderr)
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'marker').exists()
    after = snapshot(work)
    # MMEngine dumps the config of the latest start to WORK_DIR/CONFIG.py
    # when the Runner is built; every earlier run keeps its own copy in
    # its timestamped folder (vis_data/config.py).
    del before[CONFIG.name]
    for name, data in before.items():
        assert after.get(name) == data, name
    assert not [n for n in after if n.endswith('.pth') and n not in before]
