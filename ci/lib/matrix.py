#!/usr/bin/env python3
"""ci/kernel-matrix's judge (Python 3 standard library only).

  matrix.py split STREAM DIR      cut the results stream of a guest (the KTAP, then the
                                  framed reports of ci/lib/send-reports) into DIR/ktap.txt,
                                  junit.xml, report.json; says which report is cut short
  matrix.py progress KTAP         one line: how far a running suite got
  matrix.py judge DIR [options]   one row: status, failures (each known or not, with the
                                  reason), how far it got; writes DIR/row.json
  matrix.py render OUT DIR...     OUT/matrix.json and OUT/matrix.txt from the rows, in order

A row's failures are KNOWN when ci/known-kernel-deviations (kernels: the guest's
`uname -r` and version) or ci/known-implementation-deviations (gVisor) lists them.
"""
import argparse
import fnmatch
import json
import os
import re
import sys

MARK_BEGIN = "@@ringside-report "
MARK_END = "@@ringside-end "
MARK_DONE = "@@ringside-done"
RESULT = re.compile(r"^(not )?ok (\d+) (\S+)(.*)$")


# --- the results stream -----------------------------------------------------------------
def split(stream, out_dir):
    """Writes the KTAP and each framed report; returns {name: "complete" | why not}."""
    with open(stream, "rb") as f:
        data = f.read()
    state = {}
    ktap_end = len(data)
    pos = 0
    while True:
        i = data.find(b"\n" + MARK_BEGIN.encode(), pos)
        if i < 0:
            break
        ktap_end = min(ktap_end, i)
        eol = data.find(b"\n", i + 1)
        if eol < 0:
            break
        head = data[i + 1:eol].decode(errors="replace").split()
        name, size = os.path.basename(head[1]), int(head[2]) if len(head) > 2 and head[2].isdigit() else -1
        body = data[eol + 1:eol + 1 + max(size, 0)]
        with open(os.path.join(out_dir, name), "wb") as g:
            g.write(body)
        if size < 0:
            state[name] = "no size in its header"
        elif len(body) < size:
            state[name] = "cut short: %d of %d bytes arrived" % (len(body), size)
        else:
            state[name] = "complete"
        pos = eol + 1 + len(body)
    with open(os.path.join(out_dir, "ktap.txt"), "wb") as g:
        g.write(data[:ktap_end].rstrip(b"\n") + b"\n" if data[:ktap_end] else b"")
    state["done"] = MARK_DONE.encode() in data
    return state


# --- KTAP -----------------------------------------------------------------------------------
def read_ktap(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def ktap_points(lines):
    """[(ok, name, skip_reason or None, rule or None)] in order."""
    points, rule = [], None
    for line in lines:
        if line.startswith("# rule: "):
            rule = line.split()[2]
            continue
        m = RESULT.match(line)
        if not m:
            continue
        rest = m.group(4)
        skip = rest.split("# SKIP", 1)[1].strip() if "# SKIP" in rest else None
        points.append((m.group(1) is None, m.group(3), skip, rule))
        rule = None
    return points


def ktap_plan(lines):
    for line in lines:
        m = re.match(r"^1\.\.(\d+)$", line)
        if m:
            return int(m.group(1))
    return None


def progress(lines):
    points = ktap_points(lines)
    plan = ktap_plan(lines)
    totals = next((l for l in lines if l.startswith("# Totals:")), None)
    if totals:
        return "suite finished (%s)" % totals[2:]
    if not points:
        return "suite not started (no KTAP test point)" if plan is None else "0 of %d test points" % plan
    ok, name, skip, _ = points[-1]
    last = "SKIP" if skip is not None else ("ok" if ok else "not ok")
    return "suite did not finish: %d of %s test points, the last %s (%s)" % (
        len(points), plan if plan is not None else "?", name, last)


# --- known deviations -----------------------------------------------------------------------
def version_tuple(text):
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def is_fixed(version, fixed_in):
    """fixed_in: '-' or comma-separated versions; x.y is a mainline release (fixed from it
    on), x.y.z a stable release of the x.y line (fixed in that line from it on)."""
    if version is None or fixed_in == "-":
        return False
    for v in fixed_in.split(","):
        fv = version_tuple(v)
        if fv is None:
            continue
        if len(fv) == 2 and version[:2] >= fv:
            return True
        if len(fv) == 3 and version[:2] == fv[:2] and version >= fv:
            return True
    return False


def read_entries(path, columns):
    entries = []
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = line.split(None, columns - 1)
                if len(parts) < columns:
                    sys.exit("%s:%d: expected %d columns" % (path, n, columns))
                entries.append(parts[:columns - 1] + [parts[-1].strip()])
    except FileNotFoundError:
        pass
    return entries


def scenario_matches(pattern, name):
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name.split("@", 1)[0], pattern)


class Known:
    """Which failures of one row are understood, and why."""

    def __init__(self, args):
        self.kernel = []
        self.impl = []
        self.release = args.release or ""
        self.version = version_tuple(args.version or "") or version_tuple(self.release)
        self.implementation = args.implementation
        self.profile = args.profile
        for path in args.known or []:
            if os.path.basename(path) == "known-implementation-deviations":
                self.impl += read_entries(path, 5)
            else:
                self.kernel += read_entries(path, 5)

    def reason(self, scenario, rule):
        if self.implementation:
            for impl, profiles, scn, r, why in self.impl:
                if (impl == self.implementation and self.profile in profiles.split(",")
                        and scenario_matches(scn, scenario) and r in (rule, "*")):
                    return why
            return None
        for glob, fixed_in, scn, r, why in self.kernel:
            if (fnmatch.fnmatchcase(self.release, glob) and not is_fixed(self.version, fixed_in)
                    and scenario_matches(scn, scenario) and r in (rule, "*")):
                return why
        return None


