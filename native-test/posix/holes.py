#!/usr/bin/env python3
"""Punches holes and zeroes ranges in a file under test and in a reference file on ext4, the same way,
and compares them: content, size, SEEK_DATA/SEEK_HOLE at every 4 KiB, and st_blocks. lseek's answers
must be right for the content (SEEK_DATA skips no nonzero byte, SEEK_HOLE lands on zeros or the end)
and must see every hole ext4 sees; where ext4 calls a zeroed range data (it does for some
unwritten extents), the tested filesystem may call it a hole.

  holes.py [--fuse] TESTED_DIR EXT4_DIR [BLOCK]

BLOCK is the tested filesystem's allocation unit (tierfs's block size, 128 KiB by default): it keeps
a whole block where ext4 frees a page, so st_blocks may be higher by one block for each block a
range cuts in part, and must be equal where every range falls on block boundaries. Prints one line
per difference, then "N scenarios, N differences"; exits non-zero on any difference. With --fuse
(the tested filesystem is a FUSE one, which is not passed collapse or insert), those two modes must
fail with EOPNOTSUPP, as on ext4 files without extents.
"""
import ctypes, errno, hashlib, os, random, sys

KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE = 1, 2, 0x10
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]


def fallocate(fd, mode, offset, length):
    if libc.fallocate(fd, mode, offset, length) != 0:
        return errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
    return "ok"


def seek(fd, offset, whence):
    try:
        return os.lseek(fd, offset, whence)
    except OSError as e:
        return errno.errorcode.get(e.errno, e.errno)


WRITE = "write"


