# Debian packages of any architecture, for the firmware and the cross-arch rootfs:
# fetched into build/cache/debs/ by the fetcher of `lite rootfs build`
# (scripts/fetch-debs.ts: apt-get download, size and SHA256 checked against apt's index)
# and unpacked with dpkg-deb -x (nothing is installed on the build host). Sourced after
# lib.sh. A foreign ARCH needs `dpkg --add-architecture ARCH` and apt-get update first
# (scripts/setup --cross does that).

# deb_fetch DEB_ARCH PACKAGE...: prints the path of each cached .deb, one a line, in order.
deb_fetch() { bun "$LITE_ROOT/scripts/fetch-debs.ts" "$@"; }

# deb_depends_on DEB_ARCH META: the first package a meta package depends on
# (linux-image-arm64 -> linux-image-6.1.0-NN-arm64).
deb_depends_on() {
  local spec=$2
  [ "$1" = "$(dpkg --print-architecture)" ] || spec="$2:$1"
  apt-cache depends "$spec" 2>/dev/null | sed -nE 's/^ +Depends: ([^ :]+).*/\1/p' | head -1
}

# deb_unpack DEB DIR: unpacks the package's files into DIR.
deb_unpack() { mkdir -p "$2" && dpkg-deb -x "$1" "$2"; }
