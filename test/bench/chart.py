#!/usr/bin/env python3
"""Draws test/bench/results.json as an SVG bar chart.

One group of bars per workload: the FDW, the raw client (pegasus-cli bench)
and postgres_fdw, each as long as its figure relative to the largest of the
group (units differ between workloads: ops/s, rows/s, MB, ms), its figure
written beside it.  Only the standard library is used.

usage: chart.py [RESULTS_JSON [OUTPUT_SVG]]
"""
import json
import sys
from xml.sax.saxutils import escape

SERIES = [("fdw", "pegasus_fdw", "#3b6fb6"),
          ("raw", "raw client", "#e08a2c"),
          ("postgres_fdw", "postgres_fdw", "#5a9e4b")]
LABEL_W = 330        # workload names
BAR_W = 420          # the longest bar of a group
BAR_H = 14
GAP = 10             # between groups
FIG_W = 110          # figures after the bars


def figure(v, unit):
    if v >= 100000:
        s = "{:,.0f}".format(v)
    elif v >= 100:
        s = "{:.0f}".format(v)
    else:
        s = "{:.3g}".format(v)
    return s + " " + unit


def draw(rows):
    groups = []
    for r in rows:
        bars = [(label, colour, r.get(key)) for key, label, colour in SERIES
                if isinstance(r.get(key), (int, float))]
        if bars:
            groups.append((r["workload"], r.get("unit", ""), bars))
    height = 40 + sum(len(b) * BAR_H + GAP for _, _, b in groups) + 30
    width = LABEL_W + BAR_W + FIG_W + 20
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']
    x = 10
    for _, label, colour in SERIES:
        out.append('<rect x="%d" y="10" width="12" height="12" fill="%s"/>' % (x, colour))
        out.append('<text x="%d" y="20">%s</text>' % (x + 16, escape(label)))
        x += 130
    out.append('<text x="%d" y="20" fill="#555">bars: share of the largest '
               'figure of each workload</text>' % x)
    y = 40
    for name, unit, bars in groups:
        top = max(v for _, _, v in bars) or 1
        gh = len(bars) * BAR_H
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (LABEL_W - 8, y + gh / 2 + 4, escape(name)))
        for label, colour, v in bars:
            w = max(1, BAR_W * v / top)
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s">'
                       '<title>%s: %s</title></rect>'
                       % (LABEL_W, y, w, BAR_H - 2, colour, escape(label),
                          escape(figure(v, unit))))
            out.append('<text x="%.1f" y="%d">%s</text>'
                       % (LABEL_W + w + 4, y + BAR_H - 4, escape(figure(v, unit))))
            y += BAR_H
        y += GAP
    out.append('</svg>')
    return "\n".join(out) + "\n"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "test/bench/results.json"
    dst = sys.argv[2] if len(sys.argv) > 2 else "test/bench/results.svg"
    with open(src) as f:
        rows = json.load(f)
    with open(dst, "w") as f:
        f.write(draw(rows))
    print("chart written to " + dst)


if __name__ == "__main__":
    main()
