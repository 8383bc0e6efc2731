#!/usr/bin/env python3
"""Runs the fio jobs against every target, interleaved, and writes results.json.

Called by benchmarks/compare.sh, which mounts the targets and cleans them up; this script only
measures. Order is job-major: for each (job, direct), for each repetition, every target once (the
target order rotates each repetition so no target always runs right after the same neighbour).
Before each repetition every target's file of the job is made hot again, interleaved
(refill_interleaved), so every run measures hot data and no target's page cache is placed worse
than another's by the order of the refills.

Per run it records fio's figures (IOPS, bandwidth, clat percentiles), the disk's read and write
bytes during the run (/sys/dev/block/MAJ:MIN/stat of the device holding the work directory) so the
report can say whether reads came from memory or from the disk, and the CPU time the target's
daemon used (/proc/PID/stat), so figures can be read per request.
"""
import argparse
import glob
import json
import mmap
import os
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SECTOR = 512


def log(msg):
    print(msg, flush=True)


def disk_stat_path(path):
    st = os.stat(path)
    p = "/sys/dev/block/%d:%d/stat" % (os.major(st.st_dev), os.minor(st.st_dev))
    return p if os.path.exists(p) else None


def disk_bytes(stat_path):
    """(bytes read, bytes written) so far on the device, or (None, None)."""
    if not stat_path:
        return None, None
    f = open(stat_path).read().split()
    return int(f[2]) * SECTOR, int(f[6]) * SECTOR


def cpu_seconds(pid):
    if not pid:
        return None
    try:
        s = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK  # utime + stime, all threads


def pages_scanned_for_reclaim():
    """Pages the kernel has scanned to reclaim memory so far (kswapd and direct reclaim): a run
    during which this grows measured a machine short of memory, whatever the target."""
    n = 0
    with open("/proc/vmstat") as f:
        for line in f:
            k, v = line.split()
            if k in ("pgscan_kswapd", "pgscan_direct"):
                n += int(v)
    return n


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/mounts") as f:
        for line in f:
            if line.split()[1] == path:
                return True
    return False


def pct(lat, key):
    p = (lat or {}).get("percentile") or {}
    return p.get(key)


def parse_fio(doc, job):
    """The figures of one fio run. IOPS and bandwidth add reads and writes (a mixed job reports them
    as one 'mixed' section). Latency is fio's completion latency (clat_ns) of the requests; for the
    fdatasync job it is the fdatasync call's latency (the commit), kept apart from the write's."""
    j = doc["jobs"][0]
    secs = [j[k] for k in ("mixed",) if k in j] or [j[k] for k in ("read", "write") if k in j]
    iops = sum(s["iops"] for s in secs)
    bw = sum(s["bw_bytes"] for s in secs)
    if "mixed" in j:  # rwmixread=70: reads are about 70% of a mixed job's bytes
        read_bytes = int(j["mixed"]["io_bytes"] * 0.7)
    else:
        read_bytes = j.get("read", {}).get("io_bytes", 0)
    busiest = max(secs, key=lambda s: s["total_ios"])
    lat = busiest.get("clat_ns")
    lat_kind = "clat"
    if job.startswith("write-fdatasync") and j.get("sync", {}).get("lat_ns", {}).get("N"):
        lat = j["sync"]["lat_ns"]
        lat_kind = "fdatasync"
    out = {
        "iops": iops,
        "bw_bytes": bw,
        "read_io_bytes": read_bytes,
        "total_ios": sum(s["total_ios"] for s in secs),
        "lat_kind": lat_kind,
        "p50_ns": pct(lat, "50.000000"),
        "p99_ns": pct(lat, "99.000000"),
        "p999_ns": pct(lat, "99.900000"),
        "mean_ns": (lat or {}).get("mean"),
        "write_clat_p50_ns": pct(j.get("write", {}).get("clat_ns"), "50.000000"),
        "fio_usr_cpu": j.get("usr_cpu"),
        "fio_sys_cpu": j.get("sys_cpu"),
        "error": j.get("error", 0),
    }
    return out


