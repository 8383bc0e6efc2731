#!/usr/bin/env python3
"""Turns results.json (from runbench.py) into a terminal table, results.md and chart.svg.

    python3 benchmarks/lib/report.py benchmarks/results/<timestamp>/results.json

Figures per (job, direct, target): the median of the repetitions and their spread (min..max) for
IOPS; MB/s is the median; p50/p99/p99.9 are the medians of each repetition's percentiles. Ratios
are tierfs's median IOPS over the other target's median IOPS (same block size, so the same ratio
as for MB/s). Writes a 'summary' section back into results.json.
"""
import json
import math
import os
import statistics
import sys
from html import escape

ORDER = ["tierfs", "passthrough", "passthrough-direct", "mergerfs", "mergerfs-direct", "backing"]
OTHERS = ORDER[1:]
COLORS = {"tierfs": "#e6550d", "passthrough": "#3182bd", "passthrough-direct": "#9ecae1", "mergerfs": "#31a354", "mergerfs-direct": "#a1d99b",
          "backing": "#737373"}
LABELS = {"tierfs": "tierfs", "passthrough": "C passthrough", "passthrough-direct": "C passthrough direct_io",
          "mergerfs": "mergerfs (defaults)",
          "mergerfs-direct": "mergerfs cache.files=off", "backing": "backing dir (ext4)"}
JOB_TEXT = {
    "randread-4k": "4 KiB random read, QD1",
    "randwrite-4k": "4 KiB random write, QD1",
    "randread-4k-4jobs": "4 KiB random read, 4 jobs",
    "seqread-1m": "1 MiB sequential read",
    "seqwrite-1m": "1 MiB sequential write",
    "randrw-70-30": "4 KiB random 70/30 read/write",
    "write-fdatasync-4k": "4 KiB write + fdatasync",
    "randread-zipf-4k": "4 KiB random read, Zipf 1.2",
    "randread-1k": "1 KiB random read, QD1",
    "randwrite-1k": "1 KiB random write, QD1",
}
# the original design's results table: job -> (row, latency in ms, IOPS, MB/s or None, factor to reach)
DESIGN = {
    "randread-1k": ("read 1 KB", 0.5, 2000, None, 10),
    "seqread-1m": ("read 1 MB", 2.0, 500, 500, 4),
    "randwrite-1k": ("write 1 KB", 0.8, 1250, None, 10),
    "seqwrite-1m": ("write 1 MB", 3.0, 333, 333, 4),
}
READS = ("randread", "seqread", "randrw")
# issue 9's "Figures to reach", whatever the job's direct: (other target, minimum tierfs/other)
GOALS = {
    "randread-4k": [("passthrough", 0.9), ("mergerfs", 1.0)],
    "randwrite-4k": [("passthrough", 0.9), ("mergerfs", 1.0)],
    "randread-4k-4jobs": [("passthrough", 0.9), ("mergerfs", 1.0)],
    "seqread-1m": [("passthrough", 0.9), ("mergerfs", 1.0)],
    "seqwrite-1m": [("passthrough", 0.9), ("mergerfs", 1.0)],
    "write-fdatasync-4k": [("backing", 0.5), ("mergerfs", 1.0)],
}
# issue 25's, for jobs through the page cache (direct=0): at least the C passthrough in both of its
# settings on every job, and these shares of ext4
BUFFERED_GOALS = {
    "randwrite-4k": [("backing", 0.5)],
    "seqwrite-1m": [("backing", 0.5)],
    "randrw-70-30": [("backing", 0.7)],
}
SHORT = {"passthrough": "pt", "passthrough-direct": "pt-direct", "mergerfs": "mfs", "mergerfs-direct": "mfs-direct", "backing": "back"}


