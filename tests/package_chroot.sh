#!/bin/bash
# ctest package_chroot (label "package", not in the default run: `ctest --preset package`):
# builds the .deb with CPack, installs it with apt into a fresh minimal Debian 12 chroot
# (which fetches its dependencies: Debian's runtime packages), runs `ringside run` there
# and checks that `man ringside` shows the page. Exit 4 (skipped), with the reason, where
# it cannot run: not root, no debootstrap (and no cached base), no network.
#   usage: tests/package_chroot.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
skip() { echo "package_chroot: SKIP: $*" >&2; exit 4; }
[ "$(id -u)" = 0 ] || skip "needs root (chroot, mount)"
base=/var/tmp/fresh-debian-base.tar  # the cache ../shared/tools/fresh-debian-check keeps
if [ ! -f "$base" ] && ! command -v debootstrap >/dev/null; then
  skip "no debootstrap (apt-get install debootstrap) and no cached base $base"
fi
getent hosts deb.debian.org >/dev/null || skip "no network (deb.debian.org does not resolve)"
command -v cpack >/dev/null || skip "no cpack"

work=$(mktemp -d /var/tmp/ringside-package.XXXXXX)
root=$work/root
cleanup() {
  for m in dev/pts dev proc sys tmp; do umount -l "$root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cpack -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/pkg/ringside_*.deb)
echo "package_chroot: built $(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"

mkdir "$root"
if [ -f "$base" ]; then
  tar -C "$root" -xf "$base"
else
  debootstrap --variant=minbase bookworm "$root" >"$work/debootstrap.log" 2>&1 \
    || skip "debootstrap failed (network?): $(tail -1 "$work/debootstrap.log")"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"; mount -t tmpfs tmpfs "$root/tmp"
cp "$deb" "$root/tmp/"
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb MANWIDTH=80 \
    DEBIAN_FRONTEND=noninteractive bash -c "$1"
}
in_root "apt-get update -qq" >"$work/apt.log" 2>&1 || skip "apt-get update failed (network?): $(tail -1 "$work/apt.log")"
in_root "apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb") man-db" >"$work/apt.log" 2>&1 \
  || { cat "$work/apt.log" >&2; echo "package_chroot: FAIL: apt-get install of the package" >&2; exit 1; }
echo "package_chroot: installed with its dependencies in a fresh chroot"
in_root "ringside --version && ringside run -j 2 | tail -3" || { echo "package_chroot: FAIL: ringside run" >&2; exit 1; }
page=$(in_root "man ringside 2>&1")
for s in "EXIT STATUS" PROFILES FORMATS FILES; do
  grep -q "^$s" <<<"$page" || { echo "package_chroot: FAIL: man ringside has no $s" >&2; echo "$page" | head >&2; exit 1; }
done
echo "package_chroot: man ringside shows the page ($(wc -l <<<"$page") lines)"
in_root "test -f /usr/share/bash-completion/completions/ringside" || { echo "package_chroot: FAIL: no completion" >&2; exit 1; }
echo "package_chroot: ok"
