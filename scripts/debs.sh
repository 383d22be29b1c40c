# Debian packages of any architecture, for the firmware and the cross-arch rootfs:
# fetched once with `apt-get download` into build/cache/debs/ARCH/ and unpacked with
# dpkg-deb -x (nothing is installed on the build host). Sourced after lib.sh.
# A foreign ARCH needs `dpkg --add-architecture ARCH` and apt-get update first
# (scripts/setup --cross does that).

# deb_fetch DEB_ARCH PACKAGE: prints the path of the cached .deb.
deb_fetch() {
  local arch=$1 pkg=$2 dir="$LITE_ROOT/build/cache/debs/$1" spec deb
  spec=$pkg
  [ "$arch" = "$(dpkg --print-architecture)" ] || spec="$pkg:$arch"
  deb=$(ls "$dir/${pkg}_"*"_$arch.deb" "$dir/${pkg}_"*"_all.deb" 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    mkdir -p "$dir"
    # apt drops privileges to _apt for downloads; let it write here.
    chown _apt "$dir" 2>/dev/null || true
    (cd "$dir" && apt-get download -q "$spec" >/dev/null 2>&1) || die "apt-get download $spec failed (is $arch a dpkg architecture? scripts/setup --cross adds arm64)"
    deb=$(ls "$dir/${pkg}_"*"_$arch.deb" "$dir/${pkg}_"*"_all.deb" 2>/dev/null | head -1)
  fi
  echo "$deb"
}

# deb_depends_on DEB_ARCH META: the first package a meta package depends on
# (linux-image-arm64 -> linux-image-6.1.0-NN-arm64).
deb_depends_on() {
  local spec=$2
  [ "$1" = "$(dpkg --print-architecture)" ] || spec="$2:$1"
  apt-cache depends "$spec" 2>/dev/null | sed -nE 's/^ +Depends: ([^ :]+).*/\1/p' | head -1
}

# deb_unpack DEB DIR: unpacks the package's files into DIR.
deb_unpack() { mkdir -p "$2" && dpkg-deb -x "$1" "$2"; }
