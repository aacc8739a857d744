#!/bin/sh
# ctest junit_schema: JUnit reports of a run with a pass, a failure, a skip and a gating
# baseline change, and of the embedded suite, validate against Jenkins' JUnit schema
# (ci/validate-junit; exit 4 = the schema cannot be had here, which ctest counts as skipped).
#   usage: tests/junit_schema.sh RINGSIDE_BINARY SOURCE_DIR
set -eu
bin=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT  # so no exec below: it would skip the trap
printf 'purpose: p\ntags: t\ne = eventfd\nwrite e 1\nread e 8\n' >"$dir/pass.scn"
printf 'purpose: p\ntags: t\na, b = socketpair unix_stream\nread b 1\n' >"$dir/hang.scn"
printf 'purpose: p\ntags: t\nrequires: no-such-feature\ne = eventfd\n' >"$dir/skip.scn"
"$bin" run "$dir" --record-baseline "$dir/base.json" --step-timeout 100 >/dev/null || true
sed 's/"5:8"/"5:EAGAIN"/' "$dir/base.json" >"$dir/changed.json"
rc=0
"$bin" run "$dir" --step-timeout 100 --baseline "$dir/changed.json" --fail-on-baseline-change \
  --format junit >"$dir/mixed.xml" || rc=$?
[ "$rc" = 1 ] || { echo "expected exit status 1 (a failure), got $rc" >&2; exit 1; }
grep -q '<failure' "$dir/mixed.xml" && grep -q '<skipped>' "$dir/mixed.xml" && grep -q 'baseline.outcome-new' "$dir/mixed.xml" \
  || { echo "mixed.xml lacks a failure, a skip or the baseline change" >&2; cat "$dir/mixed.xml" >&2; exit 1; }
"$bin" run -j 2 --format junit >"$dir/suite.xml" || true
"$src/ci/validate-junit" "$dir/mixed.xml" "$dir/suite.xml"