def goals(job, direct):
    wanted = list(GOALS.get(job, [("mergerfs", 1.0)]))
    if direct == 0:
        wanted = [g for g in wanted if g[0] != "passthrough"] + [("passthrough", 1.0), ("passthrough-direct", 1.0)]
        wanted += BUFFERED_GOALS.get(job, [])
    return wanted


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def served(job, direct, target, runs, probe):
    """Where the data came from, short label and explanation. Reads are judged from what the disk
    actually read during the runs; whether a FUSE target's daemon took part, from its CPU time."""
    is_fuse = target != "backing"
    odirect_down = (target == "backing") or \
        ((probe.get(target) or {}).get("backing_opened_with_O_DIRECT") is True)
    if job.startswith("write-fdatasync"):
        return "disk", "every write is followed by fdatasync, which waits for the disk"
    if job.startswith(READS):
        ratios = [r["disk_read_bytes"] / r["read_io_bytes"] for r in runs
                  if r.get("read_io_bytes") and r.get("disk_read_bytes") is not None]
        ratio = med(ratios)
        cpu_per_op = med([r["daemon_cpu_s"] / r["total_ios"] * 1e6 for r in runs
                          if r.get("daemon_cpu_s") is not None and r.get("total_ios")])
        if ratio is not None and ratio >= 0.5:
            return "disk", "the disk read %.0f%% of the bytes fio read" % (100 * ratio)
        why = "the disk read %.0f%% of the bytes fio read" % (100 * (ratio or 0))
        if is_fuse and cpu_per_op is not None and cpu_per_op >= 3:
            return "daemon+mem", why + "; each request went to the daemon (%.0f us CPU/op), " \
                                       "which read its backing file from the host page cache" % cpu_per_op
        return "mem", why + ("; served from the mount's page cache, the daemon idle" if is_fuse
                             else "; served from the page cache")
    # write-only jobs: where a write is acknowledged
    if direct == 1 and odirect_down:
        return "disk", "O_DIRECT writes reach the device"
    if is_fuse:
        return "daemon+mem", "each write goes to the daemon, which writes to the host page cache"
    return "mem", "writes land in the page cache (written back later)"


def summarise(doc):
    probe = doc.get("odirect_probe", {})
    targets = [t["name"] for t in doc["targets"]]
    targets = [t for t in ORDER if t in targets] + [t for t in targets if t not in ORDER]
    rows, ratios = [], []
    for jd in doc["jobs"]:
        job, direct = jd["job"], jd["direct"]
        by = {}
        for t in targets:
            rs = [r for r in doc["runs"] if r["job"] == job and r["direct"] == direct and r["target"] == t]
            ok = [r for r in rs if "error" not in r]
            row = {"job": job, "direct": direct, "target": t, "runs": len(rs), "ok_runs": len(ok),
                   "errors": sorted({str(r["error"])[:160] for r in rs if "error" in r})}
            if ok:
                iops = [r["iops"] for r in ok]
                row.update({
                    "iops": med(iops), "iops_min": min(iops), "iops_max": max(iops),
                    "spread_pct": 100 * (max(iops) - min(iops)) / med(iops) if med(iops) else None,
                    "mb_s": med([r["bw_bytes"] / 1e6 for r in ok]),
                    "p50_ns": med([r["p50_ns"] for r in ok]),
                    "p99_ns": med([r["p99_ns"] for r in ok]),
                    "p999_ns": med([r["p999_ns"] for r in ok]),
                    "lat_kind": ok[0].get("lat_kind"),
                    "daemon_cpu_us_per_op": med([r["daemon_cpu_s"] / r["total_ios"] * 1e6 for r in ok
                                                 if r.get("daemon_cpu_s") is not None and r.get("total_ios")]),
                    "disk_read_ratio": med([r["disk_read_bytes"] / r["read_io_bytes"] for r in ok
                                            if r.get("read_io_bytes") and r.get("disk_read_bytes") is not None]),
                })
                row["served"], row["served_why"] = served(job, direct, t, ok, probe)
            rows.append(row)
            by[t] = row
        rr = {"job": job, "direct": direct}
        tf = by.get("tierfs", {}).get("iops")
        for other in OTHERS:
            o = by.get(other, {}).get("iops")
            rr["tierfs/" + other] = tf / o if tf and o else None
        checks = []
        for other, floor in goals(job, direct):
            v = rr.get("tierfs/" + other)
            if v is not None:
                checks.append({"vs": other, "min": floor, "ratio": v, "met": v >= floor})
        rr["goals"] = checks
        ratios.append(rr)
    return {"rows": rows, "ratios": ratios, "targets": targets}


