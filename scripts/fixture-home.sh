#!/usr/bin/env bash
# Lays out a home folder from ../shared/fixtures, each tool's real files where the tool puts
# them on Linux, as the tests' FixtureHome does (its `layout` is read from
# Tests/SensorTestSupport/FixtureHome.swift, the one place it is written).
#   scripts/fixture-home.sh DIR      (DIR must not exist)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
fixtures="$repo/../shared/fixtures"
target=${1:?usage: scripts/fixture-home.sh DIR}
[ -e "$target" ] && { echo "fixture-home: $target exists" >&2; exit 2; }
[ -d "$fixtures" ] || { echo "fixture-home: $fixtures not found" >&2; exit 2; }
python3 - "$repo/Tests/SensorTestSupport/FixtureHome.swift" "$fixtures" "$target" <<'PY'
import re, shutil, sys, pathlib
swift, fixtures, target = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
text = open(swift).read()
layout = text[text.index("layout: [(String, String)] = ["):]
layout = layout[:layout.index("\n    ]")]
pairs = re.findall(r'\("([^"]+)", "([^"]+)"\)', layout)
if not pairs:
    sys.exit("fixture-home: no layout found in " + swift)
for source, destination in pairs:
    src, dst = fixtures / source, target / destination
    dst.parent.mkdir(parents=True, exist_ok=True)
    (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
print(f"{len(pairs)} fixture paths laid out under {target}", file=sys.stderr)
PY
