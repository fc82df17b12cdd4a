#!/usr/bin/env bash
# The GitHub Action's step (action.yml): runs dlcheck's container image on
# the workspace with the action's inputs, passed as INPUT_* variables.
# The workspace is mounted at its own path (so paths in the report are the
# workspace's), and the engine's socket when there is one (so docker:NAME
# images can be read). Writes exit-code to $GITHUB_OUTPUT and exits with
# dlcheck's status.
#
# Tested by scripts/test-action.sh with the image scripts/build-image.sh makes.
set -euo pipefail
workspace="${GITHUB_WORKSPACE:-$PWD}"
args=()
[ -n "${INPUT_IMAGE:-}" ] && args+=(--image "$INPUT_IMAGE")
[ "${INPUT_RECURSIVE:-false}" = true ] && args+=(-r)
[ -n "${INPUT_FORMAT:-}" ] && args+=(--format "$INPUT_FORMAT")
[ -n "${INPUT_OUTPUT:-}" ] && args+=(--output "$INPUT_OUTPUT")
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
# Word splitting is wanted here: the inputs are lists.
# shellcheck disable=SC2206
args+=(${INPUT_ARGS:-})
# shellcheck disable=SC2206
targets=(${INPUT_TARGETS:?the targets input is empty})
docker_args=(--rm --network host -v "$workspace:$workspace" -w "$workspace")
socket="${DOCKER_HOST:-unix:///var/run/docker.sock}"
if [ "${socket#unix://}" != "$socket" ] && [ -S "${socket#unix://}" ]; then
  docker_args+=(-v "${socket#unix://}:/var/run/docker.sock")
fi
status=0
docker run "${docker_args[@]}" "${INPUT_DLCHECK_IMAGE:?}" "${args[@]}" -- "${targets[@]}" || status=$?
[ -n "${GITHUB_OUTPUT:-}" ] && echo "exit-code=$status" >>"$GITHUB_OUTPUT"
exit "$status"
