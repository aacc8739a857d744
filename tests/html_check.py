#!/usr/bin/env python3
"""Parses ringside's HTML pages with python3's html.parser and checks their structure.

  html_check.py run PAGE.html REPORT.json       a run's page against the run's JSON report
  html_check.py matrix MATRIX.html MATRIX.json  the kernel matrix (and each kernel page it links)

Checks: well-formed nesting, self-contained (no script, no external resource, every
link resolves to an id of the page or to a page beside it), and the parts each page must
show for the data it was made from. Exit 1 with the problems listed.
"""
import json
import os
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "area", "base", "source"}
SVG_LEAVES = {"rect", "path", "line", "circle"}  # may be written <rect .../> or <rect></rect>


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def all(self, tag=None, cls=None):
        for c in self.children:
            if (tag is None or c.tag == tag) and (cls is None or cls in c.attrs.get("class", "").split()):
                yield c
            yield from c.all(tag, cls)

    def content(self):
        return self.text + "".join(c.content() for c in self.children)


class Page(HTMLParser):
    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path, self.errors, self.doctype = path, [], False
        self.root = Node("#root", {}, None)
        self.cur = self.root
        with open(path, encoding="utf-8") as f:
            self.feed(f.read())
        self.close()
        if self.cur is not self.root:
            self.errors.append("unclosed <%s>" % self.cur.tag)
        self.ids = {n.attrs["id"] for n in self.root.all() if "id" in n.attrs}

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.cur.tag != tag:
            self.errors.append("</%s> closes <%s> (line %d)" % (tag, self.cur.tag, self.getpos()[0]))
            return
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.cur.text += data


def check(cond, problems, what):
    if not cond:
        problems.append(what)


def self_contained(page, problems):
    check(page.doctype, problems, "no <!DOCTYPE html>")
    problems += page.errors
    html = list(page.root.all("html"))
    check(len(html) == 1, problems, "not one <html>")
    check(any(m.attrs.get("charset", "").lower() == "utf-8" for m in page.root.all("meta")), problems, "no utf-8 meta")
    heads = list(page.root.all("head"))
    check(len(heads) == 1 and len(list(heads[0].all("title"))) == 1, problems, "not one <head> with one <title>")
    for bad in ("script", "link", "img", "iframe", "object", "embed"):
        check(not list(page.root.all(bad)), problems, "has <%s>" % bad)
    for n in page.root.all():
        check("src" not in n.attrs, problems, "<%s src=...>" % n.tag)
        href = n.attrs.get("href")
        if href is None:
            continue
        if href.startswith("#"):
            check(href[1:] in page.ids, problems, "link %s to no id of the page" % href)
        else:
            target, _, frag = href.partition("#")
            check("://" not in href and not href.startswith("/"), problems, "external link " + href)
            file = os.path.join(os.path.dirname(page.path), target)
            check(os.path.isfile(file), problems, "link to a missing file " + href)
            if frag and os.path.isfile(file):
                check(frag in Page(file).ids, problems, "link %s: no such id in %s" % (href, target))


def family(name):
    return name.split("/", 1)[0] if "/" in name else "scenarios"


