#!/usr/bin/env bash
# Tests .pre-commit-hooks.yaml with the real pre-commit (Debian package
# pre-commit) on a scratch repository holding two Dockerfiles: one whose
# container will start (the hook passes) and one with a shell-form CMD on
# distroless (the hook fails, naming the rule).
#
#   scripts/test-hooks.sh docker   # dlcheck-dockerfile-docker, with the image
#                                  # scripts/build-image.sh made (tagged as
#                                  # the hook's ghcr.io/dlcheck/dlcheck:latest)
#   scripts/test-hooks.sh rust     # dlcheck-dockerfile: pre-commit builds
#                                  # dlcheck with cargo install (minutes)
#
# Needs: git, pre-commit; for docker, a running engine and dlcheck:dev.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-docker}"
case "$kind" in
    docker)
        hook=dlcheck-dockerfile-docker
        docker image inspect dlcheck:dev >/dev/null
        docker tag dlcheck:dev ghcr.io/dlcheck/dlcheck:latest
        trap 'docker rmi ghcr.io/dlcheck/dlcheck:latest >/dev/null 2>&1 || true' EXIT
        ;;
    rust) hook=dlcheck-dockerfile ;;
    *) echo "usage: $0 docker|rust" >&2; exit 2 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"; docker rmi ghcr.io/dlcheck/dlcheck:latest >/dev/null 2>&1 || true' EXIT
export PRE_COMMIT_HOME="$work/cache"
cd "$work"
git init -q project && cd project
cp "$repo/testdata/dockerfiles/clean-static.Dockerfile" good.Dockerfile
cp "$repo/testdata/dockerfiles/shell-form.Dockerfile" Dockerfile
printf 'not a dockerfile\n' > notes.txt
git add -A
out="$(pre-commit try-repo "$repo" "$hook" --files good.Dockerfile 2>&1)" || {
    echo "$out"; echo "test-hooks: $hook failed on a Dockerfile that starts" >&2; exit 1; }
echo "$out" | grep -q "Passed" || { echo "$out"; echo "test-hooks: no Passed line" >&2; exit 1; }
if out="$(pre-commit try-repo "$repo" "$hook" --files Dockerfile notes.txt 2>&1)"; then
    echo "$out"; echo "test-hooks: $hook passed a shell-form CMD on distroless" >&2; exit 1
fi
echo "$out" | grep -q "shell-form" || { echo "$out"; echo "test-hooks: the failure does not name shell-form" >&2; exit 1; }
echo "$out" | grep -q "notes.txt" && { echo "$out"; echo "test-hooks: notes.txt was passed to the hook" >&2; exit 1; }
echo "test-hooks: $hook passes a good Dockerfile and fails a shell-form CMD"
