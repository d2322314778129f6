"""A converter's output write that fails leaves nothing behind."""
import errno

import pytest
import torch

from fcn_plugin.converters import WeightFileError
from fcn_plugin.converters.checkpoint_io import save_checkpoint


@pytest.mark.parametrize('failure', ['enospc', 'zip_writer'])
def test_failed_write_names_the_file_and_leaves_it(tmp_path, monkeypatch,
                                                   failure):
    dst = tmp_path / 'out' / 'vgg16.pth'
    dst.parent.mkdir()
    dst.write_bytes(b'old')
    src = tmp_path / 'src.pth'
    src.write_bytes(b'source')

    def full_disk(obj, path):
        with open(path, 'wb') as f:
            f.write(b'partial')
        if failure == 'enospc':
            raise OSError(errno.ENOSPC, 'No space left on device')
        raise RuntimeError('[enforce fail at inline_container.cc:603] . '
                           'PytorchStreamWriter failed writing file '
                           'data/0: file write failed')

    monkeypatch.setattr(torch, 'save', full_disk)
    with pytest.raises(WeightFileError) as err:
        save_checkpoint({'w': torch.zeros(2)}, {}, str(dst), str(src))
    msg = str(err.value)
    assert str(dst) in msg and 'no partial file remains' in msg
    assert ('No space left' in msg) == (failure == 'enospc')
    assert dst.read_bytes() == b'old'
    assert sorted(p.name for p in dst.parent.iterdir()) == ['vgg16.pth']