def check_run(path, report_path, known_by_matrix=None):
    """known_by_matrix: scenario -> reason of the failures a kernel matrix judged known
    (its page shows them as KNOWN though report.json, run with --known-deviations none,
    does not)."""
    problems = []
    page = Page(path)
    report = json.load(open(report_path))
    results = report["results"]
    for r in results:
        known = known_by_matrix or {}
        reason = known.get(r["display_name"], known.get(r["display_name"].replace(" ", "_").replace("#", "_")))
        if r["verdict"] == "FAIL" and not r.get("known") and reason is not None:
            r["known"] = reason or "known deviation"
            report["totals"]["fail"] = max(0, report["totals"]["fail"] - 1)
            report["totals"]["xfail"] = report["totals"].get("xfail", 0) + 1
    self_contained(page, problems)
    check(len(list(page.root.all("h1"))) == 1, problems, "not one <h1>")
    for sec in ("families", "failures", "races", "strictness", "runs"):
        check(sec in page.ids, problems, "no section #" + sec)
    fams = sorted({family(r["name"]) for r in results})
    table = list(page.root.all("table", "families"))
    check(len(table) == 1, problems, "not one families table")
    if table:
        rows = list(table[0].all("tbody"))[0].children
        check([r.children[0].content() for r in rows] == fams, problems, "families table rows are not %s" % fams)
    for f in fams:
        check("family-" + f.replace("/", "-") in page.ids, problems, "no #family-" + f)
    failing = [r for r in results if r["verdict"] == "ERROR" or (r["verdict"] == "FAIL" and not r.get("known"))]
    known = [r for r in results if r["verdict"] == "FAIL" and r.get("known")]
    blocks = list(page.root.all("section", "failure"))
    known_blocks = list(page.root.all("section", "st-known-box"))
    check(len(blocks) == min(len(failing), 100) + min(len(known), 100), problems,
          "%d failure blocks for %d failures and %d known deviations" % (len(blocks), len(failing), len(known)))
    check(len(known_blocks) == min(len(known), 100), problems, "%d known blocks for %d known" % (len(known_blocks), len(known)))
    check(bool(known) == ("known" in page.ids), problems, "a Known deviations section iff there is one")
    for r, b in zip(known, known_blocks):
        check(r["known"] in b.content(), problems, "known deviation %s: its reason is not shown" % r["display_name"])
    for r, b in zip(failing + known, [b for b in blocks if b not in known_blocks] + known_blocks):
        heads = [th.content() for th in b.all("th")]
        want = ["rule", "step", "expected", "observed"] if "expected" in r else ["reason"]
        check(all(w in heads for w in want), problems, "failure %s shows %s, not all of %s" % (r["display_name"], heads, want))
        traces = list(b.all("pre", "trace"))
        if r["trace"]:
            check(traces and r["trace"][-1] in traces[0].content(), problems, "failure %s: no trace" % r["display_name"])
    races = {}
    for r in results:
        for k in r.get("histogram", {}):
            races.setdefault(r["display_name"], set()).add(k)
    charts = list(page.root.all("svg"))
    check(len(charts) == len(races), problems, "%d charts for %d races" % (len(charts), len(races)))
    for svg, (name, outcomes) in zip(charts, sorted(races.items())):
        check(len(list(svg.all("rect"))) == len(outcomes), problems, "chart of %s: not one bar per outcome" % name)
    strict = report["strictness"]
    # each summary box: <div><b>NUMBER</b>what</div>
    boxes = {(list(box.all("b"))[0].content(), box.text) for summary in page.root.all("div", "summary")
             for box in summary.children if list(box.all("b"))}
    for n, what in ((strict["steps_run"], "steps run"), (strict["steps_judged"], "judged exactly"),
                    (len(strict["tolerances"]), "tolerances used"), (strict["unjudged_spans"], "unjudged spans"),
                    (report["totals"]["xfail"], "known")):
        check((str(n), what) in boxes, problems, "no summary box %d %s" % (n, what))
    tols = list(page.root.all("table", "tolerances"))
    tol_rows = len(list(list(tols[0].all("tbody"))[0].children)) if tols else 0
    check(tol_rows == len(strict["tolerances"]), problems, "%d tolerance rows for %d used" % (tol_rows, len(strict["tolerances"])))
    spans = list(page.root.all("table", "unjudged"))
    span_rows = len(list(list(spans[0].all("tbody"))[0].children)) if spans else 0
    check(span_rows == strict["unjudged_spans"], problems, "%d unjudged rows for %d spans" % (span_rows, strict["unjudged_spans"]))
    runs = sum(len(list(list(t.all("tbody"))[0].children)) for t in page.root.all("table", "runs"))
    check(runs == len(results), problems, "%d runs listed of %d" % (runs, len(results)))
    return problems


def check_matrix(path, matrix_path):
    problems = []
    page = Page(path)
    kernels = json.load(open(matrix_path))["kernels"]
    self_contained(page, problems)
    table = list(page.root.all("table", "matrix"))
    check(len(table) == 1, problems, "not one matrix table")
    if not table:
        return problems
    fams = [th.content() for th in list(table[0].all("thead"))[0].all("th")][4:]
    rows = list(list(table[0].all("tbody"))[0].children)
    check(len(rows) == len(kernels), problems, "%d rows for %d kernels" % (len(rows), len(kernels)))
    base = os.path.dirname(path)
    for k, row in zip(kernels, rows):
        cells = [c for c in row.children if c.tag == "td"][3:]
        has_report = os.path.isfile(os.path.join(base, k["dir"], "report.json"))
        if not has_report:
            check(len(cells) == 1 and cells[0].attrs.get("colspan") == str(len(fams)), problems,
                  "kernel %s without a report: not one cell across the families" % k["label"])
            continue
        check(len(cells) == len(fams), problems, "kernel %s: %d cells for %d families" % (k["label"], len(cells), len(fams)))
        for fam, c in zip(fams, cells):
            cls = c.attrs.get("class", "")
            if cls == "muted":
                continue
            check(cls.startswith("st-"), problems, "kernel %s %s: cell has no status class" % (k["label"], fam))
            links = list(c.all("a"))
            check(links and links[0].attrs["href"] == "%s/report.html#family-%s" % (k["dir"], fam), problems,
                  "kernel %s %s: cell does not link to its page" % (k["label"], fam))
    for k in kernels:
        sub = os.path.join(base, k["dir"], "report.html")
        if os.path.isfile(sub):
            known = {f["scenario"]: f["reason"] for f in k["failures"] if f["known"]}
            problems += ["%s: %s" % (sub, p) for p in check_run(sub, os.path.join(base, k["dir"], "report.json"), known)]
    return problems


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("run", "matrix"):
        sys.exit(__doc__)
    problems = (check_run if sys.argv[1] == "run" else check_matrix)(sys.argv[2], sys.argv[3])
    for p in problems:
        print("html_check: %s: %s" % (sys.argv[2], p))
    if problems:
        sys.exit(1)
    print("html_check: %s: ok" % sys.argv[2])


if __name__ == "__main__":
    main()
