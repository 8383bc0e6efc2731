#!/usr/bin/env python3
"""Small files on every target, interleaved: what unpacking, building and package managers do.

Called by benchmarks/compare.sh --smallfiles, which mounts the targets and cleans them up; this
script only measures. Per repetition, every target in turn (the order rotates each repetition):
  - N files of 100 bytes in one directory, one process: create+write+close, stat, chmod, rename,
    unlink, each phase timed on its own, with the CPU time the target's daemon spent in it;
  - a tar of a tree generated from a fixed seed (a few thousand files of mixed sizes in nested
    directories, half of them text) unpacked with tar, then `sync`: the time of both together.
A `sync` before each target's turn keeps one target's write-back out of the next one's figures.
One uncounted round of the small-file phases on every target comes first (warm-up).
Writes small.json and small.md beside each other and prints the table.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runbench import cpu_seconds, rotated  # noqa: E402

PHASES = ("create", "stat", "chmod", "rename", "unlink")
PAYLOAD = b"x" * 99 + b"\n"
# the goals: (measure, other target, minimum tierfs/other); unpack is a time (lower is better)
GOALS = [("create", "passthrough", 2.0), ("create", "passthrough-direct", 2.0)] + [
    (p, pt, 1.0) for p in ("chmod", "rename", "unlink") for pt in ("passthrough", "passthrough-direct")]
UNPACK_WITHIN = 2.0  # tierfs's unpack+sync time at most this many times ext4's (the backing target)


def log(msg):
    print(msg, flush=True)


def make_tree(path, files, seed):
    """A tar of `files` files in nested directories, sizes from a few bytes to a few MiB (most
    small, as in a source tree or a package), half text and half incompressible bytes."""
    rnd = random.Random(seed)
    dirs = ["d%02d" % i for i in range(max(4, files // 40))]
    dirs = [d if rnd.random() < 0.5 else "%s/s%d" % (d, rnd.randrange(4)) for d in dirs]
    words = [("w%d" % i).encode() for i in range(500)]
    total = 0
    with tarfile.open(path, "w") as tar:
        for i in range(files):
            r = rnd.random()
            size = (rnd.randrange(0, 4096) if r < 0.6 else rnd.randrange(4096, 65536) if r < 0.9
                    else rnd.randrange(65536, 1 << 20) if r < 0.99 else rnd.randrange(1 << 20, 4 << 20))
            if i % 2:
                data = rnd.randbytes(size)
            else:
                data = b" ".join(rnd.choice(words) for _ in range(size // 3 + 1))[:size]
            info = tarfile.TarInfo("%s/f%05d" % (rnd.choice(dirs), i))
            info.size, info.mode, info.mtime = size, 0o644, 1700000000
            tar.addfile(info, _Reader(data))
            total += size
    return total


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n=-1):
        end = len(self.data) if n < 0 else self.pos + n
        out = self.data[self.pos:end]
        self.pos += len(out)
        return out


def timed(pid, fn):
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    fn()
    t1, c1 = time.perf_counter(), cpu_seconds(pid)
    return t1 - t0, (c1 - c0 if c0 is not None and c1 is not None else None)


def small_file_phases(d, n, pid):
    names = [os.path.join(d, "f%05d" % i) for i in range(n)]
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY

    def create():
        for p in names:
            fd = os.open(p, flags, 0o644)
            os.write(fd, PAYLOAD)
            os.close(fd)

    def stat():
        for p in names:
            os.stat(p)

    def chmod():
        for p in names:
            os.chmod(p, 0o600)

    def rename():
        for p in names:
            os.rename(p, p + ".r")

    def unlink():
        for p in names:
            os.unlink(p + ".r")

    out = {}
    for phase, fn in zip(PHASES, (create, stat, chmod, rename, unlink)):
        secs, cpu = timed(pid, fn)
        out[phase] = {"ops_s": n / secs, "daemon_cpu_us_per_op": None if cpu is None else cpu / n * 1e6}
    return out


def unpack(tar, d, pid):
    def run():
        subprocess.run(["tar", "-xf", tar, "-C", d], check=True)
        subprocess.run(["sync"], check=True)
    secs, cpu = timed(pid, run)
    return {"seconds": secs, "daemon_cpu_s": cpu}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarise(runs, targets):
    s = {}
    for t in targets:
        rs = [r for r in runs if r["target"] == t]
        row = {p: med([r["phases"][p]["ops_s"] for r in rs]) for p in PHASES}
        row["create_cpu_us"] = med([r["phases"]["create"]["daemon_cpu_us_per_op"] for r in rs])
        row["unpack_s"] = med([r["unpack"]["seconds"] for r in rs])
        row["unpack_min_s"] = min(r["unpack"]["seconds"] for r in rs)
        row["unpack_max_s"] = max(r["unpack"]["seconds"] for r in rs)
        row["create_min"] = min(r["phases"]["create"]["ops_s"] for r in rs)
        row["create_max"] = max(r["phases"]["create"]["ops_s"] for r in rs)
        s[t] = row
    goals = []
    tf = s.get("tierfs")
    if tf:
        for phase, other, floor in GOALS:
            if other in s and s[other][phase]:
                ratio = tf[phase] / s[other][phase]
                goals.append({"what": "%s vs %s" % (phase, other), "ratio": ratio, "min": floor, "met": ratio >= floor})
        for other in ("passthrough", "passthrough-direct"):
            if other in s and s[other]["create_cpu_us"] and tf["create_cpu_us"]:
                ratio = tf["create_cpu_us"] / s[other]["create_cpu_us"]
                goals.append({"what": "daemon CPU per create vs %s (lower is better)" % other, "ratio": ratio,
                              "max": 1.0, "met": ratio < 1.0})
        if "backing" in s:
            ratio = tf["unpack_s"] / s["backing"]["unpack_s"]
            goals.append({"what": "unpack+sync time vs ext4 (lower is better)", "ratio": ratio,
                          "max": UNPACK_WITHIN, "met": ratio <= UNPACK_WITHIN})
    return {"targets": s, "goals": goals}


def f_rate(x):
    return "-" if x is None else ("%.1fk" % (x / 1000) if x >= 1000 else "%.0f" % x)


def table(summary):
    head = ["target"] + ["%s /s" % p for p in PHASES] + ["daemon CPU/create", "unpack+sync (min..max)"]
    rows = []
    for t, r in summary["targets"].items():
        rows.append([t, "%s (%s..%s)" % (f_rate(r["create"]), f_rate(r["create_min"]), f_rate(r["create_max"]))] +
                    [f_rate(r[p]) for p in PHASES[1:]] +
                    ["-" if r["create_cpu_us"] is None else "%.0f us" % r["create_cpu_us"],
                     "%.2f s (%.2f..%.2f)" % (r["unpack_s"], r["unpack_min_s"], r["unpack_max_s"])])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "| goal (issue 25) | tierfs / other | bar | |", "|---|---:|---|---|"]
    for g in summary["goals"]:
        bar = (">= %.1fx" % g["min"]) if "min" in g else ("<= %.1fx" % g["max"] if g["max"] != 1.0 else "< 1.0x")
        lines.append("| %s | %.2fx | %s | %s |" % (g["what"], g["ratio"], bar, "met" if g["met"] else "MISSED"))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", action="append", required=True, help="NAME=MOUNTPOINT[,pid=PID][,backing=DIR]")
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--tree-files", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=25)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", required=True, help="a directory on the host's disk for the tar")
    ap.add_argument("--meta", default="{}")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    targets = []
    for spec in a.target:
        name, rest = spec.split("=", 1)
        parts = rest.split(",")
        opts = dict(p.split("=", 1) for p in parts[1:])
        targets.append({"name": name, "mnt": parts[0], "pid": int(opts["pid"]) if "pid" in opts else None})
    tar = os.path.join(a.work, "tree.tar")
    tree_bytes = make_tree(tar, a.tree_files, a.seed)
    log("tree: %d files, %.0f MB, seed %d" % (a.tree_files, tree_bytes / 1e6, a.seed))
    # one round on every target first, not counted: a JVM daemon compiles its hot paths in its
    # first seconds, and a long-running mount (what users have) is past that
    for t in targets:
        d = os.path.join(t["mnt"], "warmup")
        os.mkdir(d)
        small_file_phases(d, a.files, t["pid"])
        os.rmdir(d)
    runs = []
    t_start = time.time()
    for rep in range(a.reps):
        for t in rotated(targets, rep):
            subprocess.run(["sync"], check=True)
            d = os.path.join(t["mnt"], "small-%d" % rep)
            os.mkdir(d)
            phases = small_file_phases(d, a.files, t["pid"])
            os.rmdir(d)
            u = os.path.join(t["mnt"], "unpack-%d" % rep)
            os.mkdir(u)
            subprocess.run(["sync"], check=True)
            up = unpack(tar, u, t["pid"])
            subprocess.run(["rm", "-rf", u], check=True)
            runs.append({"target": t["name"], "rep": rep, "phases": phases, "unpack": up})
            log("rep %d %-18s create %7s/s  stat %7s/s  chmod %7s/s  rename %7s/s  unlink %7s/s  unpack+sync %.2f s" % (
                rep + 1, t["name"], *[f_rate(phases[p]["ops_s"]) for p in PHASES], up["seconds"]))
    meta = json.loads(a.meta)
    meta.update({"files": a.files, "tree_files": a.tree_files, "tree_bytes": tree_bytes, "seed": a.seed,
                 "reps": a.reps, "elapsed_s": time.time() - t_start})
    summary = summarise(runs, [t["name"] for t in targets])
    with open(a.out, "w") as f:
        json.dump({"meta": meta, "runs": runs, "summary": summary}, f, indent=1)
    lines = table(summary)
    md = ["# tierfs small files: %s" % meta.get("when", ""), "",
          "%d files of 100 bytes in one directory, one process, each phase timed alone (operations a second); "
          "then a tar of %d files (%.0f MB, seed %d) unpacked and `sync`ed. Median of %d interleaved "
          "repetitions. Commit %s." % (a.files, a.tree_files, tree_bytes / 1e6, a.seed, a.reps,
                                       meta.get("tierfs_commit", "?")), ""] + lines
    if meta.get("mounts"):
        md += ["", "Mounts:"] + ["- %s: `%s`" % kv for kv in meta["mounts"].items()]
    with open(os.path.splitext(a.out)[0] + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
