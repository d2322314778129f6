"""``import fcn_plugin`` pulls in the plugin only, not the tools' needs."""
import json
import subprocess
import sys

#: Modules of the tools (plots, progress bars, Caffe files, trimaps,
#: benchmark) that registering the plugin must not import.
TOOL_ONLY = ('matplotlib', 'tqdm', 'scipy', 'google.protobuf', 'fcn_tools')
#: What the plugin registers into. It imports some of the modules above by
#: itself (torch.hub imports tqdm; mmseg.models and mmseg.datasets import
#: scipy), so only what ``import fcn_plugin`` adds to it is checked.
STACK = ('torch', 'mmengine.runner', 'mmseg.registry', 'mmseg.models',
         'mmseg.datasets', 'mmseg.evaluation')
CODE = f'''
import importlib, json, sys
for name in {STACK!r}:
    importlib.import_module(name)
before = set(sys.modules)
import fcn_plugin
from mmseg.registry import MODELS
print(json.dumps(dict(
    added=sorted(set(sys.modules) - before), all=sorted(sys.modules),
    head=MODELS.get('FCN8sHead') is not None)))
'''


def _is_tool_module(name: str) -> bool:
    return 'benchmark' in name or any(
        name == prefix or name.startswith(prefix + '.')
        for prefix in TOOL_ONLY)


def test_import_adds_no_tool_modules(tmp_path):
    proc = subprocess.run([sys.executable, '-c', CODE],
                          cwd=tmp_path,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['head'], 'importing fcn_plugin registers the heads'
    assert any(name.startswith('fcn_plugin.') for name in out['added'])
    assert [name for name in out['added'] if _is_tool_module(name)] == []
    # Nothing in the stack reads protobuf or plots: absent altogether.
    assert not [
        name for name in out['all']
        if name.split('.')[0] == 'matplotlib' or name == 'google.protobuf'
        or name.startswith('google.protobuf.')
    ]
