#!/usr/bin/env python3
"""Checks the declarations with an independent JSON Schema validator (python-jsonschema,
Draft 2020-12): every sources.d/*.yaml against schemas/source.schema.json, every source in
them against $defs/completeSource, every cursor query binds :cursor, and the example server
document docs/examples/sensor-config.json against schemas/sensor-config.schema.json, and the example
policy docs/examples/policy.yaml against schemas/policy.schema.json, and every normalizers.d/*.yaml
against schemas/normalizer.schema.json (no kind taken twice)."""
import json
import pathlib
import sys

import jsonschema
import yaml
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parent.parent
schemas = {p.name: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json")}
registry = Registry().with_resources(
    (name, Resource.from_contents(schema)) for name, schema in schemas.items()
)
for schema in schemas.values():
    jsonschema.Draft202012Validator.check_schema(schema)


def validator(name, pointer=None):
    schema = {"$ref": f"{name}#{pointer}"} if pointer else schemas[name]
    return jsonschema.Draft202012Validator(schema, registry=registry)


passed, failed = 0, 0


def check(label, errors):
    global passed, failed
    errors = list(errors)
    if errors:
        failed += 1
        for error in errors:
            path = "/".join(str(p) for p in error.absolute_path)
            print(f"FAIL {label}: {path}: {error.message}", file=sys.stderr)
    else:
        passed += 1


file_validator = validator("source.schema.json")
complete = validator("source.schema.json", "/$defs/completeSource")
# A source that `extends` another is checked as the sensor reads it: the other's fields (but
# its place, names and switch) with its own laid over them.
OWN_FIELDS = {"id", "name", "tool", "kind", "roots", "include", "enabled", "extends"}
documents = {path: yaml.safe_load(path.read_text()) for path in sorted((ROOT / "sources.d").glob("*.yaml"))}
declared = {source.get("id"): source for document in documents.values() for source in document.get("sources", [])}


def resolved(source, seen=()):
    parent_id = source.get("extends")
    if parent_id is None or parent_id not in declared or parent_id in seen:
        return source
    parent = resolved(declared[parent_id], seen + (source.get("id"),))
    merged = {key: value for key, value in parent.items() if key not in OWN_FIELDS}
    for key, value in source.items():
        if key == "extends":
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


ids = {}
for path, document in documents.items():
    check(str(path.relative_to(ROOT)), file_validator.iter_errors(document))
    for written in document.get("sources", []):
        label = f"{path.name}: {written.get('id')}"
        if written.get("extends") is not None and written["extends"] not in declared:
            check(label + " (extends)", [jsonschema.ValidationError(f"no source '{written['extends']}' to extend")])
        source = resolved(written)
        check(label + " (complete)", complete.iter_errors(source))
        problems = []
        if source.get("offset") == "cursor" and ":cursor" not in source.get("sqlite", {}).get("query", ""):
            problems.append(jsonschema.ValidationError("a cursor query must bind :cursor"))
        if source.get("id") in ids:
            problems.append(jsonschema.ValidationError(f"duplicate id, also in {ids[source['id']]}"))
        ids[source.get("id")] = path.name
        check(label + " (semantics)", problems)

example = json.loads((ROOT / "docs/examples/sensor-config.json").read_text())
check("docs/examples/sensor-config.json", validator("sensor-config.schema.json").iter_errors(example))

policy = yaml.safe_load((ROOT / "docs/examples/policy.yaml").read_text())
check("docs/examples/policy.yaml", validator("policy.schema.json").iter_errors(policy))

# Normaliser mappings: each file, and no kind taken by two of them.
mapping_validator = validator("normalizer.schema.json")
kinds = {}
for path in sorted((ROOT / "normalizers.d").glob("*.yaml")):
    document = yaml.safe_load(path.read_text())
    check(str(path.relative_to(ROOT)), mapping_validator.iter_errors(document))
    problems = []
    for kind in document.get("kinds", []) + document.get("raw_only", []) + document.get("opaque", []):
        if kind in kinds:
            problems.append(jsonschema.ValidationError(f"kind {kind} also in {kinds[kind]}"))
        kinds[kind] = path.name
    check(f"{path.name} (kinds)", problems)

print(f"schemas: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
