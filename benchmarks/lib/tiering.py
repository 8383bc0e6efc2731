#!/usr/bin/env python3
"""benchmarks/tiering.sh's helpers: the sampler that runs beside each fio run, checks of
`tierfs status --json`, and the report (summary.json, the IOPS-over-time chart, report.md).

    tiering.py sample --state DATA/daemon.json [--status-cmd CMD] [--memcg DIR] [--dev NAME=MAJ:MIN]... --out FILE
    tiering.py check-status FILE.json        exit 1, naming what is missing, unless tiers hot/ssd/hdd have
                                             capacityBytes, usedBytes and reads
    tiering.py fio-iops FIO.json             the read IOPS of a fio run (emulation checks)
    tiering.py placement FILE                the file's blocks per tier (xattr user.tierfs.tiers), or n/a
    tiering.py report WORK OUTDIR            summary.json, tiering.svg, report.md from WORK/config.env and WORK/runs/*
    tiering.py selftest                      the report on synthetic and partial inputs (no root, no fio)

Standard library only (no new Python packages). benchmarks/README.md, "tiering.sh", says what each
figure means and how it is measured.
"""
import json
import math
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from html import escape

TIERS = ("hot", "ssd", "hdd")
TIER_FIELDS = ("capacityBytes", "usedBytes", "reads")
SETTLE_S = 20   # the migration-on run counts as settled if these seconds before its window ran at 90% of it
RUN_ORDER = ("bare", "off", "on", "scan", "after")
RUN_LABEL = {"bare": "bare hdd filesystem", "off": "tierfs, migration off", "on": "tierfs, migration on",
             "scan": "sequential scan", "after": "tierfs, Zipf again after the scan"}
SHORT = {"bare": "bare hdd", "off": "migration off", "on": "migration on", "after": "after the scan"}
GOAL_TEXT = ["migration on / bare hdd", "migration on / migration off", "hot share / ideal", "after the scan / migration on"]
COLORS = {"bare": "#737373", "off": "#3182bd", "on": "#e6550d", "after": "#756bb1", "scan": "#bbbbbb"}
# the figures to reach: (name, numerator, denominator, minimum ratio)
GOALS = [
    ("tiered_iops >= 20x bare_hdd_iops", "tiered_iops", "bare_hdd_iops", 20.0),
    ("tiered_iops >= 5x migration_off_iops", "tiered_iops", "migration_off_iops", 5.0),
    ("hot_share >= 0.9x ideal_hot_share", "hot_share", "ideal_hot_share", 0.9),
    ("after_scan_iops >= 0.9x tiered_iops", "after_scan_iops", "tiered_iops", 0.9),
]


def parse_size(text):
    """128m, 1g, 4096, 128MiB (k/m/g/t are powers of 1024)."""
    t = str(text).strip().lower()
    for suffix in ("ib", "b"):
        if t.endswith(suffix) and len(t) > len(suffix) and not t[-len(suffix) - 1].isdigit():
            t = t[:-len(suffix)]
            break
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    if t and t[-1] in mult:
        return int(float(t[:-1]) * mult[t[-1]])
    return int(t)


def human(n):
    if n is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            v = n / size
            return ("%d %s" % (v, unit)) if v == int(v) else ("%.1f %s" % (v, unit))
    return "%d B" % n


def read_env(path):
    """KEY=VALUE lines (values may be shell-quoted) into a dict; {} if the file is missing."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            try:
                v = " ".join(shlex.split(v)) if v else ""
            except ValueError:
                pass
            out[k.strip()] = v
    return out


def num(d, k, cast=float):
    v = d.get(k)
    if v in (None, "", "n/a"):
        return None
    try:
        return cast(v)
    except ValueError:
        return None


# ---------- tierfs status ----------

def tiers_of(state):
    """{name: tier dict} of a status/daemon.json document."""
    out = {}
    for t in (state or {}).get("tiers") or []:
        if isinstance(t, dict) and t.get("name"):
            out[t["name"]] = t
    return out


def status_problems(state):
    """What the benchmark needs from `tierfs status --json` and does not find there."""
    if not isinstance(state, dict):
        return ["not a JSON object"]
    if not isinstance(state.get("tiers"), list):
        return ["no 'tiers' list"]
    tiers = tiers_of(state)
    problems = []
    for name in TIERS:
        if name not in tiers:
            problems.append("no tier named '%s' (tiers: %s)" % (name, ", ".join(tiers) or "none"))
            continue
        for f in TIER_FIELDS:
            if not isinstance(tiers[name].get(f), (int, float)):
                problems.append("tier '%s' has no numeric '%s'" % (name, f))
    return problems


def cmd_check_status(args):
    path = args[0]
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("cannot read %s as JSON: %s" % (path, e))
        return 1
    problems = status_problems(doc)
    if problems:
        print("; ".join(problems))
        return 1
    return 0


# ---------- the sampler ----------

def dev_stat(majmin):
    """(read requests completed, sectors read, write requests completed, sectors written)."""
    try:
        f = open("/sys/dev/block/%s/stat" % majmin).read().split()
        return int(f[0]), int(f[2]), int(f[4]), int(f[6])
    except (OSError, IndexError, ValueError):
        return None


def memcg_stat(d):
    if not d:
        return None
    out = {}
    for name in ("memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt", "memory.limit_in_bytes"):
        try:
            out[name.split(".", 1)[1]] = int(open(os.path.join(d, name)).read())
        except (OSError, ValueError):
            pass
    try:
        for line in open(os.path.join(d, "memory.stat")):
            k, v = line.split()
            if k in ("cache", "rss", "mapped_file", "dirty", "writeback", "inactive_file", "active_file"):
                out[k] = int(v)
    except (OSError, ValueError):
        pass
    try:
        for line in open(os.path.join(d, "memory.oom_control")):
            k, v = line.split()
            if k in ("oom_kill", "under_oom"):
                out[k] = int(v)
    except (OSError, ValueError):
        pass
    return out


def cmd_sample(args):
    import argparse
    ap = argparse.ArgumentParser(prog="tiering.py sample")
    ap.add_argument("--state", help="DATA/daemon.json: the daemon's state, rewritten every second")
    ap.add_argument("--status-cmd", help="a command printing `tierfs status --json` (used when --state lacks reads)")
    ap.add_argument("--memcg", help="the daemon's memory cgroup directory")
    ap.add_argument("--dev", action="append", default=[], help="NAME=MAJ:MIN of a block device to count")
    ap.add_argument("--hold-cache", type=int, default=0, metavar="BYTES",
                    help="keep the group's page cache at this size: each second, set its limit to the daemon's own "
                         "memory (usage - cache: anonymous and kernel) plus BYTES")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(args)
    devs = dict(d.split("=", 1) for d in a.dev)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(a.out, "a") as out:
        nxt = time.time()
        while not stop:
            rec = {"wall_ms": int(time.time() * 1000)}
            state = None
            if a.status_cmd:
                try:
                    p = subprocess.run(a.status_cmd, shell=True, capture_output=True, text=True, timeout=20)
                    state = json.loads(p.stdout) if p.returncode == 0 else None
                except (subprocess.SubprocessError, ValueError):
                    state = None
            elif a.state:
                try:
                    with open(a.state) as f:
                        state = json.load(f)
                except (OSError, ValueError):
                    state = None   # being rewritten: the next sample has it
            if state is not None:
                rec["updated_ms"] = state.get("updatedMillis", rec["wall_ms"])
                rec["tiers"] = {name: {k: t.get(k) for k in ("reads", "usedBytes", "capacityBytes")}
                                for name, t in tiers_of(state).items()}
            ds = {}
            for name, mm in devs.items():
                s = dev_stat(mm)
                if s:
                    ds[name] = s
            if ds:
                rec["dev"] = ds
            m = memcg_stat(a.memcg)
            if m and a.hold_cache and "usage_in_bytes" in m and "cache" in m:
                own = m["usage_in_bytes"] - m["cache"]
                target = -(-(own + a.hold_cache) // (1 << 20)) << 20     # whole MiB, rounded up
                if abs(target - m.get("limit_in_bytes", 0)) >= (1 << 20):
                    try:
                        with open(os.path.join(a.memcg, "memory.limit_in_bytes"), "w") as f:
                            f.write(str(target))
                        m["limit_in_bytes"] = target
                    except OSError as e:
                        rec["limit_error"] = "%s (wanted %d)" % (e, target)
            if m:
                rec["mem"] = m
            out.write(json.dumps(rec) + "\n")
            out.flush()
            nxt += a.interval
            while not stop and time.time() < nxt:
                time.sleep(min(0.1, max(0.0, nxt - time.time())))
    return 0


# ---------- small commands for tiering.sh ----------

def fio_read_iops(path):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON document
    doc = json.loads(text[text.index("{"):])
    jobs = doc["jobs"]
    return sum(j["read"]["iops"] for j in jobs), doc


def cmd_fio_iops(args):
    iops, _ = fio_read_iops(args[0])
    print("%.0f" % iops)
    return 0


def cmd_placement(args):
    try:
        v = os.getxattr(args[0], "user.tierfs.tiers").decode().strip()
        print(v or "n/a")
    except OSError as e:
        print("n/a (%s)" % (os.strerror(e.errno) if e.errno else e))
    return 0


# ---------- reading a run ----------

def read_iops_log(path):
    """[(seconds since the job started, IOPS in the second before)] from fio's PREFIX_iops.1.log."""
    out = []
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            p = line.split(",")
            if len(p) >= 2:
                try:
                    out.append((int(p[0]) / 1000.0, float(p[1])))
                except ValueError:
                    pass
    return out


