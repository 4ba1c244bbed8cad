#!/usr/bin/env bash
# Runs every test: the schema checks with an independent JSON Schema validator, then the
# Swift test suites. PostgreSQL cases run when SENSOR_TEST_POSTGRES_URL is set (.ci/run
# starts a throwaway server and sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 scripts/embed-resources.py --check
if [ -f scripts/check-schemas.py ]; then
    python3 scripts/check-schemas.py
fi
# The SCIM tests run the server against scim2-tester and scim2-client from PyPI.
eval "$(scripts/python-tools.sh)"
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
