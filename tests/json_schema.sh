#!/bin/sh
# ctest json_schema: JSON reports (a pass, a failure, a skip, a baseline comparison) against
# docs/schemas/ringside-report.schema.json, with python3's jsonschema (Debian:
# python3-jsonschema); exit 4 (skipped) where it is not installed.
#   usage: tests/json_schema.sh RINGSIDE_BINARY SOURCE_DIR
set -eu
bin=$1 src=$2
python3 -c 'import jsonschema' 2>/dev/null || { echo "json_schema: SKIP: no python3 jsonschema" >&2; exit 4; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT  # so no exec below: it would skip the trap
printf 'purpose: p\ntags: t\ne = eventfd\nwrite e 1\nread e 8\n' >"$dir/pass.scn"
printf 'purpose: p\ntags: t\na, b = socketpair unix_stream\nread b 1\n' >"$dir/hang.scn"
printf 'purpose: p\ntags: t\nrequires: no-such-feature\ne = eventfd\n' >"$dir/skip.scn"
"$bin" run "$dir" --step-timeout 100 --record-baseline "$dir/base.json" --output "json=$dir/a.json" >/dev/null || true
"$bin" run "$dir" --step-timeout 100 --baseline "$dir/base.json" --format json >"$dir/b.json" || true
"$bin" run -j 2 --format json >"$dir/suite.json" || true
python3 - "$src/docs/schemas/ringside-report.schema.json" "$dir/a.json" "$dir/b.json" "$dir/suite.json" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
for f in sys.argv[2:]:
    jsonschema.validate(json.load(open(f)), schema, cls=jsonschema.Draft202012Validator)
    print(f, "validates")
PY