def window_mean(series, a, b):
    """Mean of the per-second IOPS entries whose second ends in (a, b + 0.5]."""
    vals = [v for t, v in series if a < t <= b + 0.5]
    return (sum(vals) / len(vals), len(vals)) if vals else (None, 0)


def trace_counts(path, windows, block_size):
    """Reads per block within each window [(a_s, b_s), ...] (seconds since the job started) of a
    fio version 3 iolog. Returns ([{block: reads}], total reads in the file)."""
    counts = [dict() for _ in windows]
    wins = [(int(a * 1e6), int(b * 1e6)) for a, b in windows]
    names = {}
    total = 0
    if not path or not os.path.exists(path):
        return None, 0
    with open(path) as f:
        first = f.readline()
        if "version 3" not in first:
            raise SystemExit("%s: not a fio version 3 iolog (first line %r); fio 3.31 or later writes one"
                             % (path, first.strip()))
        for line in f:
            p = line.split()
            if len(p) != 5 or p[2] != "read":
                continue
            total += 1
            ts = int(p[0])
            fid = names.get(p[1])
            if fid is None:
                fid = names[p[1]] = len(names)
            key = (fid << 44) | (int(p[3]) // block_size)
            for i, (a, b) in enumerate(wins):
                if a <= ts < b:
                    c = counts[i]
                    c[key] = c.get(key, 0) + 1
    return counts, total


def ideal_share(counts, nblocks):
    """Share of the reads that hit the nblocks most read blocks: an ideal frequency-ordered
    placement of that many blocks, knowing the window's reads in advance."""
    total = sum(counts.values())
    if not total:
        return None
    top = sorted(counts.values(), reverse=True)[:nblocks]
    return sum(top) / total


def top_set(counts, n):
    return set(k for k, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:n])


def read_samples(path):
    out = []
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def sample_time(s):
    return s.get("updated_ms", s["wall_ms"])


def bracket(samples, t_a_ms, t_b_ms, need_tiers=True):
    """The first sample taken at or after t_a and the last at or before t_b (daemon times)."""
    with_tiers = [s for s in samples if s.get("tiers") or not need_tiers]
    a = next((s for s in with_tiers if sample_time(s) >= t_a_ms), None)
    b = next((s for s in reversed(with_tiers) if sample_time(s) <= t_b_ms), None)
    if a is None or b is None or sample_time(b) <= sample_time(a):
        return None, None
    return a, b


def tier_reads(s, name):
    v = ((s.get("tiers") or {}).get(name) or {}).get("reads")
    return v if isinstance(v, (int, float)) else None


def share_between(a, b):
    """(hot share, {tier: reads}) between two samples, or (None, deltas) if counters are missing."""
    deltas = {}
    for name in TIERS:
        x, y = tier_reads(a, name), tier_reads(b, name)
        deltas[name] = None if x is None or y is None else y - x
    if any(v is None for v in deltas.values()):
        return None, deltas
    total = sum(deltas.values())
    return (deltas["hot"] / total if total > 0 else None), deltas


def dev_delta(a, b, name):
    x, y = (a.get("dev") or {}).get(name), (b.get("dev") or {}).get(name)
    if not x or not y:
        return None
    return {"read_requests": y[0] - x[0], "read_bytes": (y[1] - x[1]) * 512,
            "write_requests": y[2] - x[2], "write_bytes": (y[3] - x[3]) * 512}


def load_run(work, name):
    d = os.path.join(work, "runs", name)
    meta = read_env(os.path.join(d, "meta.env"))
    if not meta:
        return None
    run = {"name": name, "dir": d, "meta": meta}
    fj = os.path.join(d, "fio.json")
    if os.path.exists(fj):
        try:
            run["fio_iops"], run["fio"] = fio_read_iops(fj)
        except (ValueError, KeyError) as e:
            run["error"] = "fio.json unreadable: %s" % e
    run["series"] = read_iops_log(os.path.join(d, "iops_iops.1.log"))
    run["samples"] = read_samples(os.path.join(d, "samples.jsonl"))
    return run


