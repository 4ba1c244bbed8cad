#!/usr/bin/env bash
# Makes (once) the virtualenvs of the Python tools the tests check the server with, software
# nobody here wrote: scim2-tester (SCIM compliance), scim2-client, the MCP SDK (mcp), and OpenTelemetry's protobuf definitions, SDK and OTLP/HTTP exporter; and Canaille, the OpenID
# Connect provider single sign-on is tested against (scripts/oidc-requirements.txt pins it).
# Prints the lines that point the tests at them: eval "$(scripts/python-tools.sh)".
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/python-tools
requirements="scim2-tester==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3 httpx==0.28.1 mcp==2.3.0 opentelemetry-proto==1.45.2 opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2"
stamp="$venv/requirements.txt"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements >&2
    echo "$requirements" > "$stamp"
fi
echo "export SENSOR_TEST_PYTHON_TOOLS=$PWD/$venv/bin/python"

oidc=.build/python-oidc
if [ ! -x "$oidc/bin/python" ] || ! cmp -s scripts/oidc-requirements.txt "$oidc/requirements.txt"; then
    rm -rf "$oidc"
    python3 -m venv "$oidc" >&2
    "$oidc/bin/pip" install --quiet --disable-pip-version-check -r scripts/oidc-requirements.txt >&2
    cp scripts/oidc-requirements.txt "$oidc/requirements.txt"
fi
echo "export SENSOR_TEST_OIDC_PYTHON=$PWD/$oidc/bin/python"
