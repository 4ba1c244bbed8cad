#!/usr/bin/env bash
# Release binaries to ship: `sensor` and `sensor-ingest` built with the Swift runtime and
# Foundation inside (--static-swift-stdlib), stripped, each with its debug symbols kept beside
# it in `<name>.debug` (linked by .gnu_debuglink: gdb and lldb find them; symbolicate a crash
# with them). Prints each binary's size before and after.
#
#   scripts/release.sh [--out dist]
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist
[ "${1:-}" = "--out" ] && out=$2
mkdir -p "$out"
for product in sensor sensor-ingest; do
    swift build -c release --static-swift-stdlib --product "$product" >&2
    built="$(swift build -c release --static-swift-stdlib --show-bin-path)/$product"
    cp "$built" "$out/$product"
    objcopy --only-keep-debug "$out/$product" "$out/$product.debug"
    strip --strip-all "$out/$product"
    objcopy --add-gnu-debuglink="$out/$product.debug" "$out/$product"
    awk -v name="$product" -v built="$(stat -c %s "$built")" -v stripped="$(stat -c %s "$out/$product")" \
        -v debug="$(stat -c %s "$out/$product.debug")" -v path="$out/$product" \
        'BEGIN { printf "%-14s %6.1f MB built, %6.1f MB stripped (%s), debug symbols %6.1f MB\n", name, built / 1e6, stripped / 1e6, path, debug / 1e6 }'
done
