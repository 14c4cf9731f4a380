# Shared by scripts/run and scripts/test: find or bootstrap uv, install the locked environment.
# Only Python 3.11+ is assumed; uv comes from PyPI into var/bootstrap when it is not on PATH.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ensure_env() {
  local uv
  if command -v uv >/dev/null 2>&1; then
    uv="$(command -v uv)"
  else
    if [ ! -x var/bootstrap/bin/uv ]; then
      echo "==> bootstrapping uv into var/bootstrap"
      mkdir -p var
      "${PYTHON:-python3}" -m venv var/bootstrap
      var/bootstrap/bin/python -m pip install --quiet --disable-pip-version-check 'uv>=0.5'
    fi
    uv="$ROOT/var/bootstrap/bin/uv"
  fi
  local extras=()
  for extra in "$@"; do extras+=(--extra "$extra"); done
  echo "==> installing locked dependencies (${*:-base})"
  "$uv" sync --frozen --inexact --quiet "${extras[@]}"
  export PATH="$ROOT/.venv/bin:$PATH"
  export VIRTUAL_ENV="$ROOT/.venv"
}

free_port() {
  python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