# ---------- the report ----------

def analyse(work):
    cfg = read_env(os.path.join(work, "config.env"))
    bs = num(cfg, "block_size", int) or 131072
    hot_bytes = num(cfg, "hot_bytes", int)
    ssd_bytes = num(cfg, "ssd_bytes", int)
    runs = {n: r for n in RUN_ORDER for r in [load_run(work, n)] if r}
    res = {"config": cfg, "runs": {}, "notes": []}
    # the hot tier's size in blocks: as the daemon reports it, else as configured
    hot_cap = None
    for n in ("on", "after", "off"):
        r = runs.get(n)
        if r and r["samples"]:
            caps = [((s.get("tiers") or {}).get("hot") or {}).get("capacityBytes") for s in r["samples"]]
            caps = [c for c in caps if isinstance(c, (int, float)) and c > 0]
            if caps:
                hot_cap = int(caps[-1])
                break
    if hot_cap is None:
        hot_cap = hot_bytes
    elif hot_bytes and hot_cap != hot_bytes:
        res["notes"].append("the daemon reports a hot tier of %s (asked for %s); the ideal placement uses "
                            "the daemon's figure" % (human(hot_cap), human(hot_bytes)))
    hot_blocks = hot_cap // bs if hot_cap else None
    fast_blocks = (hot_cap + ssd_bytes) // bs if hot_cap and ssd_bytes else None
    res["hot_capacity_bytes"], res["hot_blocks"], res["block_size"] = hot_cap, hot_blocks, bs
    res["fast_blocks"] = fast_blocks

    t_on0 = num(runs["on"]["meta"], "t0_ms", int) if "on" in runs else None
    for n, r in runs.items():
        m = r["meta"]
        out = {"label": RUN_LABEL.get(n, n), "kind": m.get("kind", "zipf")}
        res["runs"][n] = out
        t0 = num(m, "t0_ms", int)
        t_end = num(m, "t_end_ms", int)
        out["t0_ms"], out["t_end_ms"] = t0, t_end
        if t_on0 is not None and t0 is not None:
            out["offset_s"] = (t0 - t_on0) / 1000.0   # where the run starts on the chart's time axis
        if r.get("error"):
            out["error"] = r["error"]
        if m.get("kind") == "scan":
            if r.get("fio"):
                j = r["fio"]["jobs"][0]
                out["read_bytes"] = j["read"]["io_bytes"]
                out["seconds"] = j["read"]["runtime"] / 1000.0
                out["mb_s"] = j["read"]["bw_bytes"] / 1e6
            if r["samples"] and len(r["samples"]) >= 2:
                a, b = [s for s in r["samples"] if s.get("tiers")][:1], [s for s in r["samples"] if s.get("tiers")][-1:]
                if a and b:
                    out["tier_reads"] = share_between(a[0], b[0])[1]
            continue
        runtime = num(m, "runtime_s") or (r["series"][-1][0] if r["series"] else None)
        warm = num(m, "warm_s") or 0.0
        out["runtime_s"], out["window_start_s"] = runtime, warm
        out["series"] = [[round(t, 3), round(v, 1)] for t, v in r["series"]]
        if runtime is None:
            out["error"] = out.get("error") or "no fio output"
            continue
        out["window_iops"], out["window_seconds_logged"] = window_mean(r["series"], warm, runtime)
        out["run_iops"] = r.get("fio_iops")
        if out["window_iops"] is None and r.get("fio_iops") is not None and warm == 0:
            out["window_iops"] = r["fio_iops"]
        # the hot share over the window, from the daemon's counters
        win_a, win_b = warm, runtime    # seconds since fio started
        samples = r["samples"]
        if samples and t0 is not None:
            a, b = bracket(samples, t0 + warm * 1000, t0 + runtime * 1000)
            if a is not None:
                hs, deltas = share_between(a, b)
                out["hot_share"], out["tier_reads"] = hs, deltas
                out["share_window_s"] = [(sample_time(a) - t0) / 1000.0, (sample_time(b) - t0) / 1000.0]
                win_a, win_b = out["share_window_s"]   # the trace is cut at the same moments
                usage = {}
                for name in TIERS:
                    u = ((b.get("tiers") or {}).get(name) or {}).get("usedBytes")
                    if isinstance(u, (int, float)):
                        usage[name] = u
                if usage:
                    out["tier_used_bytes_end"] = usage
            else:   # no daemon (the bare run) or no counters: the devices over the window
                a, b = bracket(samples, t0 + warm * 1000, t0 + runtime * 1000, need_tiers=False)
            if a is not None:
                for dev in ("ssd", "hdd"):
                    dd = dev_delta(a, b, dev)
                    if dd is not None:
                        secs = (sample_time(b) - sample_time(a)) / 1000.0
                        dd["read_requests_per_s"] = dd["read_requests"] / secs if secs > 0 else None
                        out.setdefault("device_io", {})[dev] = dd
            mem = [x["mem"] for x in samples if x.get("mem")]
            if mem:
                e = mem[-1]
                out["memory"] = {
                    "limit_bytes_end": e.get("limit_in_bytes"),
                    "limit_bytes_range": [min(x.get("limit_in_bytes", 0) for x in mem),
                                          max(x.get("limit_in_bytes", 0) for x in mem)],
                    "max_usage_bytes": max(x.get("max_usage_in_bytes", 0) for x in mem),
                    "own_bytes_end": e["usage_in_bytes"] - e["cache"] if "usage_in_bytes" in e and "cache" in e else None,
                    "cache_bytes_end": e.get("cache"), "rss_bytes_end": e.get("rss"),
                    "mapped_file_bytes_end": e.get("mapped_file"),
                    "failcnt": e.get("failcnt"), "oom_kill": e.get("oom_kill"),
                }
                errs = [x["limit_error"] for x in samples if x.get("limit_error")]
                if errs:
                    out["memory"]["limit_errors"] = len(errs)
                    res["notes"].append("%s: the memory limit could not follow the daemon %d times (%s)"
                                        % (n, len(errs), errs[-1]))
            # the hot share over time, for the chart: every 5 s
            pts = []
            with_tiers = [s for s in samples if s.get("tiers")]
            step = 5
            i = 0
            while i + step < len(with_tiers):
                hs, _ = share_between(with_tiers[i], with_tiers[i + step])
                if hs is not None:
                    pts.append([round((sample_time(with_tiers[i + step]) - t0) / 1000.0, 2), round(hs, 4)])
                i += step
            out["hot_share_series"] = pts
        out["window_s"] = [win_a, win_b]
        # the reads of the same window, from fio's own trace
        trace = os.path.join(r["dir"], "trace.log")
        if os.path.exists(trace) and hot_blocks:
            counts, total = trace_counts(trace, [(win_a, win_b)], bs)
            c = counts[0]
            out["trace_reads_total"] = total
            out["trace_reads_window"] = sum(c.values())
            out["trace_iops_window"] = sum(c.values()) / (win_b - win_a) if win_b > win_a else None
            out["blocks_read_window"] = len(c)
            if n != "bare":   # 200 reads a second are too few to rank 1000 blocks by
                out["ideal_hot_share"] = ideal_share(c, hot_blocks)
                out["ideal_fast_share"] = ideal_share(c, fast_blocks) if fast_blocks else None
            out["top_block_share"] = ideal_share(c, 1)
            r["counts"] = c
        # settled? the 20 s before the window must already run at 90% of the window's rate
        if warm > 0 and n in ("on", "off"):
            pre = min(SETTLE_S, warm)
            prev, _ = window_mean(r["series"], warm - pre, warm)
            out["preceding_iops"], out["preceding_s"] = prev, pre
            if prev and out["window_iops"]:
                out["settled"] = prev >= 0.9 * out["window_iops"]
    # does every run draw the same hot set? (fio's Zipf with its default seed should.) The share of
    # each run's reads that fall on the migration-on window's most read blocks must come near that
    # window's own ideal share
    if "on" in runs and runs["on"].get("counts") and hot_blocks:
        top = top_set(runs["on"]["counts"], hot_blocks)
        for n in ("off", "after", "bare"):
            c = (runs.get(n) or {}).get("counts")
            if c:
                res["runs"][n]["share_on_hot_set"] = sum(v for k, v in c.items() if k in top) / sum(c.values())

    g = lambda n, k: res["runs"].get(n, {}).get(k)
    s = {
        "tiered_iops": g("on", "window_iops"),
        "migration_off_iops": g("off", "window_iops"),
        "bare_hdd_iops": g("bare", "window_iops"),
        "hot_share": g("on", "hot_share"),
        "ideal_hot_share": g("on", "ideal_hot_share"),
        "after_scan_iops": g("after", "window_iops"),
    }
    goals = []
    for name, num_k, den_k, floor in GOALS:
        x, y = s[num_k], s[den_k]
        ratio = x / y if x is not None and y else None
        goals.append({"goal": name, "ratio": ratio, "min": floor,
                      "met": None if ratio is None else ratio >= floor})
    res["summary"] = s
    res["goals"] = goals
    return res