# --- a row ----------------------------------------------------------------------------------
def judge(args):
    lines = read_ktap(os.path.join(args.dir, "ktap.txt"))
    known = Known(args)
    failures = []
    for ok, name, skip, rule in ktap_points(lines):
        if ok:
            continue
        why = known.reason(name, rule or "-")
        failures.append({"scenario": name, "rule": rule or "-", "known": why is not None,
                         "reason": why or "not in the known-deviation lists"})
    status = args.status
    if status == "FAIL" and failures and all(f["known"] for f in failures):
        status = "KNOWN"
    note = args.note or ""
    if status not in ("PASS", "SKIP", "KNOWN", "FAIL", "UNAVAILABLE"):
        how_far = progress(lines)
        unknown = sum(not f["known"] for f in failures)
        judged = "; of what finished, %d failure(s), %d not known" % (len(failures), unknown) if failures else ""
        note = "; ".join(x for x in (note, how_far + judged) if x)
    row = {"label": args.label, "release": args.release or "", "status": status,
           "dir": os.path.basename(os.path.normpath(args.dir)), "profile": args.profile,
           "failures": failures, "note": note, "accel": args.accel, "seconds": round(args.seconds, 1)}
    if args.version:
        row["version"] = args.version
    with open(os.path.join(args.dir, "row.json"), "w") as f:
        json.dump(row, f, indent=1)
    print(status)


# --- the matrix -----------------------------------------------------------------------------
def families_of(dirs):
    fams = set()
    for d in dirs:
        for _, name, _, _ in ktap_points(read_ktap(os.path.join(d, "ktap.txt"))):
            fams.add(name.split("/", 1)[0])
    return sorted(fams)


def cell(points, fam):
    p = x = s = 0
    for ok, name, skip, _ in points:
        if name.split("/", 1)[0] != fam:
            continue
        if skip is not None:
            s += 1
        elif ok:
            p += 1
        else:
            x += 1
    return "%d/%d/%d" % (p, x, s) if p + x + s else "-"


def render(args):
    rows = []
    for d in args.dirs:
        with open(os.path.join(d, "row.json")) as f:
            rows.append(json.load(f))
    fams = families_of(args.dirs)
    table = [["target", "release", "status", "accel", "wall"] + fams]
    for d, r in zip(args.dirs, rows):
        points = ktap_points(read_ktap(os.path.join(d, "ktap.txt")))
        table.append([r["label"], r["release"] or "-", r["status"], r["accel"], "%.1fs" % r["seconds"]]
                     + [cell(points, fam) for fam in fams])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = ["", *("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table), ""]
    out.append("cells: passed/failed(+errors)/skipped per behaviour family. Reports: %s/<dir>/"
               "{ktap.txt,junit.xml,report.json,console.log}; matrix.json beside them" % args.out)
    for d, r in zip(args.dirs, rows):
        head = "%s (%s, profile %s): %s" % (r["label"], r["release"] or "-", r["profile"], r["status"])
        detail = []
        if r["note"]:
            detail.append("  " + r["note"])
        for fl in r["failures"]:
            detail.append("  %s %s (%s): %s" % ("KNOWN" if fl["known"] else "FAIL ", fl["scenario"], fl["rule"],
                                              fl["reason"]))
        skips = {}
        for _, name, skip, _ in ktap_points(read_ktap(os.path.join(d, "ktap.txt"))):
            if skip is not None:
                skips[skip] = skips.get(skip, 0) + 1
        for why, n in sorted(skips.items(), key=lambda kv: -kv[1]):
            detail.append("  SKIP x%d: %s" % (n, why))
        if detail:
            out.append(head)
            out += detail
    text = "\n".join(out) + "\n"
    with open(os.path.join(args.out, "matrix.txt"), "w") as f:
        f.write(text)
    keys = ("label", "release", "status", "dir", "profile", "failures", "note")
    doc = {"kernels": [{k: r[k] for k in keys} for r in rows]}
    with open(os.path.join(args.out, "matrix.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    sys.stdout.write(text)


def main():
    ap = argparse.ArgumentParser(prog="matrix.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split")
    s.add_argument("stream")
    s.add_argument("dir")
    p = sub.add_parser("progress")
    p.add_argument("ktap")
    j = sub.add_parser("judge")
    j.add_argument("dir")
    j.add_argument("--label", required=True)
    j.add_argument("--status", required=True)
    j.add_argument("--release", default="")
    j.add_argument("--version", default="", help="upstream version x.y.z, if the guest says it")
    j.add_argument("--profile", default="linux")
    j.add_argument("--implementation", default="", help="e.g. gvisor: match known-implementation-deviations")
    j.add_argument("--known", action="append")
    j.add_argument("--note", default="")
    j.add_argument("--accel", default="-")
    j.add_argument("--seconds", type=float, default=0.0)
    r = sub.add_parser("render")
    r.add_argument("out")
    r.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    if a.cmd == "split":
        state = split(a.stream, a.dir)
        for name in ("junit.xml", "report.json"):
            print("%s: %s" % (name, state.get(name, "never sent")))
        print("sent: %s" % ("all" if state["done"] else "not to the end"))
    elif a.cmd == "progress":
        print(progress(read_ktap(a.ktap)))
    elif a.cmd == "judge":
        judge(a)
    else:
        render(a)


if __name__ == "__main__":
    main()
