# Shared by the scripts: where things are, and how they talk.
set -euo pipefail
LITE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LITE_ROOT
export PATH="$LITE_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
step() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'lite build: error: %s\n' "$*" >&2; exit 1; }