# ---------- formatting ----------

def f_iops(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 100000:
        return "%.0fk" % (x / 1000)
    if x >= 1000:
        return "%.1fk" % (x / 1000)
    return "%.0f" % x


def f_mb(x):
    return "-" if x is None else ("%.0f" % x if x >= 10 else "%.1f" % x)


def f_lat(ns):
    if ns is None:
        return "-"
    if ns < 1e6:
        return "%.0fus" % (ns / 1e3) if ns >= 1e4 else "%.1fus" % (ns / 1e3)
    return "%.2fms" % (ns / 1e6)


def f_tick(v, unit_mb):
    t = f_mb(v) if unit_mb else f_iops(v)
    if v == 0:
        return "0"
    for a, b in ((".00M", "M"), (".0k", "k"), (".0", "")):
        if t.endswith(a):
            return t[:-len(a)] + b
    return t


def f_ratio(x):
    return "-" if x is None else "%.2fx" % x


def goal_text(rr):
    parts = []
    for g in rr["goals"]:
        parts.append("%s>=%.1f %s" % (SHORT.get(g["vs"], g["vs"]), g["min"], "ok" if g["met"] else "MISS"))
    return ", ".join(parts) or "-"


def table_lines(s, md):
    head = ["job", "direct", "target", "served from", "IOPS median (min..max)", "MB/s", "p50", "p99",
            "p99.9", "daemon CPU/op"]
    body = []
    for r in s["rows"]:
        if "iops" not in r:
            body.append([r["job"], str(r["direct"]), r["target"], "-", "FAILED: " + "; ".join(sorted({e.split(":")[0] for e in r["errors"]}))[:60],
                         "", "", "", "", ""])
            continue
        lat_mark = "*" if r.get("lat_kind") == "fdatasync" else ""
        cpu = r.get("daemon_cpu_us_per_op")
        body.append([r["job"], str(r["direct"]), r["target"], r["served"],
                     "%s (%s..%s)" % (f_iops(r["iops"]), f_iops(r["iops_min"]), f_iops(r["iops_max"])),
                     f_mb(r["mb_s"]), f_lat(r["p50_ns"]) + lat_mark, f_lat(r["p99_ns"]) + lat_mark,
                     f_lat(r["p999_ns"]) + lat_mark, "-" if cpu is None else "%.1fus" % cpu])
    rhead = ["job", "direct"] + ["tierfs/" + o for o in OTHERS] + ["goals"]
    rbody = [[r["job"], str(r["direct"])] + [f_ratio(r.get("tierfs/" + o)) for o in OTHERS] + [goal_text(r)]
             for r in s["ratios"]]
    return (render(head, body, md, right={4, 5, 6, 7, 8, 9}),
            render(rhead, rbody, md, right=set(range(2, 2 + len(OTHERS))), gaps=False))


def design_lines(s, md):
    """tierfs through the mount against the original design's table: latency is fio's median
    completion latency, the factor is the smaller of the latency and the throughput factors."""
    rows = {(r["job"], r["direct"]): r for r in s["rows"] if r["target"] == "tierfs" and r.get("iops")}
    head = ["design row", "design", "tierfs direct", "tierfs p50", "tierfs IOPS / MB/s", "factor", "goal"]
    body = []
    for job, (row, lat_ms, iops, mb, goal) in DESIGN.items():
        for d in (0, 1):
            r = rows.get((job, d))
            if not r:
                continue
            lat_factor = lat_ms * 1e6 / r["p50_ns"] if r.get("p50_ns") else None
            rate_factor = (r["mb_s"] / mb) if mb else (r["iops"] / iops)
            factor = min(f for f in (lat_factor, rate_factor) if f is not None)
            design = "%.1f ms, %s" % (lat_ms, "%d MB/s" % mb if mb else "%d IOPS" % iops)
            rate = ("%s MB/s" % f_mb(r["mb_s"])) if mb else ("%s IOPS" % f_iops(r["iops"]))
            body.append([row, design, str(d), f_lat(r["p50_ns"]), rate, "%.0fx" % factor,
                         ">=%dx %s" % (goal, "ok" if factor >= goal else "MISS")])
    return render(head, body, md, right={3, 4, 5}, gaps=False) if body else []


def render(head, body, md, right=(), gaps=True):
    if md:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return lines
    w = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
    fmt = lambda row: "  ".join(str(c).rjust(w[i]) if i in right else str(c).ljust(w[i]) for i, c in enumerate(row))
    lines = [fmt(head), "  ".join("-" * x for x in w)]
    prev = None
    for row in body:
        if gaps and prev is not None and (row[0], row[1]) != prev:
            lines.append("")
        prev = (row[0], row[1])
        lines.append(fmt(row))
    return lines


LEGEND = [
    "served from: `mem` = the kernel's page cache answered without the daemon (the backing directory at",
    "direct=0, or a FUSE mount's own page cache: keep_cache); `daemon+mem` = every request made a FUSE",
    "round trip and the daemon read or wrote its backing file in the host page cache; `disk` = the device",
    "(O_DIRECT on ext4, or fdatasync). Reads are judged from the disk's own counters during each run",
    "(/sys/dev/block/.../stat) and the daemon's CPU time, not assumed.",
    "Latency is fio's completion latency per request (clat), the median of the repetitions' percentiles;",
    "`*` = the fdatasync call's latency (the commit), not the write's. daemon CPU/op = the FUSE daemon's",
    "user+system CPU time during the run divided by the requests fio completed.",
]


def notes(doc, s):
    out = []
    for t, v in doc.get("odirect_probe", {}).items():
        b = (v or {}).get("backing_opened_with_O_DIRECT")
        w = (v or {}).get("odirect_write")
        if b is True:
            out.append("%s passes O_DIRECT on to its backing file: its direct=1 requests reach the disk, while "
                       "tierfs and the C passthrough strip O_DIRECT and serve direct=1 from the host page cache."
                       % t)
        elif b is False:
            out.append("%s strips O_DIRECT below FUSE (checked: its backing file descriptors lack O_DIRECT)." % t)
        if w and w != "ok":
            out.append("%s: an aligned 4 KiB O_DIRECT write through the mount fails: %s." % (t, w))
    noisy = ["%s/%d %s %.0f%%" % (r["job"], r["direct"], r["target"], r["spread_pct"]) for r in s["rows"]
             if r.get("spread_pct") is not None and r["spread_pct"] > 25]
    if noisy:
        out.append("repetitions spread more than 25%% of the median (the machine is shared; read these with "
                   "care): %s." % ", ".join(noisy))
    reclaimed = [r for r in doc["runs"] if r.get("reclaim_scanned_pages")]
    if reclaimed:
        worst = max(reclaimed, key=lambda r: r["reclaim_scanned_pages"])
        out.append("the kernel was reclaiming memory during %d of %d runs (most in %s direct=%d %s: %d pages "
                   "scanned); those runs shared the CPU with reclaim." % (
                       len(reclaimed), len(doc["runs"]), worst["job"], worst["direct"], worst["target"],
                       worst["reclaim_scanned_pages"]))
    for r in s["rows"]:
        if r["errors"]:
            out.append("%s direct=%d %s: %d of %d runs failed: %s" % (r["job"], r["direct"], r["target"],
                                                                   r["runs"] - r["ok_runs"], r["runs"],
                                                                   "; ".join(r["errors"])))
    return out


# ---------- chart ----------

def nice_axis(v):
    """(top, step) of a linear axis from 0 that holds v, with 4-6 round steps."""
    if v <= 0:
        return 1, 0.25
    e = 10 ** math.floor(math.log10(v))
    for m in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = m * e
        if v / step <= 5:
            return step * math.ceil(v / step - 1e-9), step
    return 10 * e, 2 * e


BAR_NAMES = {"tierfs": "tierfs", "passthrough": "pt", "passthrough-direct": "pt-d", "mergerfs": "mfs", "mergerfs-direct": "mfs-d",
             "backing": "ext4"}


def chart(doc, s, path):
    rows = {(r["job"], r["direct"], r["target"]): r for r in s["rows"]}
    panels = [(jd["job"], jd["direct"]) for jd in doc["jobs"]]
    targets = s["targets"]
    n = len(panels)
    cols = 4 if n >= 7 else (3 if n >= 5 else max(1, n))
    nrows = math.ceil(n / cols)
    pw, ph = 300, 300                     # panel size
    left, top = 58, 50                    # plot offsets inside a panel
    plot_w, plot_h = pw - left - 20, ph - top - 88
    header = 96
    W, H = max(cols * pw + 20, 900), header + nrows * ph + 36
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">' % (W, H, W, H),
         '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="white" stroke-width="2.2"/>'
         '</pattern></defs>',
         '<rect width="100%" height="100%" fill="white"/>']
    m = doc["meta"]
    title = "tierfs vs a C FUSE passthrough, mergerfs and the bare backing directory"
    sub = "fio psync, %s file per job, %s s per run, median of %s repetitions (whiskers: min..max); %s, %s" % (
        m.get("size"), m.get("runtime_s"), m.get("reps"), m.get("machine", ""), m.get("when", ""))
    o.append('<text x="14" y="26" font-size="18" font-weight="bold">%s</text>' % escape(title))
    o.append('<text x="14" y="45" font-size="11" fill="#444">%s</text>' % escape(sub))
    x = 14
    for t in targets:
        o.append('<rect x="%d" y="56" width="14" height="14" fill="%s"/>' % (x, COLORS.get(t, "#999")))
        o.append('<text x="%d" y="68" font-size="12">%s</text>' % (x + 19, escape(LABELS.get(t, t))))
        x += 34 + 7 * len(LABELS.get(t, t))
    o.append('<rect x="%d" y="56" width="14" height="14" fill="#777"/><rect x="%d" y="56" width="14" height="14" '
             'fill="url(#hatch)"/>' % (x, x))
    o.append('<text x="%d" y="68" font-size="12">hatched: served by the disk, not memory</text>' % (x + 19))
    o.append('<text x="14" y="86" font-size="11" fill="#444">Higher is better; each panel has its own scale. '
             'Under each panel: tierfs divided by the C passthrough (pt, the FUSE ceiling), mergerfs and ext4.'
             '</text>')
    for i, (job, d) in enumerate(panels):
        px, py = 10 + (i % cols) * pw, header + (i // cols) * ph
        unit_mb = job.startswith("seq")
        def val(r):
            return r["mb_s"] if unit_mb else r["iops"]
        def lo(r):
            return val(r) * r["iops_min"] / r["iops"]
        def hi(r):
            return val(r) * r["iops_max"] / r["iops"]
        vmax = max([hi(rows[(job, d, t)]) for t in targets if rows.get((job, d, t), {}).get("iops")] + [1])
        ymax, step = nice_axis(vmax * 1.1)
        o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#ddd" rx="4"/>'
                 % (px, py, pw - 10, ph - 10))
        o.append('<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>'
                 % (px + 10, py + 20, escape(JOB_TEXT.get(job, job))))
        o.append('<text x="%d" y="%d" font-size="11" fill="#555">%s</text>'
                 % (px + 10, py + 36, "buffered (direct=0)" if d == 0 else "O_DIRECT (direct=1)"))
        o.append('<text x="%d" y="%d" font-size="11" fill="#555" text-anchor="end">%s</text>'
                 % (px + pw - 20, py + 36, "MB/s" if unit_mb else "IOPS"))
        x0, y0 = px + left, py + top + plot_h
        k = 0
        while k * step <= ymax + 1e-9:
            v = k * step
            y = y0 - plot_h * v / ymax
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>'
                     % (x0, y, x0 + plot_w, y, "#999" if k == 0 else "#e4e4e4"))
            o.append('<text x="%d" y="%.1f" font-size="10" fill="#555" text-anchor="end">%s</text>'
                     % (x0 - 5, y + 3.5, f_tick(v, unit_mb)))
            k += 1
        bw = plot_w / max(1, len(targets))
        for ti, t in enumerate(targets):
            r = rows.get((job, d, t))
            bx = x0 + ti * bw
            cx = bx + bw / 2
            o.append('<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#333">%s</text>'
                     % (cx, y0 + 13, BAR_NAMES.get(t, t)))
            if not r:
                continue
            if not r.get("iops"):
                why = "failed"
                if r.get("errors") and "Invalid argument" in r["errors"][0]:
                    why = "EINVAL"
                o.append('<text x="%.1f" y="%.1f" font-size="10" fill="#c00" text-anchor="middle">%s</text>'
                         % (cx, y0 - 5, why))
                continue
            v = val(r)
            h = plot_h * v / ymax
            tip = "%s direct=%d %s: %s IOPS, %s MB/s, p50 %s, p99 %s, p99.9 %s; served from %s" % (
                job, d, t, f_iops(r["iops"]), f_mb(r["mb_s"]), f_lat(r["p50_ns"]), f_lat(r["p99_ns"]),
                f_lat(r["p999_ns"]), r["served"])
            o.append('<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                     % (escape(tip), bx + 6, y0 - h, bw - 12, h, COLORS.get(t, "#999")))
            if r["served"] == "disk":
                o.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#hatch)"/>'
                         % (bx + 6, y0 - h, bw - 12, h))
            o.append('</g>')
            ylo, yhi = y0 - plot_h * lo(r) / ymax, y0 - plot_h * hi(r) / ymax
            o.append('<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="#222" stroke-width="1"/>'
                     % (cx, ylo, yhi, cx - 4, ylo, cx + 4, cx - 4, yhi, cx + 4))
            o.append('<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#222">%s</text>'
                     % (cx, yhi - 4, f_mb(v) if unit_mb else f_iops(v)))
        rr = next((q for q in s["ratios"] if q["job"] == job and q["direct"] == d), {})
        parts = []
        for other in OTHERS:
            v = rr.get("tierfs/" + other)
            if v is not None:
                parts.append((BAR_NAMES[other], v))
        if parts:
            # the ratio to the passthrough is the headline: coloured by the 0.9x bar
            pt = dict(parts).get("pt")
            col = "#333" if pt is None else ("#1a7f37" if pt >= 0.9 else ("#b35900" if pt >= 0.5 else "#c00"))
            # two ratios a line, so that they fit the panel's width
            lines = [parts[:2], parts[2:4], parts[4:]]
            for li, chunk in enumerate(l for l in lines if l):
                text = ("tierfs = " if li == 0 else "") + ", ".join("%.2fx %s" % (v, name) for name, v in chunk)
                o.append('<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="%s">'
                         '<tspan font-weight="bold">%s</tspan></text>'
                         % (px + (pw - 10) / 2, y0 + 30 + 13 * li, col, escape(text)))
        if rows.get((job, d, "tierfs"), {}).get("p99_ns"):
            tr = rows[(job, d, "tierfs")]
            ptr = rows.get((job, d, "passthrough"), {})
            o.append('<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#555">%s</text>'
                     % (px + (pw - 10) / 2, y0 + 70, escape(
                         "p99%s: tierfs %s, pt %s" % (" fdatasync" if tr.get("lat_kind") == "fdatasync" else "",
                                                      f_lat(tr["p99_ns"]), f_lat(ptr.get("p99_ns"))))))
    o.append('<text x="14" y="%d" font-size="10" fill="#666">%s</text>' % (
        H - 14, escape("Generated by benchmarks/compare.sh; every figure and the method are in results.md and "
                       "results.json next to this file. Hover a bar for its latencies.")))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def markdown(doc, s, path):
    m = doc["meta"]
    t1, t2 = table_lines(s, md=True)
    L = ["# tierfs benchmark: %s" % m.get("when", ""), ""]
    L.append("![chart](chart.svg)")
    L.append("")
    L.append("## Setup")
    L.append("")
    for k, label in (("mode", "mode"), ("machine", "machine"), ("kernel", "kernel"), ("fio", "fio"),
                     ("mergerfs", "mergerfs"), ("libfuse", "libfuse2"), ("tierfs_commit", "tierfs commit"),
                     ("tierfs_jar", "tierfs jar"), ("size", "file size per job"), ("runtime_s", "runtime per run (s)"),
                     ("ramp_s", "ramp per run (s)"), ("reps", "repetitions"), ("order", "order"),
                     ("elapsed_s", "measuring time (s)")):
        if k in m:
            v = m[k]
            if isinstance(v, float):
                v = "%.0f" % v
            L.append("- %s: %s" % (label, v))
    if m.get("mounts"):
        L.append("- mounts:")
        for name, how in m["mounts"].items():
            L.append("  - %s: `%s`" % (name, how))
    L += ["", "## Results", ""] + t1 + [""] + LEGEND + ["", "## Ratios (median IOPS; same block size, so also MB/s)", ""]
    L += t2 + ["", "Goals are the issues' figures to reach. Issue 9: tierfs at least 0.9x the C passthrough (pt) "
                   "on the 4 KiB QD1, 4-job and 1 MiB jobs, at least mergerfs (mfs: its defaults, which keep the "
                   "page cache as tierfs does) everywhere, and at least half the backing directory (back) with "
                   "fdatasync. Issue 25, through the page cache (direct=0): at least 1.0x the passthrough in both "
                   "of its settings (pt-direct: direct_io on every open, its fastest for writes), and 0.5x ext4 "
                   "on 4 KiB random and 1 MiB sequential writes, 0.7x on the 70/30 mix. mfs-direct is mergerfs "
                   "with cache.files=off (direct_io on every open), shown for reference: it gives up shared mmap "
                   "and refuses O_DIRECT."]
    dl = design_lines(s, md=True)
    if dl:
        L += ["", "## The original design's table, through the mount", ""] + dl
    ns = notes(doc, s)
    if ns:
        L += ["", "## Notes", ""] + ["- " + n for n in ns]
    if m.get("skipped_jobs"):
        L += ["", "Not run in this mode: " + ", ".join(m["skipped_jobs"]) + "."]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    path = sys.argv[1]
    doc = json.load(open(path))
    s = summarise(doc)
    doc["summary"] = s
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    out = os.path.dirname(os.path.abspath(path))
    markdown(doc, s, os.path.join(out, "results.md"))
    chart(doc, s, os.path.join(out, "chart.svg"))
    t1, t2 = table_lines(s, md=False)
    print("\n".join(t1))
    print()
    print("\n".join(l.replace("`", "") for l in LEGEND))
    print()
    print("\n".join(t2))
    dl = design_lines(s, md=False)
    if dl:
        print()
        print("the original design's table, tierfs through the mount:")
        print("\n".join(dl))
    for n in notes(doc, s):
        print("note: " + n)
    if doc["meta"].get("skipped_jobs"):
        print("not run in this mode: " + ", ".join(doc["meta"]["skipped_jobs"]))


if __name__ == "__main__":
    main()
