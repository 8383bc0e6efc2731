#!/usr/bin/env python3
"""Writes through a mount until it dies, logging what the filesystem acknowledged.

  crashwriter.py write DIR LOG TAG   files (written, fsynced, closed: logged with their checksum),
                                 in-place overwrites of 4 KiB records in DIR/records (each record's
                                 generation logged once an fdatasync acknowledged it), and 128 KiB
                                 segments of DIR/holes written and fsynced, or punched out
  crashwriter.py check DIR LOG   every logged file has its checksum; every record is whole (a record
                                 is its index and generation repeated, so a torn or garbage record
                                 shows) and no older than its last acknowledged generation; every
                                 segment holds its last synced generation, or what was written or
                                 punched (zeros) since: freed data never comes back
"""
import hashlib, os, random, sys

REC, NREC = 4096, 256
SEG, NSEG = 131072, 32
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2


def record(index, gen):
    head = f"{index:08d}:{gen:08d}|".encode()
    return (head * (REC // len(head) + 1))[:REC]


def generation(blob, index):
    """The generation of record INDEX in BLOB (the records file), or -1 if it is not whole."""
    r = blob[index * REC:(index + 1) * REC]
    gen = int(r[9:17]) if r[:8].isdigit() and r[9:17].isdigit() else -1
    return gen if gen >= 0 and r == record(index, gen) else -1


def punch(fd, offset, length):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def segment_pages(blob, index):
    """Per 4 KiB page of segment INDEX: its generation, 0 for zeros, -1 for anything else."""
    gens = []
    for p in range(SEG // REC):
        page = blob[index * SEG + p * REC:index * SEG + (p + 1) * REC]
        if page == bytes(REC):
            gens.append(0)
        else:
            head = page[:18]
            ok = head[:8].isdigit() and head[9:17].isdigit() and int(head[:8]) == index
            gens.append(int(head[9:17]) if ok and page == record(index, int(head[9:17])) else -1)
    return gens


def churn_holes(fd, logf, gen):
    """Writes (and fsyncs) or punches one segment of the holes file, logging the intent first: an
    operation the crash interrupts may or may not have happened."""
    i = random.randrange(NSEG)
    if random.random() < 0.5:
        logf.write(f"writing {i} {gen}\n")
        os.pwrite(fd, record(i, gen) * (SEG // REC), i * SEG)
        os.fdatasync(fd)
        logf.write(f"segment {i} {gen}\n")
    else:
        logf.write(f"punching {i}\n")
        punch(fd, i * SEG, SEG)


def version(n):
    return (f"version {n:08d}\n" * 5000).encode()


def write(d, log, tag):
    logf = open(log, "a", buffering=1)
    fd = os.open(os.path.join(d, "records"), os.O_CREAT | os.O_RDWR, 0o644)
    gen = 0
    if os.fstat(fd).st_size == NREC * REC:
        # an earlier run's records: go on from their generations, so each record's only grow
        blob = os.pread(fd, NREC * REC, 0)
        gen = max(generation(blob, i) for i in range(NREC))
    else:
        for i in range(NREC):
            os.pwrite(fd, record(i, 0), i * REC)
        os.fsync(fd)
    hfd = os.open(os.path.join(d, "holes"), os.O_CREAT | os.O_RDWR, 0o644)
    os.ftruncate(hfd, SEG * NSEG)
    os.fsync(hfd)
    logf.write("records ready\n")
    n = 0
    unsynced = {}  # record index -> generation written since the last fdatasync
    while True:
        name = os.path.join(d, f"{tag}-{n:06d}")
        data = os.urandom(random.choice([1, 4096, 65536, 200000]))
        with open(name, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        logf.write(f"file {name} {hashlib.md5(data).hexdigest()}\n")
        n += 1
        for _ in range(8):
            gen += 1
            i = random.randrange(NREC)
            os.pwrite(fd, record(i, gen), i * REC)
            unsynced[i] = gen
        gen += 1
        churn_holes(hfd, logf, gen)
        if n % 4 == 0:
            os.fdatasync(fd)
            logf.write("synced " + " ".join(f"{i}:{g}" for i, g in unsynced.items()) + "\n")
            unsynced.clear()
        if n % 5 == 0:  # replace a file atomically: write, fsync, rename over, fsync the directory
            tmp = os.path.join(d, "current.tmp")
            with open(tmp, "wb") as f:
                f.write(version(n))
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, os.path.join(d, "current"))
            dfd = os.open(d, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
            logf.write(f"current {n}\n")


def check(d, log):
    bad = []
    files = 0
    current = -1
    synced = [0] * NREC
    # per segment: the generation last written and fsynced (0: never), and what may have happened
    # since (writes and punches begun: their generations, 0 for a punch's zeros)
    segment = [0] * NSEG
    since = [set() for _ in range(NSEG)]
    ready = False  # the records file was fsynced whole once; before that a crash may cut it short
    for line in open(log):
        parts = line.split()
        if parts[0] == "records":
            ready = True
        elif parts[0] == "synced":
            for pair in parts[1:]:
                i, g = pair.split(":")
                synced[int(i)] = int(g)
        elif parts[0] == "segment":
            segment[int(parts[1])] = int(parts[2])
            since[int(parts[1])] = set()
        elif parts[0] == "writing":
            since[int(parts[1])].add(int(parts[2]))
        elif parts[0] == "punching":
            since[int(parts[1])].add(0)
        elif parts[0] == "current":
            current = int(parts[1])
        elif parts[0] == "file":
            files += 1
            try:
                got = hashlib.md5(open(parts[1], "rb").read()).hexdigest()
            except OSError as e:
                got = str(e)
            if got != parts[2]:
                bad.append(f"{parts[1]}: {got} != {parts[2]}")
    if current >= 0:
        try:
            got = open(os.path.join(d, "current"), "rb").read()
        except OSError as e:
            got = str(e).encode()
        n = int(got[8:16]) if got[:8] == b"version " and got[8:16].isdigit() else -1
        if n < current or got != version(n):
            bad.append(f"current is not a whole version at least {current}: {got[:20]!r}")
    blob = open(os.path.join(d, "records"), "rb").read() if ready else b""
    if ready and len(blob) != NREC * REC:
        bad.append(f"records file is {len(blob)} bytes")
    for i in range(min(NREC, len(blob) // REC)):
        gen = generation(blob, i)
        if gen < 0:
            bad.append(f"record {i} is torn or garbage")
        elif gen < synced[i]:
            bad.append(f"record {i} went back to generation {gen}; generation {synced[i]} was fdatasynced")
    holes = open(os.path.join(d, "holes"), "rb").read() if ready else b""
    for i in range(NSEG if ready else 0):
        allowed = {segment[i]} | since[i]
        got = set(segment_pages(holes, i))
        if not got <= allowed:
            bad.append(f"segment {i} holds generations {sorted(got)}, expected one of {sorted(allowed)}"
                       " (-1: garbage; 0: zeros)")
    for b in bad[:10]:
        print(b)
    print(f"checked {files} acknowledged files, {len(blob) // REC} records and {NSEG if ready else 0} segments:"
          f" {len(bad)} problems")
    return not bad


if __name__ == "__main__":
    if sys.argv[1] == "write":
        try:
            write(sys.argv[2], sys.argv[3], sys.argv[4])
        except OSError:
            pass  # the mount died under us: that is the point
    else:
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
