# Shared by the scripts: where things are, and how they talk.
set -euo pipefail
LITE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LITE_ROOT
export PATH="$LITE_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
step() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'lite build: error: %s\n' "$*" >&2; exit 1; }

# compile_lite ENTRY ADDON BUN_TARGET OUT: the one bun build --compile of lite, with
# ADDON embedded, gzipped (its hash names the unpacked copy, see runtime/native/embedded.ts).
# --splitting: each dynamic import becomes a chunk of its own that Bun reads only when
# it is imported, so a command loads its own path and not all of lite (`lite --version`
# 22 -> 10 ms with cli.ts's lazy command list; an empty compiled binary takes 5).
# The build id keys the compiled-plan cache (runtime/plan/plan-cache.ts): a hash of the
# TypeScript sources, the package files, the seccomp profile and the addon, so that any
# change to what compiles a plan invalidates every cached one.
compile_lite() {
  local entry=$1 addon=$2 bun_target=$3 out=$4 addon_id build_id src
  addon_id=$(sha256sum "$addon" | cut -c1-16)
  src=$(dirname "$entry")
  # Embedded compressed (runtime/native/embedded.ts unpacks and checks it): 1.5 -> 0.7 MB.
  gzip -9 -n -c "$addon" > "$src/native/lite.node.gz"
  build_id=$( (cd "$src/.." && find runtime -type f \( -name '*.ts' -o -name '*.json' -o -name '*.py' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; for f in package.json package-lock.json build/seccomp/default.json; do [ ! -f "$f" ] || sha256sum "$f"; done; echo "$addon_id $bun_target") | sha256sum | cut -c1-16)
  bun build "$entry" --compile --splitting --bytecode --format=esm --target="$bun_target" \
    --no-compile-autoload-dotenv --no-compile-autoload-bunfig --minify \
    --define "process.env.LITE_ADDON_ID=\"$addon_id\"" \
    --define "process.env.LITE_ADDON_BYTES=\"$(stat -c %s "$addon")\"" \
    --define "process.env.LITE_BUILD_ID=\"$build_id\"" \
    --outfile "$out.tmp" >/dev/null
  mv "$out.tmp" "$out"
}

# apt_install PKG...: installs the Debian packages that are not installed yet (one
# apt-get update first, when something is missing), waiting for a held dpkg lock.
apt_install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  step "apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# enable_arm64: Debian's arm64 packages (apt-get download pkg:arm64), once.
enable_arm64() {
  dpkg --print-foreign-architectures | grep -qx arm64 && return 0
  step "dpkg --add-architecture arm64"
  dpkg --add-architecture arm64
  apt-get update -qq
}