def summary_doc(res):
    doc = dict(res["summary"])
    doc["goals"] = res["goals"]
    doc["all_goals_met"] = all(g["met"] for g in res["goals"]) if all(g["met"] is not None for g in res["goals"]) else None
    cfg = res["config"]
    def typed(v):
        for cast in (int, float):
            try:
                return cast(v)
            except ValueError:
                pass
        return v
    doc["config"] = {k: typed(cfg[k]) for k in sorted(cfg)}
    doc["hot_capacity_bytes"], doc["hot_blocks"], doc["block_size"] = res["hot_capacity_bytes"], res["hot_blocks"], res["block_size"]
    runs = {}
    for n, r in res["runs"].items():
        if r.get("kind") != "scan":
            r["served"] = served_from(r)
        runs[n] = {k: v for k, v in r.items() if k not in ("series", "hot_share_series")}
    doc["runs"] = runs
    doc["notes"] = res["notes"]
    return doc


def f_iops(x):
    if x is None:
        return "-"
    if x >= 100000:
        return "%.0fk" % (x / 1000)
    if x >= 10000:
        return "%.1fk" % (x / 1000)
    return "%.0f" % x


def f_share(x):
    return "-" if x is None else "%.3f" % x


def served_from(r):
    """Where a run's reads were answered, from the devices' own counters over the window: the share
    of fio's reads that reached no device (page cache or the hot tier's mapped pages), and per tier
    the share of tierfs's block reads that its device never saw (the page cache answered)."""
    out = {}
    iops = r.get("trace_iops_window") or r.get("window_iops")
    dev = r.get("device_io") or {}
    ssd, hdd = (dev.get("ssd") or {}).get("read_requests_per_s"), (dev.get("hdd") or {}).get("read_requests_per_s")
    if iops and ssd is not None and hdd is not None:
        out["device_reads_per_s"] = {"ssd": ssd, "hdd": hdd}
        out["no_device_share"] = max(0.0, 1 - (ssd + hdd) / iops)
    tr = r.get("tier_reads") or {}
    w = r.get("share_window_s")
    if w and w[1] > w[0] and all(isinstance(tr.get(t), (int, float)) for t in TIERS):
        secs = w[1] - w[0]
        out["tier_reads_per_s"] = {t: tr[t] / secs for t in TIERS}
        for t, d in (("ssd", ssd), ("hdd", hdd)):
            if d is not None and tr[t] > 0:
                # the ssd device also serves the data folder (the hot tier's file, metadata): a floor
                out["%s_page_cache_share" % t] = max(0.0, 1 - d / (tr[t] / secs))
    return out


