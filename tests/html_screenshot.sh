#!/bin/sh
# ctest html_screenshot: a run's page rendered by headless Chromium (Debian: chromium)
# to a PNG of the requested size that is not blank; exit 4 (skipped) without Chromium.
#   usage: tests/html_screenshot.sh RINGSIDE_BINARY
set -eu
bin=$1
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "html_screenshot: SKIP: no chromium (apt-get install chromium)" >&2; exit 4; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" run -f race/timeout -f epoll/et_refire --mutant epoll.drop_et_refire --no-kernel-log -o "html=$dir/report.html" >/dev/null || true
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
  --disable-component-update --disable-sync --user-data-dir="$dir/profile" --hide-scrollbars \
  --window-size=1024,1400 --screenshot="$dir/report.png" "file://$dir/report.html" >"$dir/chromium.log" 2>&1 \
  || { tail -5 "$dir/chromium.log" >&2; echo "html_screenshot: chromium failed" >&2; exit 1; }
python3 - "$dir/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1024, 1400), "size %dx%d" % (w, h)
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
pixels = zlib.decompress(idat)
# A blank page is one colour: a rendered report has text, badges and tables.
distinct = len(set(pixels[i:i + 3] for i in range(0, len(pixels) - 3, 3 * 97)))
assert distinct > 20, "the page looks blank (%d colours sampled)" % distinct
print("html_screenshot: %dx%d PNG, %d colours sampled: rendered" % (w, h, distinct))
PY