def scenarios(B):
    """(name, size, written ranges, then ops (fallocate mode or WRITE, offset, length), aligned to B?)"""
    K = 1024
    P, Z = PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE
    return [
        ("punch at block boundaries", 8 * B, [(0, 8 * B)], [(P, B, 2 * B)], True),
        ("punch inside one block", 4 * B, [(0, 4 * B)], [(P, B + 4 * K, 8 * K)], False),
        ("punch across many blocks", 16 * B, [(0, 16 * B)], [(P, B // 2, 12 * B)], False),
        ("punch over holes", 8 * B, [(0, 64 * K), (5 * B, B)], [(P, 32 * K, 7 * B)], False),
        ("punch a hole only", 8 * B, [(7 * B, 4 * K)], [(P, B, 2 * B)], False),
        ("punch to past the end", 4 * B + 100, [(0, 4 * B + 100)], [(P, 2 * B, 8 * B)], True),
        ("punch past the end", 2 * B, [(0, 2 * B)], [(P, 3 * B, B)], True),
        ("punch twice, then write into it", 6 * B, [(0, 6 * B)],
         [(P, B, B), (P, 3 * B, 2 * B), (WRITE, 3 * B + 100, 5000)], False),
        ("zero at block boundaries", 8 * B, [(0, 8 * B)], [(Z | KEEP_SIZE, 2 * B, 3 * B)], True),
        ("zero inside one block", 2 * B, [(0, 2 * B)], [(Z | KEEP_SIZE, 100, 5000)], False),
        ("zero across holes", 8 * B, [(0, B), (6 * B, B)], [(Z | KEEP_SIZE, B // 2, 6 * B)], False),
        ("zero growing the file", 2 * B, [(0, 2 * B)], [(Z, B, 4 * B)], True),
        ("zero past the end, keep size", 2 * B, [(0, 2 * B)], [(Z | KEEP_SIZE, 3 * B, 2 * B)], True),
        ("zero then punch", 8 * B, [(0, 8 * B)], [(Z | KEEP_SIZE, B, 4 * B), (P, 2 * B, B)], True),
        ("errors", 2 * B, [(0, 2 * B)],
         [(PUNCH_HOLE, 0, B), (P, 0, 0), (P, -1, B), (P | ZERO_RANGE, 0, B), (UNSHARE, 0, B)], True),
    ]


COLLAPSE, INSERT, UNSHARE = 0x8, 0x20, 0x40
# ext4 collapses and inserts ranges in files with extents; FUSE passes neither mode on, so there
# they must fail as they do on ext4 files without extents
NOT_OFFERED = [(COLLAPSE, 0, 131072), (INSERT, 0, 131072)]


def run(path, size, writes, ops, seed):
    rnd = random.Random(seed)
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_RDWR, 0o644)
    try:
        os.ftruncate(fd, size)
        for off, n in writes:
            os.pwrite(fd, rnd.randbytes(n).replace(b"\0", b"\1"), off)
        results = []
        for mode, off, n in ops:
            if mode == WRITE:
                os.pwrite(fd, rnd.randbytes(n).replace(b"\0", b"\1"), off)
            else:
                results.append(fallocate(fd, mode, off, n))
        os.fsync(fd)
        # ext4 calls unwritten (zeroed) ranges data while their pages are cached: compare from the disk
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        st = os.fstat(fd)
        data = os.pread(fd, st.st_size + 1, 0)
        seeks = [(o, seek(fd, o, os.SEEK_DATA), seek(fd, o, os.SEEK_HOLE))
                 for o in range(0, st.st_size + 8192, 4096)]
        return {"results": results, "size": st.st_size, "blocks": st.st_blocks, "data": data,
                "sha": hashlib.sha256(data).hexdigest(), "seeks": seeks}
    finally:
        os.close(fd)


def seek_error(data, offset, found_data, found_hole):
    """Why lseek's answers from OFFSET are wrong for a file holding DATA, or None."""
    size = len(data)
    if offset >= size:
        return None if found_data == found_hole == "ENXIO" else "expected ENXIO past the end"
    if not isinstance(found_data, int):
        if data[offset:].strip(b"\0"):
            return "ENXIO from SEEK_DATA, but data follows"
    elif not offset <= found_data < size or data[offset:found_data].strip(b"\0"):
        return "SEEK_DATA skipped data"
    if not isinstance(found_hole, int) or not offset <= found_hole <= size:
        return "SEEK_HOLE out of range"
    if found_hole < size and data[found_hole] != 0:
        return "SEEK_HOLE landed on data"
    return None


def main():
    args = sys.argv[1:]
    fuse = args[0] == "--fuse"
    tested, ext4 = args[fuse], args[fuse + 1]
    B = int(args[fuse + 2]) if len(args) > fuse + 2 else 131072
    diffs = 0
    cases = scenarios(B)
    for n, (name, size, writes, ops, aligned) in enumerate(cases):
        fname = name.replace(" ", "-").replace(",", "")
        got = run(os.path.join(tested, fname), size, writes, ops, n)
        want = run(os.path.join(ext4, fname), size, writes, ops, n)
        problems = []
        for key in ("results", "size", "sha"):
            if got[key] != want[key]:
                problems.append(f"{key}: {str(got[key])[:80]} (ext4: {str(want[key])[:80]})")
        for g, w in zip(got["seeks"], want["seeks"]):
            wrong = seek_error(got["data"], *g)
            if wrong or (w[2] == w[0] and g[2] != g[0]):
                problems.append(f"lseek from {g[0]}: data {g[1]}, hole {g[2]} (ext4: data {w[1]}, hole {w[2]})"
                                + (f": {wrong}" if wrong else ": misses a hole ext4 sees"))
                break
        # a block that a write or a range cuts in part counts whole here, a page on ext4
        cut = {edge // B for off, length in writes + [op[1:] for op in ops] for edge in (off, off + length) if edge % B}
        slack = 0 if aligned else len(cut) * B // 512
        # ext4 may count one more 4 KiB block for its extent tree
        if not want["blocks"] - 8 <= got["blocks"] <= want["blocks"] + slack:
            problems.append(f"st_blocks {got['blocks']} (ext4: {want['blocks']}, allowed up to {slack} more)")
        for p in problems:
            print(f"{name}: {p}")
        diffs += len(problems)
    fd = os.open(os.path.join(tested, "not-offered"), os.O_CREAT | os.O_RDWR, 0o644)
    os.pwrite(fd, b"x" * 262144, 0)
    for mode, off, length in NOT_OFFERED if fuse else []:
        got = fallocate(fd, mode, off, length)
        if got != "ENOTSUP":
            print(f"fallocate mode {mode:#x}: {got} (expected EOPNOTSUPP, as on ext4 without extents)")
            diffs += 1
    os.close(fd)
    print(f"{len(cases)} scenarios, {diffs} differences")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
