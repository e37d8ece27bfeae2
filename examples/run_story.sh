#!/usr/bin/env bash
# The whole migration story on examples/legacy_app.py, in a temporary copy:
#   1. run the legacy program on the shim in warn mode (vLLM 0.20 behaviour) with a usage report;
#   2. show that the removal preview (vLLM 0.21) rejects it;
#   3. migrate it with `migrate-pooling --from-report` (only the files and codes the run hit);
#   4. rerun the migrated program in the removal preview: no deprecation hit, the same numbers.
# Usage: examples/run_story.sh   (PYTHON and MIGRATE override the interpreter and the codemod command)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$repo/.venv/bin/python" ]; then default_python="$repo/.venv/bin/python"; else default_python=python3; fi
PYTHON=${PYTHON:-$default_python}
MIGRATE=${MIGRATE:-$(dirname "$PYTHON")/migrate-pooling}
[ -x "$MIGRATE" ] || MIGRATE=migrate-pooling
unset POOLING_SHIM_TARGET_VERSION POOLING_SHIM_REPORT

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$repo/examples/legacy_app.py" "$work/app.py"
cp "$work/app.py" "$work/app.legacy.py"
cd "$work"

echo "== 1. warn mode (emulating vLLM 0.20): the program runs, each legacy line warns, report.json records them"
POOLING_SHIM_REPORT=report.json "$PYTHON" app.py > before.txt
cat before.txt
echo

echo "== 2. removal preview (POOLING_SHIM_TARGET_VERSION=0.21): the legacy program fails as vLLM 0.21 fails"
if POOLING_SHIM_TARGET_VERSION=0.21 "$PYTHON" app.py > /dev/null 2> preview.txt; then
    echo "unexpected: the legacy program passed the removal preview" >&2
    exit 1
fi
grep -E '^[A-Za-z_.]*(Error|Exception)\b' preview.txt | head -n 1 || true
echo

echo "== 3. migrate-pooling --from-report report.json app.py"
status=0
"$MIGRATE" --from-report report.json app.py || status=$?
[ "$status" -le 1 ] || exit "$status"   # 1: findings left that need a person
diff -u app.legacy.py app.py || true
echo

echo "== 4. the migrated program in the removal preview: no deprecation hit, same output"
POOLING_SHIM_TARGET_VERSION=0.21 POOLING_SHIM_REPORT=after.json "$PYTHON" app.py > after.txt
if [ -e after.json ]; then
    echo "the migrated program still hits deprecated API:" >&2
    cat after.json >&2
    exit 1
fi
diff before.txt after.txt
echo "same numbers before and after; no deprecated call site left"