def report_lines(res):
    s, cfg, runs = res["summary"], res["config"], res["runs"]
    L = []
    L.append("setup: hot tier %s, ssd tier %s, data set %s, block %s (hot tier = %s blocks)" % (
        human(num(cfg, "hot_bytes", int)), human(num(cfg, "ssd_bytes", int)), human(num(cfg, "data_bytes", int)),
        human(res["block_size"]), res["hot_blocks"] if res["hot_blocks"] is not None else "-"))
    if cfg.get("mem_rule"):
        L.append("daemon memory cgroup: %s" % cfg["mem_rule"])
    if cfg.get("hdd_iops"):
        L.append("hdd: loop device throttled to %s read and write IOPS (blkio); ssd: loop device, unthrottled"
                 % cfg["hdd_iops"])
    emu = [(k, cfg.get(k)) for k in ("emu_ssd_loop_iops", "emu_ssd_native_iops", "emu_hdd_throttled_iops",
                                     "emu_hdd_unthrottled_iops") if cfg.get(k)]
    if emu:
        L.append("emulation check (4 KiB O_DIRECT random reads, raw devices): " + ", ".join(
            "%s %s" % (k[4:].replace("_iops", "").replace("_", " "), f_iops(float(v))) for k, v in emu))
    L.append("")
    head = ["run", "IOPS", "window s", "hot share", "ideal", "tier reads/s hot/ssd/hdd", "device reads/s ssd/hdd",
            "no device", "memory own+cache (limit)"]
    body = []
    for n in RUN_ORDER:
        r = runs.get(n)
        if not r:
            continue
        if r.get("kind") == "scan":
            tr = r.get("tier_reads") or {}
            body.append([RUN_LABEL[n], "%s MB/s" % ("%.0f" % r["mb_s"] if r.get("mb_s") else "-"),
                         "%.0f s" % r["seconds"] if r.get("seconds") else "-", "", "",
                         "blocks " + "/".join("-" if tr.get(t) is None else str(tr[t]) for t in TIERS) if tr else "",
                         "", "", ""])
            continue
        sf = r["served"] = served_from(r)
        w = r.get("window_s") or [None, None]
        tps = sf.get("tier_reads_per_s")
        dps = sf.get("device_reads_per_s")
        mem = r.get("memory") or {}
        memtxt = "-"
        if mem.get("own_bytes_end") is not None:
            memtxt = "%s+%s (%s)" % (human(mem["own_bytes_end"]), human(mem.get("cache_bytes_end")),
                                     human(mem.get("limit_bytes_end")))
        body.append([RUN_LABEL[n], f_iops(r.get("window_iops")),
                     "%.0f-%.0f" % (w[0], w[1]) if w[0] is not None else "-",
                     f_share(r.get("hot_share")), f_share(r.get("ideal_hot_share")),
                     "/".join(f_iops(tps[t]) for t in TIERS) if tps else "-",
                     "/".join(f_iops(dps[t]) for t in ("ssd", "hdd")) if dps else "-",
                     "%.0f%%" % (100 * sf["no_device_share"]) if "no_device_share" in sf else "-", memtxt])
    w = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
    for row in [head, ["-" * x for x in w]] + body:
        L.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(row)).rstrip())
    L.append("")
    for n in RUN_ORDER:
        sf = (runs.get(n) or {}).get("served") or {}
        parts = []
        for t in ("hdd", "ssd"):
            v = sf.get("%s_page_cache_share" % t)
            if v is not None:
                parts.append("%.0f%% of the %s tier's block reads never reached its device" % (100 * v, t))
        if parts:
            L.append("%s: %s (the page cache answered them)" % (RUN_LABEL[n], "; ".join(parts)))
    L.append("")
    for k in ("tiered_iops", "migration_off_iops", "bare_hdd_iops", "hot_share", "ideal_hot_share", "after_scan_iops"):
        v = s[k]
        L.append("%-20s %s" % (k, "not measured" if v is None else (f_share(v) if "share" in k else "%.0f" % v)))
    L.append("")
    for gl in res["goals"]:
        if gl["met"] is None:
            L.append("goal %-40s not measured" % gl["goal"])
        else:
            L.append("goal %-40s %.2fx  %s" % (gl["goal"], gl["ratio"], "met" if gl["met"] else "MISSED"))
    for n in ("off", "on"):
        r = runs.get(n, {})
        if r.get("settled") is False:
            L.append("warning: the %s run was still speeding up: %s IOPS in the window against %s in the %.0f s "
                     "before it (settled means at least 90%%); raise --warmup" % (
                         RUN_LABEL[n], f_iops(r.get("window_iops")), f_iops(r.get("preceding_iops")),
                         r.get("preceding_s") or 0))
    for n in ("off", "on", "after"):
        r = runs.get(n) or {}
        tps = (r.get("served") or {}).get("tier_reads_per_s")
        fio_rate = r.get("trace_iops_window")
        if tps and fio_rate:
            ratio = sum(tps.values()) / fio_rate
            r["tier_reads_over_fio_reads"] = ratio
            if not 0.97 <= ratio <= 1.03:
                L.append("note: in the %s run the tiers counted %.0f block reads a second while fio made %.0f: the "
                         "counters %s, so hot_share is diluted or inflated accordingly" % (
                             n, sum(tps.values()), fio_rate,
                             "include reads fio did not make (the migrator's copies?)" if ratio > 1
                             else "miss some of fio's reads"))
    limit = num(cfg, "hdd_iops")
    fast = runs.get("on", {}).get("ideal_fast_share")
    if fast is not None and limit and fast < 1:
        L.append("bound: an ideal placement of the hot and ssd tiers (%s blocks) would serve %.3f of the migration-on "
                 "window's reads; the other %.3f go to the hdd, whose %.0f reads a second then cap a run near %s IOPS "
                 "(more only where the page cache answers for the hdd)" % (
                     res.get("fast_blocks"), fast, 1 - fast, limit, f_iops(limit / (1 - fast))))
    if s.get("bare_hdd_iops") is not None and limit and not 0.9 * limit <= s["bare_hdd_iops"] <= 1.05 * limit:
        L.append("warning: the bare hdd run made %.0f IOPS, not near its throttle of %.0f: the emulation did not hold"
                 % (s["bare_hdd_iops"], limit))
    ideal = s.get("ideal_hot_share")
    for n in ("off", "after", "bare"):
        cov = runs.get(n, {}).get("share_on_hot_set")
        if cov is not None and ideal and cov < 0.9 * ideal:
            L.append("note: only %.3f of the %s run's reads fall on the migration-on window's %d most read blocks "
                     "(%.3f of that window's): fio did not draw the same hot set" % (cov, n, res["hot_blocks"], ideal))
    for n, r in runs.items():
        mem = r.get("memory") or {}
        if mem.get("oom_kill"):
            L.append("WARNING: the %s run's memory cgroup OOM-killed %d process(es)" % (n, mem["oom_kill"]))
        if r.get("error"):
            L.append("%s: %s" % (n, r["error"]))
    for note in res["notes"]:
        L.append("note: " + note)
    return L


# ---------- the chart ----------

def log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def lin_ticks(hi):
    if hi <= 0:
        return [0, 1], 1
    e = 10 ** math.floor(math.log10(hi))
    for m in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = m * e
        if hi / step <= 5:
            top = step * math.ceil(hi / step - 1e-9)
            return [i * step for i in range(int(round(top / step)) + 1)], top
    return [0, hi], hi


def f_tick(v):
    if v >= 1000:
        t = "%.0fk" % (v / 1000) if v % 1000 == 0 else "%.1fk" % (v / 1000)
        return t
    return "%g" % v


