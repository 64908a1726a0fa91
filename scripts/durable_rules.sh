#!/usr/bin/env bash
# durable-rules 2.0.28 (its last release) calls PyEval_CallObject, which Python 3.13 removed: the
# wheel it builds there fails to import ("undefined symbol: PyEval_CallObject"). On Python 3.13 and
# newer this builds durable-rules from its own sdist with that call replaced by PyObject_CallObject
# (the same function under its current name) and installs the wheel into the given Python; on
# older Pythons it does nothing (pip installs durable-rules as usual). No durable-rules code is
# kept in this repository: the sdist comes from PyPI at install time.
# Usage: scripts/durable_rules.sh PYTHON
set -euo pipefail
PYTHON="$1"
VERSION=2.0.28
if "$PYTHON" -c "import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)"; then
  if "$PYTHON" -c "import durable.engine" 2>/dev/null; then
    exit 0
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: "durable-rules==$VERSION" -d "$work"
  tar -xzf "$work"/durable_rules-$VERSION.tar.gz -C "$work"
  grep -rl "PyEval_CallObject" "$work/durable_rules-$VERSION/src" | xargs sed -i 's/PyEval_CallObject(/PyObject_CallObject(/g'
  "$PYTHON" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/dist" "$work/durable_rules-$VERSION" \
    || "$PYTHON" -m pip wheel --quiet --no-deps -w "$work/dist" "$work/durable_rules-$VERSION"
  "$PYTHON" -m pip install --quiet --force-reinstall --no-deps "$work"/dist/durable_rules-*.whl
  "$PYTHON" -c "import durable.engine" && echo "durable-rules $VERSION built for $("$PYTHON" -V) (PyEval_CallObject → PyObject_CallObject)"
fi