def probe_odirect(mnt, backing, pid):
    """What the daemon does with O_DIRECT. Writes a 4 KiB probe file through the mount, reads it with
    O_DIRECT and looks at the flags of the daemon's descriptors that point into its backing
    directory; then tries a 4 KiB O_DIRECT write (aligned buffer) through the mount."""
    path = os.path.join(mnt, ".odirect-probe")
    out = {"backing_opened_with_O_DIRECT": None, "odirect_write": None}
    with open(path, "wb") as f:
        f.write(b"p" * 4096)
    buf = mmap.mmap(-1, 4096)  # page-aligned, as O_DIRECT wants
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        try:
            os.preadv(fd, [buf], 0)
            seen = []
            for link in glob.glob("/proc/%d/fd/*" % pid):
                try:
                    target = os.readlink(link)
                    if not target.startswith(os.path.realpath(backing) + "/") or os.path.isdir(target):
                        continue
                    with open("/proc/%d/fdinfo/%s" % (pid, os.path.basename(link))) as f:
                        flags = int(f.read().split("flags:")[1].split()[0], 8)
                    seen.append(bool(flags & os.O_DIRECT))
                except (OSError, IndexError, ValueError):
                    continue
            out["backing_opened_with_O_DIRECT"] = any(seen) if seen else None
        finally:
            os.close(fd)
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        try:
            os.pwritev(fd, [buf], 0)
            out["odirect_write"] = "ok"
        except OSError as e:
            out["odirect_write"] = "%s (errno %d)" % (e.strerror, e.errno)
        finally:
            os.close(fd)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return out


def job_file(fio_dir, job):
    """The data file a job file names (filename=...)."""
    with open(os.path.join(fio_dir, job + ".fio")) as f:
        for line in f:
            if line.strip().startswith("filename="):
                return line.split("=", 1)[1].strip()
    return None


def parse_size(text):
    """fio's size syntax as used here: 256m, 1g, 4096 (k/m/g/t are powers of 1024)."""
    t = text.strip().lower().rstrip("b").rstrip("i")
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def layout_interleaved(paths, size, chunk, seconds):
    """Writes SIZE bytes to each of PATHS that is not complete yet, a chunk to each in turn.

    In turn, because which physical pages a file's cache gets depends on what was allocated and
    freed before: whoever writes first takes the scattered pages the last run (or DAMON) freed,
    whoever writes later gets fresh contiguous ones, and reading a page cache of scattered pages
    runs up to 10% slower here (BENCHMARKS.md). Interleaved, every target draws from the same pool.
    seconds: a dict path -> time spent writing it, added to."""
    files = {p: open(p, "wb") for p in paths if not (os.path.exists(p) and os.path.getsize(p) >= size)}
    try:
        for offset in range(0, size, len(chunk)):
            piece = chunk[:min(len(chunk), size - offset)]
            for p, f in files.items():
                t = time.time()
                f.write(piece)
                seconds[p] += time.time() - t
    finally:
        for f in files.values():
            f.close()