def chart(res, path):
    runs = res["runs"]
    zipf = [n for n in ("bare", "off", "on", "after") if runs.get(n, {}).get("series")]
    W, left, right = 980, 70, 200
    top1, h1 = 78, 330
    top2, h2 = top1 + h1 + 70, 170
    H = top2 + h2 + 60
    pw = W - left - right
    # x: seconds since the migration-on run started; other runs from their own start, except the
    # scan and the run after it, which follow the migration-on run on its time axis
    def offset(n):
        if n in ("scan", "after") and runs.get(n, {}).get("offset_s") is not None:
            return runs[n]["offset_s"]
        return 0.0
    xmax = 1.0
    for n in zipf:
        xmax = max(xmax, offset(n) + max(t for t, _ in runs[n]["series"]))
    xticks, xmax = lin_ticks(xmax)
    vals = [v for n in zipf for _, v in runs[n]["series"] if v > 0]
    vmin, vmax = (min(vals), max(vals)) if vals else (1, 10)
    logy = vmax / max(vmin, 1e-9) >= 100
    if logy:
        lo = 10 ** math.floor(math.log10(max(vmin, 1)))
        hi = 10 ** math.ceil(math.log10(vmax))
        yt = log_ticks(lo, hi)
        ymap = lambda v: top1 + h1 - h1 * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    else:
        yt, hi = lin_ticks(vmax * 1.05)
        ymap = lambda v: top1 + h1 - h1 * v / hi
    xmap = lambda t: left + pw * t / xmax
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">' % (W, H, W, H),
         '<rect width="100%" height="100%" fill="white"/>']
    cfg = res["config"]
    o.append('<text x="14" y="26" font-size="18" font-weight="bold">tierfs tiering: 4 KiB O_DIRECT reads, '
             'Zipf 1.2, over time</text>')
    sub = "hot %s, ssd %s, data set %s; hdd = loop device at %s IOPS (blkio); daemon's page cache held at %s; %s" % (
        human(num(cfg, "hot_bytes", int)), human(num(cfg, "ssd_bytes", int)), human(num(cfg, "data_bytes", int)),
        cfg.get("hdd_iops", "?"), human(num(cfg, "hold_cache_bytes", int)), cfg.get("when", ""))
    o.append('<text x="14" y="45" font-size="11" fill="#444">%s</text>' % escape(sub))
    o.append('<text x="14" y="62" font-size="11" fill="#444">%s</text>' % escape(
        "IOPS per second (fio's iops log); thick: the measured window. The scan and the run after it "
        "follow the migration-on run on its time axis; the others start at 0."))
    # the scan, as a band
    sc = runs.get("scan")
    if sc and sc.get("offset_s") is not None and sc.get("seconds"):
        x1, x2 = xmap(sc["offset_s"]), xmap(sc["offset_s"] + sc["seconds"])
        for y, h in ((top1, h1), (top2, h2)):
            o.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#eeeeee"/>' % (x1, y, max(x2 - x1, 1), h))
        o.append('<text x="%.1f" y="%d" font-size="10" fill="#666" text-anchor="middle">scan</text>'
                 % ((x1 + x2) / 2, top1 + 12))
    # axes, panel 1
    for v in yt:
        y = ymap(v)
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>' % (left, y, left + pw, y))
        o.append('<text x="%d" y="%.1f" font-size="10" fill="#555" text-anchor="end">%s</text>' % (left - 5, y + 3.5, f_tick(v)))
    o.append('<text x="16" y="%d" font-size="11" fill="#333" transform="rotate(-90 16 %d)" text-anchor="middle">'
             'IOPS%s</text>' % (top1 + h1 / 2, top1 + h1 / 2, " (log scale)" if logy else ""))
    for t in xticks:
        x = xmap(t)
        for y, h in ((top1, h1), (top2, h2)):
            o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#f0f0f0"/>' % (x, y, x, y + h))
        for y, h in ((top1, h1), (top2, h2)):
            o.append('<text x="%.1f" y="%d" font-size="10" fill="#555" text-anchor="middle">%g</text>' % (x, y + h + 14, t))
    o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, top1, pw, h1))
    o.append('<text x="%.1f" y="%d" font-size="11" fill="#333" text-anchor="middle">seconds</text>'
             % (left + pw / 2, top1 + h1 + 30))
    for n in zipf:
        r = runs[n]
        off = offset(n)
        pts = " ".join("%.1f,%.1f" % (xmap(off + t), ymap(max(v, 1e-9))) for t, v in r["series"])
        o.append('<polyline fill="none" stroke="%s" stroke-width="1.4" points="%s"/>' % (COLORS[n], pts))
        w = r.get("window_s")
        if w and r.get("window_iops"):
            y = ymap(r["window_iops"])
            o.append('<g><title>%s: %s IOPS over %.0f-%.0f s</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                     'stroke="%s" stroke-width="5" stroke-opacity="0.55"/></g>'
                     % (escape(RUN_LABEL[n]), f_iops(r["window_iops"]), w[0], w[1], xmap(off + w[0]), y,
                        xmap(off + w[1]), y, COLORS[n]))
    # legend
    ly = top1 + 8
    for n in zipf:
        r = runs[n]
        o.append('<rect x="%d" y="%d" width="14" height="4" fill="%s"/>' % (left + pw + 14, ly + 4, COLORS[n]))
        o.append('<text x="%d" y="%d" font-size="11">%s</text>' % (left + pw + 34, ly + 10, escape(SHORT[n])))
        o.append('<text x="%d" y="%d" font-size="11" font-weight="bold" fill="%s">%s IOPS</text>'
                 % (left + pw + 34, ly + 24, COLORS[n], f_iops(r.get("window_iops"))))
        ly += 40
    goals = res["goals"]
    ly += 6
    o.append('<text x="%d" y="%d" font-size="11" font-weight="bold">goals</text>' % (left + pw + 14, ly))
    for gl, label in zip(goals, GOAL_TEXT):
        col = "#888" if gl["met"] is None else ("#1a7f37" if gl["met"] else "#c00")
        ly += 14
        o.append('<text x="%d" y="%d" font-size="10" fill="#333">%s</text>' % (left + pw + 14, ly, escape(label)))
        ly += 13
        txt = "%s (goal %gx)%s" % ("-" if gl["ratio"] is None else "%.2fx" % gl["ratio"], gl["min"],
                                   "" if gl["met"] is None else (": met" if gl["met"] else ": MISSED"))
        o.append('<text x="%d" y="%d" font-size="10" font-weight="bold" fill="%s">%s</text>'
                 % (left + pw + 22, ly, col, escape(txt)))
    # panel 2: hot share over time
    o.append('<text x="%d" y="%d" font-size="13" font-weight="bold">share of reads served by the hot tier '
             '(tierfs counters, per 5 s)</text>' % (left, top2 - 10))
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        y = top2 + h2 - h2 * v
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>' % (left, y, left + pw, y))
        o.append('<text x="%d" y="%.1f" font-size="10" fill="#555" text-anchor="end">%g</text>' % (left - 5, y + 3.5, v))
    o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, top2, pw, h2))
    ly2 = top2 + 8
    ideal = res["summary"].get("ideal_hot_share")
    if ideal is not None:
        y = top2 + h2 - h2 * ideal
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#1a7f37" stroke-dasharray="5,4"/>' % (left, y, left + pw, y))
        o.append('<text x="%d" y="%.1f" font-size="10" fill="#1a7f37">ideal %.3f</text>' % (left + pw + 14, y + 3, ideal))
        y9 = top2 + h2 - h2 * 0.9 * ideal
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#1a7f37" stroke-opacity="0.4" stroke-dasharray="2,4"/>'
                 % (left, y9, left + pw, y9))
        o.append('<text x="%d" y="%.1f" font-size="10" fill="#1a7f37" fill-opacity="0.7">goal 0.9x ideal</text>'
                 % (left + pw + 14, y9 + 12))
    drawn = False
    for n in ("off", "on", "after"):
        pts = runs.get(n, {}).get("hot_share_series") or []
        if not pts:
            continue
        drawn = True
        off = offset(n)
        o.append('<polyline fill="none" stroke="%s" stroke-width="1.6" points="%s"/>' % (
            COLORS[n], " ".join("%.1f,%.1f" % (xmap(off + t), top2 + h2 - h2 * v) for t, v in pts)))
    if not drawn:
        o.append('<text x="%.1f" y="%.1f" font-size="12" fill="#888" text-anchor="middle">no hot-tier counters in '
                 'this run</text>' % (left + pw / 2, top2 + h2 / 2))
    o.append('<text x="14" y="%d" font-size="10" fill="#666">%s</text>' % (H - 14, escape(
        "Generated by benchmarks/tiering.sh; the figures and the method are in summary.json and report.md "
        "next to this file.")))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def markdown(res, lines, path):
    cfg = res["config"]
    L = ["# tierfs tiering benchmark: %s" % cfg.get("when", ""), "", "![IOPS over time](tiering.svg)", "",
         "## Setup", ""]
    for k in sorted(cfg):
        L.append("- %s: %s" % (k, cfg[k]))
    L += ["", "## Figures", "", "```"] + lines + ["```", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def cmd_report(args):
    work, out = args[0], args[1]
    os.makedirs(out, exist_ok=True)
    res = analyse(work)
    lines = report_lines(res)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary_doc(res), f, indent=1)
    series = {n: {"series": r.get("series"), "hot_share_series": r.get("hot_share_series"),
                  "offset_s": r.get("offset_s")} for n, r in res["runs"].items()}
    with open(os.path.join(out, "series.json"), "w") as f:
        json.dump(series, f)
    chart(res, os.path.join(out, "tiering.svg"))
    markdown(res, lines, os.path.join(out, "report.md"))
    print("\n".join(lines))
    return 0


