#!/bin/sh
# ctest html_report: the HTML pages parsed by a real HTML parser (python3's html.parser,
# tests/html_check.py) and checked against the runs they show: a run with a planted
# failure (--mutant) written live (-o html=) and again from its JSON (`ringside report`:
# the same page), a run with the kernel's known deviations (on kernels that have them: 6.18
# does), and a kernel matrix made from three real runs and a kernel without a report.
#   usage: tests/html_report.sh RINGSIDE_BINARY SOURCE_DIR
set -eu
bin=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/mutant" "$dir/contract" "$dir/known" "$dir/old"
fail() { echo "html_report: $*" >&2; exit 1; }
# Not judged on the kernel log: other tests running beside this one may make it speak.
rc=0
"$bin" run -f race -f uring_cancel --mutant uring.cancel_zero_normal --no-kernel-log \
  -o "html=$dir/mutant/live.html" -o "json=$dir/mutant/report.json" >"$dir/mutant.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { tail "$dir/mutant.txt" >&2; fail "the planted failure did not fail the run (exit $rc)"; }
rc=0
"$bin" run -f eventfd -f pipe --profile contract --no-kernel-log -o "json=$dir/contract/report.json" \
  >"$dir/contract.txt" 2>&1 || rc=$?
# A failure here is a page to render as well; only a run that did not happen is ours.
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { tail "$dir/contract.txt" >&2; fail "ringside run exited $rc"; }
rc=0
"$bin" run -f uring_order/link_timeout -f uring_order/count_timeout --no-kernel-log -o "html=$dir/known/live.html" \
  -o "json=$dir/known/report.json" >"$dir/known.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail "$dir/known.txt" >&2; fail "a run with only known deviations exited $rc"; }
python3 "$src/tests/html_check.py" run "$dir/known/live.html" "$dir/known/report.json"
"$bin" report "$dir/mutant/report.json" -o "$dir/mutant/again.html" || fail "ringside report REPORT.json"
cmp -s "$dir/mutant/live.html" "$dir/mutant/again.html" || fail "the page from report.json differs from the page of the run"
python3 "$src/tests/html_check.py" run "$dir/mutant/live.html" "$dir/mutant/report.json"
cat >"$dir/matrix.json" <<J
{"kernels": [
 {"label": "planted", "release": "x", "status": "FAIL", "dir": "mutant", "profile": "linux", "note": "",
  "failures": [{"scenario": "race/cancel_pipe_read", "rule": "uring.cancel.consistent", "known": true, "reason": "r"}]},
 {"label": "contract", "release": "x", "status": "PASS", "dir": "contract", "profile": "contract", "note": "", "failures": []},
 {"label": "known", "release": "x", "status": "KNOWN", "dir": "known", "profile": "linux", "note": "", "failures": []},
 {"label": "old", "release": "", "status": "TIMEOUT", "dir": "old", "profile": "linux", "note": "hung", "failures": []}]}
J
"$bin" report --matrix "$dir" 2>"$dir/report.txt" || { cat "$dir/report.txt" >&2; fail "ringside report --matrix"; }
python3 "$src/tests/html_check.py" matrix "$dir/matrix.html" "$dir/matrix.json"
