"""A non-editable install of fcn_plugin works away from the source tree.

The package is built from a copy of its sources and installed with
``pip install --no-deps --target``; subprocesses started outside the
repository, with that install first on ``PYTHONPATH``, must import it (not
the editable checkout) and build and train the repo's configs with it.
"""
import ast
import os
import re
import shutil
import subprocess
import sys
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from fcn_tools.synthetic import make_synthetic_voc
from .conftest import CONFIGS, ROOT

#: Files a build of the package reads (setup.cfg: README is the long
#: description, the version comes from fcn_plugin/version.py).
BUILD_FILES = ('pyproject.toml', 'setup.cfg', 'README.md')
#: Imported modules that come with a required distribution rather than
#: their own: OpenCV is installed by mmengine (opencv-python or the
#: headless build).
INDIRECT = {'cv2': 'mmengine'}
#: Requirements fcn_plugin does not import itself: mmseg.models imports
#: them but mmsegmentation 1.2.2 does not declare them.
UNDECLARED_BY_MMSEG = {'ftfy', 'regex'}


def normalize(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(site dir, installed METADATA) of a non-editable install."""
    src = tmp_path_factory.mktemp('src')
    for name in BUILD_FILES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / 'fcn_plugin', src / 'fcn_plugin',
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    site = tmp_path_factory.mktemp('site')
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '--no-build-isolation', '--disable-pip-version-check', '-q',
         '--target', str(site), str(src)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    dist_info = list(site.glob('fcn_plugin-*.dist-info'))
    assert len(dist_info) == 1, sorted(os.listdir(site))
    metadata = Parser().parsestr((dist_info[0] / 'METADATA').read_text())
    return site, metadata


def run_outside(code, site, cwd, *args, env=None, timeout=120):
    """Run ``python -c code`` from ``cwd`` with ``site`` first on the path."""
    env = dict(os.environ, **(env or {}), PYTHONPATH=str(site),
               FCN_DEBUG='1')
    return subprocess.run([sys.executable, '-c', code, *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


#: Run a repo tool as ``python TOOL ARGS`` would (its folder first on the
#: path), after saying which fcn_plugin is imported.
RUN_TOOL = r'''
import runpy
import sys
from pathlib import Path

tool = sys.argv[1]
sys.path.insert(0, str(Path(tool).parent))
import fcn_plugin
print('fcn_plugin from', fcn_plugin.__file__, flush=True)
sys.argv = sys.argv[1:]
runpy.run_path(tool, run_name='__main__')
'''


BUILD_CONFIG = r'''
import sys
from pathlib import Path

sys.modules['google.protobuf'] = None  # the [caffe] extra is not needed
import fcn_plugin
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

site, root, config = map(Path, sys.argv[1:4])
where = Path(fcn_plugin.__file__).resolve()
assert site.resolve() in where.parents, where
assert root.resolve() not in where.parents, where
cfg = Config.fromfile(str(config))
init_default_scope('mmseg')
model = MODELS.build(cfg.model)
backbone = sys.modules[type(model.backbone).__module__].__file__
assert site.resolve() in Path(backbone).resolve().parents, backbone
print(type(model.backbone).__name__, type(model.decode_head).__name__)
'''


def test_installed_package_builds_repo_config(installed, tmp_path):
    site, _ = installed
    config = CONFIGS / 'fcn8s_vgg16_voc.py'
    proc = run_outside(BUILD_CONFIG, site, tmp_path, site, ROOT, config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['VGG16Caffe', 'FCN8sHead']


def test_installed_package_trains_from_outside(installed, tmp_path):
    """tools/train.py trains a demo config 2 iterations with the install."""
    site, _ = installed
    voc = make_synthetic_voc(tmp_path / 'voc', 4)
    config = min((CONFIGS / 'demo').glob('fcn32s_vgg16-tiny*.py'))
    proc = run_outside(
        RUN_TOOL, site, tmp_path, ROOT / 'tools' / 'train.py', config,
        '--work-dir', tmp_path / 'work', '--cfg-options',
        'train_cfg.max_iters=2', 'val_dataloader=None', 'val_cfg=None',
        'val_evaluator=None', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=2',
        env=dict(FCN_SYNTHETIC_VOC=str(voc)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    where = Path(proc.stdout.split('fcn_plugin from ', 1)[1].split()[0])
    assert site.resolve() in where.resolve().parents, where
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    assert 'Iter(train) [2/2]' in proc.stdout + proc.stderr


def _imports(node, found, lazy=False):
    """Collect (top-level module, imported lazily) under an AST node."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import):
            found.update((a.name.split('.')[0], lazy) for a in child.names)
        elif isinstance(child, ast.ImportFrom) and not child.level:
            found.add((child.module.split('.')[0], lazy))
        _imports(child, found, lazy or isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef)))


def imported_modules(package: Path):
    """Top-level third-party modules the package imports: eager, lazy.

    Eager imports run with ``import fcn_plugin``; lazy ones inside a
    function, when that feature is used.
    """
    found = set()
    for path in package.rglob('*.py'):
        _imports(ast.parse(path.read_text(), str(path)), found)
    ignore = set(sys.stdlib_module_names) | {'fcn_plugin'}
    eager = {m for m, lazy in found if not lazy} - ignore
    lazy = {m for m, lazy in found if lazy} - ignore - eager
    return eager, lazy


def requirements(metadata):
    """Requires-Dist names: {name: extra or None}."""
    out = {}
    for req in metadata.get_all('Requires-Dist') or []:
        name = normalize(re.match(r'[A-Za-z0-9_.-]+', req).group(0))
        extra = re.search(r'extra\s*==\s*[\'"]([^\'"]+)', req)
        out[name] = extra.group(1) if extra else None
    return out


def test_requirements_are_what_the_package_imports(installed):
    """install_requires covers every eager import, extras the lazy ones."""
    site, metadata = installed
    reqs = requirements(metadata)
    core = {name for name, extra in reqs.items() if extra is None}
    eager, lazy = imported_modules(site / 'fcn_plugin')
    assert {'torch', 'mmseg', 'mmengine', 'mmcv'} <= eager
    dists = packages_distributions()
    used = set()
    for module in sorted(eager | lazy):
        if module in INDIRECT:
            assert INDIRECT[module] in core, module
            continue
        owners = {normalize(d) for d in dists.get(module, ())}
        how = 'eagerly' if module in eager else 'lazily'
        allowed = core if module in eager else set(reqs)
        assert owners & allowed, (
            f'fcn_plugin imports {module} {how} (from {sorted(owners)}), '
            'which setup.cfg does not require' +
            ('' if module in lazy else ' outside an extra'))
        used |= owners & set(reqs)
    unused = core - used - UNDECLARED_BY_MMSEG
    assert not unused, f'required but never imported: {sorted(unused)}'
    assert reqs.get('protobuf') == 'caffe'
    assert {'onnx', 'onnxruntime', 'onnxscript'} <= {
        name for name, extra in reqs.items() if extra == 'deploy'}