# ---------- selftest: synthetic and partial inputs ----------

def _zipf_sampler(n_items, theta, rng):
    """Inverse-CDF Zipf over n_items ranks; ranks spread over offsets by a fixed permutation, as
    fio hashes them."""
    w = [1.0 / (i + 1) ** theta for i in range(n_items)]
    tot = sum(w)
    cdf, acc = [], 0.0
    for x in w:
        acc += x / tot
        cdf.append(acc)
    perm = list(range(n_items))
    random.Random(7).shuffle(perm)
    import bisect

    def draw():
        return perm[min(bisect.bisect_left(cdf, rng.random()), n_items - 1)]
    return draw


def _fake_run(work, name, kind, t0_ms, runtime, warm, iops_fn, draw=None, hot_cap=16 << 20, hot_fn=None,
              with_reads=True, with_trace=True, daemon=True):
    d = os.path.join(work, "runs", name)
    os.makedirs(d)
    with open(os.path.join(d, "meta.env"), "w") as f:
        f.write("kind=%s\nt0_ms=%d\nt_end_ms=%d\nruntime_s=%d\nwarm_s=%d\n" % (kind, t0_ms, t0_ms + runtime * 1000,
                                                                               runtime, warm))
    total = 0
    with open(os.path.join(d, "iops_iops.1.log"), "w") as f:
        for s in range(1, runtime + 1):
            v = iops_fn(s)
            total += v
            f.write("%d, %d, 0, 0, 0\n" % (s * 1000, v))
    fio = {"fio version": "fio-3.33", "jobs": [{"jobname": name, "read": {
        "iops": total / runtime, "io_bytes": total * 4096, "runtime": runtime * 1000, "bw_bytes": total * 4096 / runtime}}]}
    with open(os.path.join(d, "fio.json"), "w") as f:
        f.write("note: a line fio prints before its JSON\n" + json.dumps(fio))
    if with_trace and draw:
        with open(os.path.join(d, "trace.log"), "w") as f:
            f.write("fio version 3 iolog\n0 /mnt/zipf.dat add\n1 /mnt/zipf.dat open\n")
            for s in range(runtime):
                n = iops_fn(s + 1) // 20   # a twentieth of the reads: enough for the shares
                for i in range(n):
                    ts = s * 1000000 + i * (1000000 // max(n, 1))
                    f.write("%d /mnt/zipf.dat read %d 4096\n" % (ts, draw() * 4096))
            f.write("%d /mnt/zipf.dat close\n" % (runtime * 1000000))
    with open(os.path.join(d, "samples.jsonl"), "w") as f:
        reads = {"hot": 0, "ssd": 0, "hdd": 0}
        for s in range(runtime + 2):
            rec = {"wall_ms": t0_ms + s * 1000 - 200, "updated_ms": t0_ms + s * 1000 - 300,
                   "mem": {"limit_in_bytes": 480 << 20, "max_usage_in_bytes": 400 << 20, "failcnt": 3, "oom_kill": 0,
                           "usage_in_bytes": 470 << 20, "cache": 160 << 20, "mapped_file": 128 << 20},
                   "dev": {"ssd": [s * 300, s * 2400, 0, 0], "hdd": [s * 190, s * 1520, 0, 0]}}
            if not daemon:
                pass
            elif with_reads:
                hs = hot_fn(s) if hot_fn else 0.0
                n = iops_fn(max(s, 1)) // 20    # as many as the trace holds
                reads["hot"] += int(n * hs)
                reads["ssd"] += int(n * (1 - hs) * 0.8)
                reads["hdd"] += n - int(n * hs) - int(n * (1 - hs) * 0.8)
                rec["tiers"] = {t: {"reads": reads[t], "usedBytes": 1 << 20, "capacityBytes": hot_cap if t == "hot" else 1 << 30}
                                for t in TIERS}
            else:
                rec["tiers"] = {t: {"usedBytes": 1 << 20, "capacityBytes": hot_cap if t == "hot" else 1 << 30}
                                for t in TIERS}
            f.write(json.dumps(rec) + "\n")


def cmd_selftest(args):
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
        print(("ok   " if cond else "FAIL ") + what)

    # ideal_share on a hand-made window
    check(abs(ideal_share({1: 50, 2: 30, 3: 15, 4: 5}, 2) - 0.8) < 1e-9, "ideal_share: the top 2 of 4 blocks hold 80%")
    check(ideal_share({}, 2) is None, "ideal_share of an empty window is None")
    check(parse_size("128m") == 128 << 20 and parse_size("1g") == 1 << 30 and parse_size("128MiB") == 128 << 20,
          "parse_size")
    check(status_problems({"tiers": [{"name": "ssd", "capacityBytes": 1, "usedBytes": 0}]}) != [],
          "status_problems names what is missing")
    good = {"tiers": [{"name": t, "capacityBytes": 1, "usedBytes": 0, "reads": 0} for t in TIERS]}
    check(status_problems(good) == [], "status_problems accepts hot/ssd/hdd with capacityBytes, usedBytes, reads")

    rng = random.Random(1)
    draw = _zipf_sampler(32768, 1.2, rng)     # 128 MiB of 4 KiB items, 1024 blocks of 128 KiB
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "full")
        os.makedirs(work)
        with open(os.path.join(work, "config.env"), "w") as f:
            f.write("hot_bytes=%d\nssd_bytes=%d\ndata_bytes=%d\nblock_size=131072\nhdd_iops=200\n"
                    "mem_limit_bytes=%d\nmem_rule='own memory + hot 16 MiB + page cache 32 MiB'\nwhen=selftest\n"
                    % (16 << 20, 64 << 20, 128 << 20, 368 << 20))
        t = 1_800_000_000_000
        _fake_run(work, "bare", "zipf", t, 30, 10, lambda s: 200, draw, daemon=False)
        _fake_run(work, "off", "zipf", t + 100_000, 40, 20, lambda s: 900 + s, draw)
        _fake_run(work, "on", "zipf", t + 200_000, 120, 60, lambda s: min(25000, 400 + s * 700), draw,
                  hot_fn=lambda s: min(0.85, s / 60))
        d = os.path.join(work, "runs", "scan")
        os.makedirs(d)
        with open(os.path.join(d, "meta.env"), "w") as f:
            f.write("kind=scan\nt0_ms=%d\nt_end_ms=%d\n" % (t + 321_000, t + 341_000))
        with open(os.path.join(d, "fio.json"), "w") as f:
            json.dump({"jobs": [{"read": {"iops": 50, "io_bytes": 128 << 20, "runtime": 20000, "bw_bytes": 6.7e6}}]}, f)
        _fake_run(work, "after", "zipf", t + 342_000, 30, 0, lambda s: 24000, draw, hot_fn=lambda s: 0.84)
        out = os.path.join(tmp, "out")
        rc = cmd_report([work, out])
        check(rc == 0, "report on a full synthetic run")
        doc = json.load(open(os.path.join(out, "summary.json")))
        for k in ("tiered_iops", "migration_off_iops", "bare_hdd_iops", "hot_share", "ideal_hot_share", "after_scan_iops"):
            check(isinstance(doc.get(k), (int, float)), "summary.json has a number for %s (%s)" % (k, doc.get(k)))
        check(abs(doc["tiered_iops"] - 25000) < 1, "tiered_iops is the window's mean (25000)")
        check(abs(doc["bare_hdd_iops"] - 200) < 1, "bare_hdd_iops = 200")
        check(0.80 < doc["hot_share"] < 0.90, "hot_share from the counters' deltas over the window (%.3f)" % doc["hot_share"])
        check(0.5 < doc["ideal_hot_share"] < 1.0, "ideal_hot_share from the trace (%.3f)" % doc["ideal_hot_share"])
        check(len(doc["goals"]) == 4 and all(g["met"] is not None for g in doc["goals"]), "four goals judged")
        check(doc["goals"][0]["met"] is True and doc["goals"][1]["met"] is True, "IOPS goals met on these inputs")
        check(all(doc["runs"][n].get("share_on_hot_set", 0) > 0.9 * doc["ideal_hot_share"] for n in ("after", "off", "bare")),
              "same hot set across runs detected")
        check(doc["runs"]["on"].get("settled") is True, "the on run counts as settled")
        check(0.97 <= doc["runs"]["on"].get("tier_reads_over_fio_reads", 0) <= 1.03,
              "the tier counters add up to fio's reads (%.3f)" % doc["runs"]["on"].get("tier_reads_over_fio_reads", 0))
        svg = open(os.path.join(out, "tiering.svg")).read()
        check(svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "polyline" in svg, "the chart is an SVG with lines")
        check("(log scale)" in svg, "log scale when the runs differ by 100x or more")
        try:
            import xml.dom.minidom
            xml.dom.minidom.parseString(svg)
            check(True, "the chart parses as XML")
        except Exception as e:   # noqa
            check(False, "the chart parses as XML: %s" % e)

        # partial: only the bare run (tierfs's tiering not built yet)
        work2 = os.path.join(tmp, "partial")
        os.makedirs(work2)
        with open(os.path.join(work2, "config.env"), "w") as f:
            f.write("hot_bytes=%d\nssd_bytes=%d\ndata_bytes=%d\nblock_size=131072\n" % (16 << 20, 64 << 20, 128 << 20))
        _fake_run(work2, "bare", "zipf", t, 30, 10, lambda s: 199, draw, daemon=False)
        out2 = os.path.join(tmp, "out2")
        check(cmd_report([work2, out2]) == 0, "report on a bare-only run")
        doc2 = json.load(open(os.path.join(out2, "summary.json")))
        check(doc2["tiered_iops"] is None and doc2["hot_share"] is None and abs(doc2["bare_hdd_iops"] - 199) < 1,
              "missing runs are null, the bare figure is there")
        check(all(g["met"] is None for g in doc2["goals"]) and doc2["all_goals_met"] is None,
              "goals without inputs are 'not measured'")
        check(open(os.path.join(out2, "tiering.svg")).read().rstrip().endswith("</svg>"), "chart of a partial run")

        # counters missing (a tierfs whose status lacks reads): no hot_share, no crash
        work3 = os.path.join(tmp, "noreads")
        os.makedirs(work3)
        with open(os.path.join(work3, "config.env"), "w") as f:
            f.write("hot_bytes=%d\nssd_bytes=%d\nblock_size=131072\n" % (16 << 20, 64 << 20))
        _fake_run(work3, "on", "zipf", t, 60, 30, lambda s: 3000, draw, with_reads=False)
        check(cmd_report([work3, os.path.join(tmp, "out3")]) == 0, "report when the counters lack reads")
        doc3 = json.load(open(os.path.join(tmp, "out3", "summary.json")))
        check(doc3["hot_share"] is None and doc3["ideal_hot_share"] is not None, "hot_share null, ideal still measured")
    print()
    print("selftest: %s" % ("all passed" if not failures else "%d FAILED" % len(failures)))
    return 1 if failures else 0


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"sample": cmd_sample, "check-status": cmd_check_status, "fio-iops": cmd_fio_iops,
          "placement": cmd_placement, "report": cmd_report, "selftest": cmd_selftest}.get(cmd)
    if not fn:
        print(__doc__)
        return 2
    return fn(args)


if __name__ == "__main__":
    sys.exit(main())
