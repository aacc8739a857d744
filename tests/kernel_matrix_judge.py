#!/usr/bin/env python3
"""ci/lib/matrix.py without qemu: the results stream is cut into reports (a cut-short one
is said so), known deviations match on release, FIXED-IN, scenario glob and rule, a
TIMEOUT says how far the suite got, and matrix.json has the documented fields."""
import json
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
judge = [sys.executable, os.path.join(root, "ci/lib/matrix.py")]
KTAP = """KTAP version 1
1..4
ok 1 epoll/a
# rule: uring.drain
not ok 2 uring_order/drain_orders_later
# rule: poll.in.eof
not ok 3 stream/x@epoll-et
ok 4 uring/y # SKIP requires uring.op.nop: not supported here (probed)
# Totals: pass:1 fail:2 xfail:0 xpass:0 skip:1 error:0
"""
KNOWN = """# RELEASE-GLOB FIXED-IN SCENARIO RULE REASON
6.1.*  6.16,6.1.200  uring_order/drain_orders_later  uring.drain  drain bug, fixed by abc
*  -  stream/x  poll.in.eof  rdhup bug
"""


def run(*args):
    return subprocess.run(judge + list(args), check=True, capture_output=True, text=True).stdout


def row(d, **kw):
    args = ["judge", d, "--label", os.path.basename(d), "--known", kw.pop("known")]
    for k, v in kw.items():
        args += ["--" + k, str(v)]
    status = run(*args).strip()
    return status, json.load(open(os.path.join(d, "row.json")))


with tempfile.TemporaryDirectory() as t:
    known = os.path.join(t, "known-kernel-deviations")
    open(known, "w").write(KNOWN)
    # The stream: the KTAP, then one complete report and one cut short.
    d = os.path.join(t, "k1")
    os.mkdir(d)
    stream = os.path.join(t, "stream")
    open(stream, "w").write(KTAP + "\n@@ringside-report junit.xml 5\n<a/>\n\n@@ringside-end junit.xml\n"
                            + "\n@@ringside-report report.json 100\n{\"x\": 1")
    said = run("split", stream, d)
    assert "junit.xml: complete" in said and "report.json: cut short: 7 of 100" in said, said
    assert "sent: not to the end" in said, said
    assert open(os.path.join(d, "ktap.txt")).read() == KTAP
    assert open(os.path.join(d, "junit.xml")).read() == "<a/>\n"
    # Every failure known on 6.1.192: KNOWN. A fixed version (6.1.200) is not known.
    status, r = row(d, status="FAIL", release="6.1.0-57-amd64", version="6.1.192", known=known)
    assert status == "KNOWN" and all(f["known"] for f in r["failures"]), r
    status, r = row(d, status="FAIL", release="6.1.0-57-amd64", version="6.1.200", known=known)
    assert status == "FAIL" and [f["known"] for f in r["failures"]] == [False, True], r
    # A release the glob does not match.
    status, r = row(d, status="FAIL", release="6.12.118+deb12-amd64", known=known)
    assert status == "FAIL", r
    # TIMEOUT: how far it got, and the failures that finished still judged.
    open(os.path.join(d, "ktap.txt"), "w").write(KTAP.split("ok 4")[0])
    status, r = row(d, status="TIMEOUT", release="6.1.0-57-amd64", version="6.1.192", known=known,
                    note="no verdict within --deadline 900s")
    assert status == "TIMEOUT", r
    assert "suite did not finish: 3 of 4 test points, the last stream/x@epoll-et (not ok)" in r["note"], r
    assert "2 failure(s), 0 not known" in r["note"], r
    # The matrix.
    out = run("render", t, d)
    doc = json.load(open(os.path.join(t, "matrix.json")))
    assert set(doc["kernels"][0]) == {"label", "release", "status", "dir", "profile", "failures", "note"}, doc
    assert doc["kernels"][0]["dir"] == "k1" and "TIMEOUT" in out, out
print("kernel_matrix_judge: all passed")
