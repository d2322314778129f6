#!/usr/bin/env bash
# One idempotent command that builds the supported environment in ./.venv:
#   torch + torchvision, mmcv 2.1.0 compiled with its ops, mmengine, mmsegmentation,
#   mmpretrain, their undeclared dependencies, the test tools, and fcn_plugin (editable).
# Versions come only from requirements/stack.txt.  The compiled mmcv wheel is cached in
# .cache/wheels/<torch version>-<python tag>/ so a second run reuses it, and a wheel built
# against another torch is never picked up.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PINS="requirements/stack.txt"
VENV="${FCN_VENV:-$ROOT/.venv}"
CACHE="${FCN_WHEEL_CACHE:-$ROOT/.cache/wheels}"
PY_BASE="${PYTHON:-python3}"
log() { printf '[setup] %s\n' "$*"; }

pin() {  # the requirement line for package $1 in $PINS
  local line
  line=$(grep -iE "^$1([=<>!~ ]|$)" "$PINS" | head -n1 || true)
  [ -n "$line" ] || { echo "[setup] $PINS has no pin for '$1'" >&2; exit 1; }
  printf '%s' "$line"
}

STAMP_FILE="$VENV/.fcn_setup_stamp"
STAMP=$(cat "$PINS" scripts/setup_env.sh pyproject.toml setup.cfg | sha256sum | cut -c1-16)

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv $VENV"
  "$PY_BASE" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

check_stack() {
  "$PY" - <<'PYEOF' 2>/dev/null
import mmcv, mmcv.ops, mmengine, mmseg, mmpretrain, torch, torchvision, cv2, fcn_plugin  # noqa
from mmengine.utils.dl_utils import mmcv_full_available
assert mmcv_full_available()
PYEOF
}

if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$STAMP" ] && check_stack; then
  log "environment up to date ($VENV); nothing to install"
  exit 0
fi

log "installing build tools and torch"
"${PIP[@]}" install -q "$(pin setuptools)" wheel
"${PIP[@]}" install -q "$(pin torch)" "$(pin torchvision)"

TORCH_VER=$("$PY" -c 'import torch; print(torch.__version__)')
PY_TAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
MMCV_PIN=$(pin mmcv)
MMCV_VER=${MMCV_PIN#*==}
WHEEL_DIR="$CACHE/torch-${TORCH_VER}-${PY_TAG}"
mkdir -p "$WHEEL_DIR"

have_ops() { "$PY" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "'"$MMCV_VER"'"' 2>/dev/null; }

if ! have_ops; then
  WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VER"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$WHEEL" ]; then
    log "building mmcv $MMCV_VER with ops against torch $TORCH_VER (takes ~8 min on 2 cores)"
    BUILD=$(mktemp -d)
    trap 'rm -rf "$BUILD"' EXIT
    "${PIP[@]}" download -q --no-deps --no-binary :all: "$MMCV_PIN" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VER".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VER"
    # torch >= 2.14 headers require C++20; mmcv 2.1.0 hard-codes C++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    # Build isolation would hide torch from setup.py and silently drop the ops.
    (cd "$SRC" && MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel -q --no-build-isolation --no-deps --no-cache-dir . -w "$BUILD/dist")
    cp "$BUILD"/dist/mmcv-"$MMCV_VER"-*.whl "$WHEEL_DIR"/
    WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VER"-*.whl | head -n1)
  else
    log "reusing cached $WHEEL"
  fi
  "${PIP[@]}" install -q --no-deps --force-reinstall --no-cache-dir "$WHEEL"
fi

log "installing mmengine, mmsegmentation, mmpretrain and the rest of $PINS"
log "(pip may say mmengine/mmcv require opencv-python: opencv-python-headless provides the same cv2)"
# mmengine declares the GUI opencv-python; install it without deps and take the headless build.
"${PIP[@]}" install -q --no-deps "$(pin mmengine)"
grep -vE '^\s*(#|$)' "$PINS" | grep -viE '^(torch|torchvision|mmcv|mmengine|pip)([=<>!~ ]|$)' > "$VENV/.fcn_reqs.txt"
"${PIP[@]}" install -q -r "$VENV/.fcn_reqs.txt"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

if ! check_stack; then
  echo "[setup] the environment is incomplete; run: $PY -c 'import mmcv.ops, mmseg, mmpretrain, fcn_plugin'" >&2
  exit 1
fi
echo "$STAMP" > "$STAMP_FILE"
log "done: $("$PY" -c 'import torch, mmcv, mmengine, mmseg, mmpretrain; print(f"torch {torch.__version__}, mmcv {mmcv.__version__} (ops), mmengine {mmengine.__version__}, mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}")')"
