#!/usr/bin/env bash
# Builds the OCI runtime-tools validation suite (github.com/opencontainers/runtime-tools,
# validation/*/*.go: one TAP program each, plus `runtimetest`, which they copy into every
# bundle and run inside the container) at a pinned commit, from the Go module proxy only.
#   test/support/runtime-tools.sh   -> build/runtime-tools/<version>/{bin/*,rootfs-<arch>.tar.gz}
# and prints that directory. Run the programs with their cwd there (they read
# ./runtimetest and ./rootfs-<goarch>.tar.gz from the cwd): test/support/runtime-tools.ts.
# Idempotent: a second run only refreshes the rootfs tarball when build/rootfs/busybox changed.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$LITE_ROOT"

MODULE=github.com/opencontainers/runtime-tools
VERSION=v0.9.1-0.20260316125833-8a4db579f5c8 # master of 2026-03-16
SPEC=github.com/opencontainers/runtime-spec
SPEC_VERSION=v1.3.0 # what that commit's go.mod requires
# The ociVersion written into every bundle's config.json (see the patch below).
OCI_VERSION=1.0.2

out=build/runtime-tools/$VERSION
src=build/runtime-tools/src

export GOPATH=${RUNTIME_TOOLS_GOPATH:-$LITE_ROOT/build/cache/go} # shared, warm after one run
export GOMODCACHE=$GOPATH/mod GOCACHE=$GOPATH/build
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
[ -x /usr/local/go/bin/go ] && PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || die "runtime-tools: go not found (/usr/local/go, or scripts/setup's golang-go)"
# The module needs Go 1.21 (its go.mod, the slices package); Debian 12's golang-go is 1.19.
[[ $(go env GOVERSION) =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 21)) ||
  die "runtime-tools: $(go env GOVERSION) is too old, Go 1.21 or later is needed (/usr/local/go)"
goarch=$(go env GOARCH)

if [ ! -x "$out/bin/runtimetest" ] || [ ! -f "$out/bin/.complete" ]; then
  step "runtime-tools $VERSION (Go module proxy) -> $out"
  rm -rf "$src" "$out.tmp"
  mkdir -p "$src" "$out.tmp/bin"
  tools=$(go mod download -json "$MODULE@$VERSION" | sed -nE 's/^\t"Dir": "(.*)",$/\1/p')
  spec=$(go mod download -json "$SPEC@$SPEC_VERSION" | sed -nE 's/^\t"Dir": "(.*)",$/\1/p')
  [ -d "$tools" ] && [ -d "$spec" ] || die "runtime-tools: go mod download failed"
  # The mod cache is read-only: build from writable copies.
  cp -r "$tools" "$src/runtime-tools"
  cp -r "$spec" "$src/runtime-spec"
  chmod -R u+w "$src"
  # runtime-spec has no go.mod (the proxy synthesizes one); a replace directory needs one.
  [ -f "$src/runtime-spec/go.mod" ] || printf 'module %s\n' "$SPEC" >"$src/runtime-spec/go.mod"

  # The one change: specs-go says 1.3.0, which generate.New() writes as every bundle's
  # ociVersion (util.GetDefaultGenerator, util.RuntimeInsideValidate, the lifecycle
  # helpers: all go through generate and Runtime.SetConfig). crun 1.8.1 refuses a
  # config newer than it knows ("unknown version specified"), so every program would
  # fail at `create` for a reason that is not what it checks. The suite's checks use
  # nothing from 1.1+, so the bundles declare 1.0.2, which crun 1.8 and lite accept.
  # Patching the constant (rather than generate.New alone) keeps the suite consistent:
  # the spec references its TAP prints (…/runtime-spec/blob/v1.0.2/…) name 1.0.2 too.
  sed -i -E 's/^(\tVersionMinor = )[0-9]+/\1'"$(cut -d. -f2 <<<"$OCI_VERSION")"'/; s/^(\tVersionPatch = )[0-9]+/\1'"$(cut -d. -f3 <<<"$OCI_VERSION")"'/' \
    "$src/runtime-spec/specs-go/version.go"
  grep -q "VersionMinor = $(cut -d. -f2 <<<"$OCI_VERSION")" "$src/runtime-spec/specs-go/version.go" || die "runtime-tools: the specs-go version patch did not apply"
  (cd "$src/runtime-tools" && go mod edit -replace "$SPEC=../runtime-spec")

  # Every validation program and runtimetest in one build (-o DIR names each by its
  # directory); CGO_ENABLED=0 makes runtimetest static, as it must run in any rootfs.
  (cd "$src/runtime-tools" && go build -trimpath -o "$LITE_ROOT/$out.tmp/bin/" ./cmd/runtimetest ./validation/...)
  touch "$out.tmp/bin/.complete"
  rm -rf "$out" && mv "$out.tmp" "$out"
  rm -rf "$src"
fi

# The rootfs the programs unpack into each bundle: lite's busybox rootfs (scripts/rootfs
# busybox). The util copies runtimetest into the bundle itself.
rootfs=build/rootfs/busybox
[ -d "$rootfs" ] || bash scripts/rootfs busybox >&2
tarball=$out/rootfs-$goarch.tar.gz
if [ ! -f "$tarball" ] || [ -n "$(find "$rootfs" -newer "$tarball" -print -quit)" ]; then
  step "rootfs $rootfs -> $tarball"
  tar -czf "$tarball.tmp" -C "$rootfs" .
  mv "$tarball.tmp" "$tarball"
fi
cp -f "$out/bin/runtimetest" "$out/runtimetest" # a copy: the util copies a symlink as a symlink
echo "$LITE_ROOT/$out"
