"""Fixtures of the data tests: synthetic VOC trees, and what the tests of
the preparation tools (``test_prepare_*.py``) share: a local HTTP server
for ``--download``, archives of a miniature release, the command line."""
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from fcn_tools.prepare_common import DataError
from fcn_tools.synthetic import make_synthetic_voc

ROOT = Path(__file__).resolve().parents[2]
DATASET_CFGS = sorted((ROOT / 'configs/_base_/datasets').glob('*.py'))
#: Caffe VGG16 BGR mean of the model configs.
CAFFE_MEAN = (104.00699, 116.66877, 122.67892)
#: What a server sends for a file that has moved: a web page.
MOVED_PAGE = b'<html>moved</html>\n'


@pytest.fixture(scope='module')
def synthetic_voc(tmp_path_factory) -> Path:
    """A small synthetic VOC2012 folder at odd image sizes (read-only)."""
    out = tmp_path_factory.mktemp('synthetic')
    return make_synthetic_voc(out, 12, size=(37, 53), seed=3)


# ------------------------------------------------- the preparation tools


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` with ``Range`` support; a file listed in
    ``server.drop_after`` is cut off after that many bytes, once."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append((self.path, self.headers.get('Range')))
        data = server.files.get(self.path)
        if data is None:
            self.send_error(404, 'Not Found')
            return
        start = 0
        ranged = self.headers.get('Range')
        if ranged:
            start = int(re.fullmatch(r'bytes=(\d+)-', ranged).group(1))
            if start >= len(data):
                self.send_error(416, 'Range Not Satisfiable')
                return
            self.send_response(206)
            self.send_header('Content-Range',
                             f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        cut = server.drop_after.pop(self.path, None)
        self.wfile.write(data[start:cut])
        if cut is not None:
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A local HTTP server (:class:`RangeHandler`) on 127.0.0.1 at
    ``server.url``: put ``path: bytes`` into ``server.files``; the
    requests it got are in ``server.requests``."""
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), RangeHandler)
    httpd.files, httpd.drop_after, httpd.requests = {}, {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f'http://127.0.0.1:{httpd.server_address[1]}'
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def serve_moved(server, archives, path):
    """Let ``server`` serve ``archives``, but :data:`MOVED_PAGE` at
    ``path``."""
    server.files.update(archives)
    server.files[path] = MOVED_PAGE


def tar_bytes(folder, arcname, mode):
    """``folder`` packed as a tar archive (``mode``, e.g. ``w:gz``) under
    the name ``arcname``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        tar.add(str(folder), arcname=arcname)
    return buffer.getvalue()


def leftovers(root):
    """The partial downloads and extractions in ``root``."""
    return sorted(p.name for p in root.iterdir()
                  if p.name.endswith(('.part', '.extracting')))


def run_cli(script, argv, **kwargs):
    """Run the tool ``script`` with ``argv`` (as a user would, without
    ``FCN_DEBUG``); ``kwargs`` go to :func:`subprocess.run`."""
    env = {k: v for k, v in os.environ.items() if k != 'FCN_DEBUG'}
    return subprocess.run([sys.executable, str(script), *argv],
                          capture_output=True,
                          text=True,
                          env=env,
                          **kwargs)


def assert_one_error_line(proc, *needles):
    """``proc`` failed with one ``error:`` line (no traceback) that
    matches each of the regular expressions ``needles``."""
    assert proc.returncode == 1, proc.stderr
    assert 'Traceback' not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error: '), proc.stderr
    for needle in needles:
        assert re.search(needle, last), (needle, last)


def check_cli_refused(script, argv, out, *needles):
    """Running the tool ``script`` with ``argv`` fails with one error line
    that matches each of ``needles`` (see :func:`assert_one_error_line`),
    before it creates ``out``."""
    assert_one_error_line(run_cli(script, argv), *needles)
    assert not out.exists()


def broken_copy(sources, tmp_path, **inputs):
    """A private copy of the ``sources`` fixture's tree (``root``) to
    damage: ``sources`` with ``root`` and each of ``inputs`` (key ->
    path in the tree) pointing into the copy."""
    root = tmp_path / 'src'
    shutil.copytree(sources['root'], root)
    return dict(
        sources, root=root, **{k: root / v
                               for k, v in inputs.items()})


def input_argv(src, out, inputs, *extra):
    """A tool's command line: ``--<option> src[key]`` for each ``option:
    key`` of ``inputs``, ``--out out``, then ``extra``."""
    argv = []
    for option, key in inputs.items():
        argv += [f'--{option}', str(src[key])]
    return [*argv, '--out', str(out), *extra]


def download_argv(server, paths, root, out):
    """A tool's command line for ``--download root --out out`` with each
    source's ``--<name>-url`` at ``paths[name]`` of ``server``."""
    argv = ['--download', str(root), '--out', str(out)]
    for name, path in paths.items():
        argv += [f'--{name}-url', server.url + path]
    return argv


def check_rerun(main, argv, out, lost):
    """Run ``main(argv)`` (with hardlinks), then again: the rerun must
    leave every file in ``out`` as it is. Then delete the output file
    ``lost``, leave a temporary file beside it (an interrupted run) and
    run once more: no temporary file may remain. What the rerun and the
    last run wrote."""
    main([*argv, '--link', 'hardlink'])
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob('*') if p.is_file()}
    again = main(argv)
    for path, stamp in stamps.items():
        assert path.stat().st_mtime_ns == stamp, path
    lost.unlink()
    (lost.parent / f'.{lost.name}.1a2b.tmp').write_bytes(b'\x89PNG')
    resumed = main(argv)
    assert list(out.rglob('.*')) == []
    return again, resumed


def check_refused(main, argv, out, match):
    """``main(argv)`` refuses its input with a :class:`DataError` that
    matches ``match``, before it creates ``out``."""
    with pytest.raises(DataError, match=match):
        main(argv)
    assert not out.exists()


def check_kept(main, argv, out, match):
    """``main(argv)`` fails with a :class:`DataError` that matches
    ``match`` and leaves every file in ``out`` as it was."""
    before = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
    with pytest.raises(DataError, match=match):
        main(argv)
    after = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
    assert after == before


def check_usage_errors(main, capsys, cases):
    """``main(argv)`` ends with a usage error that says ``needle``, for
    each ``(argv, needle)`` of ``cases``."""
    for argv, needle in cases:
        with pytest.raises(SystemExit):
            main(argv)
        assert needle in capsys.readouterr().err
