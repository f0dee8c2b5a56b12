#!/usr/bin/env bash
# `make test`: the whole suite (PostgreSQL tests fail, not skip, when the server is missing).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
"$ROOT/.venv/bin/ruff" check include dags plugins tests benchmarks
exec "$ROOT/.venv/bin/pytest" -q "$@"
