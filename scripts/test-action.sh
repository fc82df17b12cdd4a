#!/usr/bin/env bash
# Tests the GitHub Action's step (scripts/action.sh, run by action.yml)
# with dlcheck's container image (scripts/build-image.sh) on a scratch
# workspace, as a runner would: INPUT_* variables, GITHUB_WORKSPACE and
# GITHUB_OUTPUT.
#
#   scripts/test-action.sh [IMAGE]   # default dlcheck:dev
#
# Checks: a program that starts in the image passes (exit-code=0); one that
# does not fails with exit-code=1 and a SARIF file in the workspace whose
# first error is the missing interpreter; --fail-on warning gates on a
# warning.
# Needs: a running Docker engine, the image, python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
image="${1:-dlcheck:dev}"
docker image inspect "$image" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"
cp "$repo/testdata/bin/c-static" "$repo/testdata/bin/c-dynamic" "$repo/testdata/bin/go123-osexec" "$work/out/"

step() { # step NAME WANT [VAR=VALUE ...]: run the action's step, check its exit-code
    local name="$1" want="$2"; shift 2
    : >"$work/github_output"
    local status=0
    env GITHUB_WORKSPACE="$work" GITHUB_OUTPUT="$work/github_output" INPUT_DLCHECK_IMAGE="$image" \
        INPUT_FORMAT=human INPUT_FAIL_ON=error "$@" bash "$repo/scripts/action.sh" >"$work/log" 2>&1 || status=$?
    if [ "$status" != "$want" ] || ! grep -qx "exit-code=$want" "$work/github_output"; then
        cat "$work/log"
        echo "test-action: $name: exit $status, $(cat "$work/github_output"); want $want" >&2
        exit 1
    fi
    echo "test-action: $name: exit $want, as expected"
}

step "a static program in static" 0 INPUT_TARGETS="out/c-static" INPUT_IMAGE=gcr.io/distroless/static-debian12
step "a dynamic program in static, SARIF" 1 INPUT_TARGETS="out/c-static
out/c-dynamic" INPUT_IMAGE=gcr.io/distroless/static-debian12 INPUT_FORMAT=sarif INPUT_OUTPUT=dlcheck.sarif
python3 - "$work/dlcheck.sarif" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
run = doc["runs"][0]
errors = [r for r in run["results"] if r["level"] == "error"]
assert doc["version"] == "2.1.0", doc["version"]
assert run["invocations"][0]["exitCode"] == 1, run["invocations"]
assert errors[0]["ruleId"] == "problem/interpreter_missing", errors[0]
assert errors[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "out/c-dynamic", errors[0]
print("test-action: the SARIF file names out/c-dynamic's missing interpreter")
EOF
step "a scan, recommending" 0 INPUT_TARGETS="out" INPUT_RECURSIVE=true
step "a shell at run time, --fail-on warning" 1 INPUT_TARGETS="out/go123-osexec" \
    INPUT_IMAGE=gcr.io/distroless/static-debian12 INPUT_FAIL_ON=warning
echo "test-action: passed"