def refill_interleaved(paths, chunk_size=1 << 20):
    """Makes PATHS hot again, the same way for every target: drops each file's cached pages, then
    reads them all back buffered, a chunk from each in turn. Returns path -> seconds spent reading.

    Hot, because the issue measures data the mount has just written or read: at direct=0 the
    mount's page cache holds it, at direct=1 the daemon's backing file is in the host page cache,
    and a 1 KiB buffered write finds its page instead of reading it from the disk first. Dropped
    and interleaved, because where the refilled pages lie in physical memory moves page-cache read
    rates by 10% and more here, and pages idle for a minute are paged out by DAMON (BENCHMARKS.md):
    refilled one file after another, the first takes the scattered pages others freed."""
    seconds = dict.fromkeys(paths, 0.0)
    files = {}
    try:
        for p in paths:
            files[p] = open(p, "rb", buffering=0)
            os.posix_fadvise(files[p].fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        live = list(files)
        while live:
            for p in list(live):
                t = time.time()
                if not files[p].read(chunk_size):
                    live.remove(p)
                seconds[p] += time.time() - t
    finally:
        for f in files.values():
            f.close()
    return seconds


def rotated(items, k):
    """items starting at its k-th (modulo its length), wrapping around."""
    k %= len(items)
    return items[k:] + items[:k]


def fmt_rate(iops, bw):
    k = "%.1fk" % (iops / 1000) if iops >= 1000 else "%.0f" % iops
    return "%s IOPS %.0f MB/s" % (k, bw / 1e6)


def fmt_us(ns):
    if ns is None:
        return "-"
    return "%.0fus" % (ns / 1000) if ns < 1e6 else "%.2fms" % (ns / 1e6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fio-dir", required=True)
    ap.add_argument("--target", action="append", required=True,
                    help="name=DIR[,pid=PID][,backing=DIR] (the directory fio runs in)")
    ap.add_argument("--job", action="append", required=True, help="jobname:direct, e.g. randread-4k:1")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--runtime", default="5")
    ap.add_argument("--ramp", default="1")
    ap.add_argument("--size", default="256m")
    ap.add_argument("--meta", default="{}", help="JSON object stored as results['meta']")
    ap.add_argument("--out", required=True, help="results.json to write")
    ap.add_argument("--disk-dir", required=True, help="a directory on the disk the targets keep data on")
    a = ap.parse_args()

    targets = []
    for spec in a.target:
        name, rest = spec.split("=", 1)
        parts = rest.split(",")
        t = {"name": name, "dir": parts[0], "pid": None, "backing": None}
        for p in parts[1:]:
            k, v = p.split("=", 1)
            t[k] = int(v) if k == "pid" else v
        targets.append(t)
    jobs = []
    for spec in a.job:
        name, direct = spec.rsplit(":", 1)
        if not os.path.exists(os.path.join(a.fio_dir, name + ".fio")):
            sys.exit("runbench: no job file %s.fio in %s" % (name, a.fio_dir))
        jobs.append((name, int(direct)))

    stat_path = disk_stat_path(a.disk_dir)
    meta = json.loads(a.meta)
    meta.update({"reps": a.reps, "runtime_s": a.runtime, "ramp_s": a.ramp, "size": a.size,
                 "disk_stat": stat_path, "order": "job-major; targets rotate each repetition"})

    probes = {}
    for t in targets:
        if t["pid"] and t["backing"]:
            try:
                probes[t["name"]] = probe_odirect(t["dir"], t["backing"], t["pid"])
            except OSError as e:
                probes[t["name"]] = {"error": str(e)}
    for name, v in probes.items():
        b = v.get("backing_opened_with_O_DIRECT")
        log("probe: %-11s O_DIRECT below FUSE: %s; an O_DIRECT write through the mount: %s"
            % (name, {True: "passed on to its backing file (direct=1 reaches the disk)",
                      False: "stripped (direct=1 is served from the host page cache)"}.get(b, "unknown"),
               v.get("odirect_write", v.get("error"))))

    # Each job's file is laid out on every target just before the job's first configuration and
    # removed after its last, untimed: SIZE bytes of random data written buffered in 1 MiB pieces
    # (what fio's own layout does, without its fsync and cache drop per file), the targets' files
    # interleaved (see layout_interleaved); fio then finds each file complete and only measures.
    # One job's files at a time, because all of them at once (ten files on five targets, a FUSE
    # target's held twice: in the mount's cache and in its backing file's) outgrow this machine's
    # memory, and reclaim then runs through every measurement.
    size = parse_size(a.size)
    chunk = os.urandom(1 << 20)
    layout_s = {t["name"]: 0.0 for t in targets}
    dead = {}
    last_config = {name: i for i, (name, _) in enumerate(jobs)}
    laid_out = set()

    def alive():
        return [t for t in targets if t["name"] not in dead and (not t["pid"] or is_mounted(t["dir"]))]

    def lay_out(job):
        t0 = time.time()
        paths = {os.path.join(t["dir"], job_file(a.fio_dir, job)): t["name"] for t in alive()}
        seconds = dict.fromkeys(paths, 0.0)
        layout_interleaved(list(paths), size, chunk, seconds)
        for p, name in paths.items():
            layout_s[name] += seconds[p]
        log("laid out %s (%s) on each target in %.1f s" % (job_file(a.fio_dir, job), a.size, time.time() - t0))

    def remove(job):
        for t in alive():
            try:
                os.unlink(os.path.join(t["dir"], job_file(a.fio_dir, job)))
            except OSError as e:
                log("could not remove %s's file of %s: %s" % (t["name"], job, e))

    total = len(jobs) * a.reps * len(targets)
    runs = []
    n = 0
    t0 = time.time()
    for index, (job, direct) in enumerate(jobs):
        if job not in laid_out:
            lay_out(job)
            laid_out.add(job)
        for rep in range(a.reps):
            paths = {os.path.join(t["dir"], job_file(a.fio_dir, job)): t["name"] for t in alive()}
            try:
                refill_s = {paths[p]: s for p, s in refill_interleaved(list(paths)).items()}
                refill_error = None
            except OSError as e:
                refill_s, refill_error = {}, str(e)
            for t in rotated(targets, rep):
                n += 1
                rec = {"job": job, "direct": direct, "rep": rep, "target": t["name"]}
                if t["name"] in dead:
                    rec["error"] = "skipped: " + dead[t["name"]]
                    runs.append(rec)
                    continue
                if t["pid"] and not is_mounted(t["dir"]):
                    dead[t["name"]] = "mount gone"
                    rec["error"] = "mount gone"
                    runs.append(rec)
                    log("[%d/%d] %s: its mount is gone; skipping it from now on" % (n, total, t["name"]))
                    continue
                if t["name"] in refill_s:
                    rec["refill_s"] = refill_s[t["name"]]
                if refill_error:
                    rec["refill_error"] = refill_error
                os.sync()  # write back earlier runs' dirty pages now, not during this run
                env = dict(os.environ, DIR=t["dir"], DIRECT=str(direct), SIZE=a.size,
                           RUNTIME=str(a.runtime), RAMP=str(a.ramp))
                d0 = disk_bytes(stat_path)
                c0 = cpu_seconds(t["pid"])
                r0 = pages_scanned_for_reclaim()
                w0 = time.time()
                p = subprocess.run(["fio", "--output-format=json", os.path.join(a.fio_dir, job + ".fio")],
                                   env=env, capture_output=True, text=True,
                                   timeout=600 + float(a.runtime) + float(a.ramp))
                wall = time.time() - w0
                c1 = cpu_seconds(t["pid"])
                d1 = disk_bytes(stat_path)
                rec["reclaim_scanned_pages"] = pages_scanned_for_reclaim() - r0
                try:
                    doc = json.loads(p.stdout[p.stdout.index("{"):])
                    rec.update(parse_fio(doc, job))
                except (ValueError, KeyError, IndexError) as e:
                    rec["error"] = "fio failed (rc %d): %s" % (p.returncode, (p.stderr.strip() or str(e))[-300:])
                err = rec.pop("error", 0)
                if err or p.returncode != 0:
                    if isinstance(err, int) and err > 0:
                        err = "%s (errno %d)" % (os.strerror(err), err)
                    detail = [l for l in p.stderr.splitlines() if "error" in l.lower()][:1]
                    rec["error"] = "%s%s" % (err or "fio rc %d" % p.returncode,
                                             (": " + detail[0].strip()[:200]) if detail else "")
                rec["wall_s"] = wall
                if d0[0] is not None:
                    rec["disk_read_bytes"] = d1[0] - d0[0]
                    rec["disk_write_bytes"] = d1[1] - d0[1]
                if c0 is not None and c1 is not None:
                    rec["daemon_cpu_s"] = c1 - c0
                runs.append(rec)
                left = (time.time() - t0) / n * (total - n)
                if "error" in rec:
                    msg = "ERROR " + str(rec["error"])[:200]
                else:
                    msg = "%s  p50 %s p99 %s" % (fmt_rate(rec["iops"], rec["bw_bytes"]),
                                                fmt_us(rec["p50_ns"]), fmt_us(rec["p99_ns"]))
                log("[%3d/%d] %-18s direct=%d rep %d/%d %-11s %s  (about %ds left)"
                    % (n, total, job, direct, rep + 1, a.reps, t["name"], msg, left))
        if last_config[job] == index:
            remove(job)

    meta["layout_s"] = layout_s
    meta["elapsed_s"] = time.time() - t0
    doc = {"meta": meta, "targets": [{k: t[k] for k in ("name", "dir", "backing")} for t in targets],
           "odirect_probe": probes, "jobs": [{"job": j, "direct": d} for j, d in jobs], "runs": runs}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    errors = [r for r in runs if "error" in r]
    if errors:
        log("runbench: %d of %d runs failed (see results.json)" % (len(errors), len(runs)))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("runbench: interrupted")
