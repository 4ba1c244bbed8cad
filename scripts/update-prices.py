#!/usr/bin/env python3
"""Regenerates pricing/prices.json, the price table sensor-ingest estimates cost with, from
LiteLLM's model price list as shipped in the `litellm` wheel on PyPI (a public source of facts;
nothing of LiteLLM runs). Then run scripts/embed-resources.py.

    pip download litellm==VERSION --no-deps -d /tmp/litellm
    scripts/update-prices.py /tmp/litellm/litellm-VERSION-*.whl

Kept: chat and responses models with a per-token price. Prices become US dollars per million
tokens. Each model is filed under its base name (provider paths, Bedrock regions and vendor
prefixes, version suffixes removed), first-party providers first, and also under its own name
when that differs; `sensor-ingest` normalises a usage row's model the same way.
"""
import json
import pathlib
import re
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "pricing/prices.json"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
# Who sells a model first-hand wins its base name over resellers and clouds.
FIRST_PARTY = ["anthropic", "openai", "gemini", "xai", "deepseek", "mistral", "moonshot", "zai", "dashscope", "vertex_ai-anthropic_models",
               "vertex_ai-language-models", "bedrock_converse", "bedrock", "azure", "azure_ai", "openrouter"]
FIELDS = {  # ours: LiteLLM's, per token
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "input_above_200k": "input_cost_per_token_above_200k_tokens",
    "output_above_200k": "output_cost_per_token_above_200k_tokens",
    "cache_read_above_200k": "cache_read_input_token_cost_above_200k_tokens",
    "cache_write_above_200k": "cache_creation_input_token_cost_above_200k_tokens",
}
REGION = re.compile(r"^(us|eu|apac|au|jp|global|us-gov)\.")
VENDOR = re.compile(r"^(anthropic|openai|meta|mistral|amazon|cohere|deepseek|qwen|google|moonshot|zai)\.")
VERSION = re.compile(r"(-v\d+(:\d+)?|@\w+)$")


def base_name(name):
    name = name.lower().rsplit("/", 1)[-1]
    name = REGION.sub("", name)
    name = VENDOR.sub("", name)
    return VERSION.sub("", name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    wheel = pathlib.Path(sys.argv[1])
    version = re.match(r"litellm-([^-]+)-", wheel.name)
    with zipfile.ZipFile(wheel) as archive:
        table = json.loads(archive.read(MEMBER))
    rank = {provider: index for index, provider in enumerate(FIRST_PARTY)}
    candidates = []
    for name, entry in table.items():
        if not isinstance(entry, dict) or entry.get("mode") not in ("chat", "responses"):
            continue
        if not isinstance(entry.get("input_cost_per_token"), (int, float)):
            continue
        prices = {ours: round(entry[theirs] * 1e6, 6) for ours, theirs in FIELDS.items() if isinstance(entry.get(theirs), (int, float))}
        provider = entry.get("litellm_provider", "")
        candidates.append((rank.get(provider, len(rank)), name.count("/"), name, prices))
    models = {}
    for _, _, name, prices in sorted(candidates):
        for key in (name.lower(), base_name(name)):
            models.setdefault(key, prices)
    document = {
        "source": f"LiteLLM {version.group(1) if version else '?'} ({MEMBER}), US dollars per million tokens",
        "models": dict(sorted(models.items())),
    }
    OUT.parent.mkdir(exist_ok=True)
    lines = [f"  {json.dumps(name)}: {json.dumps(prices, separators=(',', ':'))}" for name, prices in document["models"].items()]
    OUT.write_text('{\n  "source": ' + json.dumps(document["source"]) + ',\n  "models": {\n  ' + ",\n  ".join(lines) + "\n  }\n}\n")
    print(f"{OUT.relative_to(ROOT)}: {len(models)} names from {len(candidates)} models")


if __name__ == "__main__":
    main()
