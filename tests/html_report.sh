#!/bin/sh
# ctest html_report: the HTML pages parsed by a real HTML parser (python3's html.parser,
# tests/html_check.py) and checked against the runs they show: a run with a planted
# failure (--mutant) written live (-o html=) and again from its JSON (`ringside report`:
# the same page), and a kernel matrix made from two real runs and a kernel without a report.
#   usage: tests/html_report.sh RINGSIDE_BINARY SOURCE_DIR
set -eu
bin=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/mutant" "$dir/contract" "$dir/old"
rc=0
"$bin" run -f race -f uring_cancel --mutant uring.cancel_zero_normal \
  -o "html=$dir/mutant/live.html" -o "json=$dir/mutant/report.json" >/dev/null || rc=$?
[ "$rc" = 1 ] || { echo "html_report: the planted failure did not fail the run (exit $rc)" >&2; exit 1; }
"$bin" run -f eventfd -f pipe --profile contract -o "json=$dir/contract/report.json" >/dev/null
"$bin" report "$dir/mutant/report.json" -o "$dir/mutant/again.html"
cmp -s "$dir/mutant/live.html" "$dir/mutant/again.html" \
  || { echo "html_report: the page from report.json differs from the page of the run" >&2; exit 1; }
python3 "$src/tests/html_check.py" run "$dir/mutant/live.html" "$dir/mutant/report.json"
cat >"$dir/matrix.json" <<J
{"kernels": [
 {"label": "planted", "release": "x", "status": "FAIL", "dir": "mutant", "profile": "linux", "note": "",
  "failures": [{"scenario": "race/cancel_pipe_read", "rule": "uring.cancel.consistent", "known": true, "reason": "r"}]},
 {"label": "contract", "release": "x", "status": "PASS", "dir": "contract", "profile": "contract", "note": "", "failures": []},
 {"label": "old", "release": "", "status": "TIMEOUT", "dir": "old", "profile": "linux", "note": "hung", "failures": []}]}
J
"$bin" report --matrix "$dir" 2>/dev/null
python3 "$src/tests/html_check.py" matrix "$dir/matrix.html" "$dir/matrix.json"
