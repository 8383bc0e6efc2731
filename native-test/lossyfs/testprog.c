/*
 * testprog - workloads and checkers for lossyfs's selftest.sh.
 *
 *   testprog append FILE LOG             appends pattern records, fdatasync
 *                                        after each; logs "W end" before a
 *                                        write and "A end" once it is synced
 *   testprog verify FILE MINLEN MAXLEN [torn]
 *                                        FILE is a prefix of the pattern with
 *                                        MINLEN <= length <= MAXLEN ("torn":
 *                                        bytes past MINLEN may also be zero)
 *   testprog fsx FILE SNAP SEED NOPS [SYNC_PERMILLE]
 *                                        random write/truncate/punch/fallocate/
 *                                        read/mmap/reopen/fsync against a
 *                                        model; the model is saved to SNAP at
 *                                        every acknowledged sync (SNAP.pending
 *                                        while a sync is in flight)
 *   testprog wrf SRC DST EXPECT LEN SEED write SRC, rename it to DST while
 *                                        open, fsync through the open fd; the
 *                                        data also goes to EXPECT
 *   testprog punch FILE OFF LEN          punch a hole (KEEP_SIZE), no fsync
 *                                        (util-linux fallocate fsyncs)
 *   testprog unlinkopen FILE             write, unlink while open, write,
 *                                        fsync, read back
 *
 * Exit status: 0 ok, 1 check failed, 2 usage/setup error, 3 got EIO (the
 * crash) during a workload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char pat(long long p)
{
    return (unsigned char)(((uint64_t)p * 2654435761u >> 13) ^ (uint64_t)(p >> 12) ^ 0x5a);
}

static int fail_io(const char *what)
{
    int e = errno;
    fprintf(stderr, "testprog: %s: %s\n", what, strerror(e));
    return e == EIO || e == ENOTCONN ? 3 : 1;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *b = buf;
    while (len) {
        ssize_t r = pwrite(fd, b, len, off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += r;
        len -= (size_t)r;
        off += r;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len, off_t off)
{
    char *b = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, b + got, len - got, off + (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (int)got;
}

/* ---- append / verify ---- */

static int do_append(const char *file, const char *log)
{
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail_io("open");
    if (fsync(fd) < 0)
        return fail_io("fsync");
    int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (lfd < 0)
        return fail_io("open log");
    dprintf(lfd, "A 0\n");
    static unsigned char buf[65536];
    long long pos = 0;
    for (long i = 0;; i++) {
        size_t len = 1 + (size_t)((i * 7919) % 9000);
        for (size_t k = 0; k < len; k++)
            buf[k] = pat(pos + (long long)k);
        dprintf(lfd, "W %lld\n", pos + (long long)len);
        if (write_all(fd, buf, len, pos) < 0)
            return fail_io("write");
        if ((i % 3 == 2 ? fsync(fd) : fdatasync(fd)) < 0)
            return fail_io("fdatasync");
        pos += (long long)len;
        dprintf(lfd, "A %lld\n", pos);
        if (pos > (1LL << 30))
            return 0;
    }
}

static int do_verify(const char *file, long long minlen, long long maxlen, int torn)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        return fail_io("open");
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail_io("fstat");
    long long len = st.st_size;
    if (len < minlen || len > maxlen) {
        fprintf(stderr, "verify: length %lld not in [%lld, %lld]\n", len, minlen, maxlen);
        return 1;
    }
    static unsigned char buf[1 << 16];
    long long pos = 0;
    while (pos < len) {
        int r = read_all(fd, buf, sizeof buf, pos);
        if (r < 0)
            return fail_io("read");
        if (r == 0) {
            fprintf(stderr, "verify: short read at %lld of %lld\n", pos, len);
            return 1;
        }
        for (int k = 0; k < r; k++)
            if (buf[k] != pat(pos + k) && !(torn && pos + k >= minlen && buf[k] == 0)) {
                fprintf(stderr, "verify: byte %lld is %u, expected %u\n", pos + k, buf[k],
                        pat(pos + k));
                return 1;
            }
        pos += r;
    }
    printf("%lld\n", len);
    return 0;
}

/* ---- fsx ---- */

#define FSX_MAX (300 * 1024)
static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int save_snap(const char *path, const unsigned char *m, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    if (len && write_all(fd, m, len, 0) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return rename(tmp, path);
}

static int do_fsx(const char *file, const char *snap, uint64_t seed, long nops, int sync_pm)
{
    rs = seed * 0x9E3779B97F4A7C15ull + 1;
    unsigned char *model = calloc(1, FSX_MAX + 65536);
    unsigned char *buf = malloc(FSX_MAX + 65536);
    size_t mlen = 0;
    char pending[4096];
    snprintf(pending, sizeof pending, "%s.pending", snap);
    unlink(pending);
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail_io("open");
    if (fsync(fd) < 0)
        return fail_io("fsync");
    if (save_snap(snap, model, 0) < 0)
        return fail_io("snap");
    long counts[10] = {0};
    for (long op = 0; op < nops; op++) {
        int kind = rnd() % 1000 < (uint64_t)sync_pm ? 99 : (int)(rnd() % 88);
        if (kind < 35) { /* write */
            size_t off = rnd() % FSX_MAX, len = 1 + rnd() % 20000;
            if (off + len > FSX_MAX)
                len = FSX_MAX - off;
            for (size_t k = 0; k < len; k++)
                buf[k] = (unsigned char)rnd();
            if (write_all(fd, buf, len, (off_t)off) < 0)
                return fail_io("write");
            memcpy(model + off, buf, len);
            if (off + len > mlen)
                mlen = off + len;
            counts[0]++;
        } else if (kind < 42) { /* truncate (shrink or grow) */
            size_t nl = rnd() % 3 == 0 ? rnd() % FSX_MAX : (mlen ? rnd() % (mlen + 1) : 0);
            if (ftruncate(fd, (off_t)nl) < 0)
                return fail_io("ftruncate");
            if (nl < mlen)
                memset(model + nl, 0, mlen - nl);
            mlen = nl;
            counts[1]++;
        } else if (kind < 49) { /* punch hole */
            size_t off = rnd() % FSX_MAX, len = 1 + rnd() % 30000;
            if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
                return fail_io("punch");
            if (off < mlen)
                memset(model + off, 0, (off + len > mlen ? mlen : off + len) - off);
            counts[2]++;
        } else if (kind < 53) { /* fallocate, with or without KEEP_SIZE */
            size_t off = rnd() % FSX_MAX, len = 1 + rnd() % 20000;
            int keep = (int)(rnd() % 2);
            if (fallocate(fd, keep ? FALLOC_FL_KEEP_SIZE : 0, (off_t)off, (off_t)len) < 0)
                return fail_io("fallocate");
            if (!keep && off + len > mlen)
                mlen = off + len;
            counts[3]++;
        } else if (kind < 75) { /* read */
            size_t off = rnd() % (FSX_MAX + 4096), len = 1 + rnd() % 40000;
            size_t exp = off >= mlen ? 0 : (off + len > mlen ? mlen - off : len);
            int r = read_all(fd, buf, len, (off_t)off);
            if (r < 0)
                return fail_io("read");
            if ((size_t)r != exp) {
                fprintf(stderr, "fsx op %ld: read at %zu len %zu gave %d, expected %zu\n", op, off,
                        len, r, exp);
                return 1;
            }
            if (memcmp(buf, model + off, exp)) {
                for (size_t k = 0; k < exp; k++)
                    if (buf[k] != model[off + k]) {
                        fprintf(stderr, "fsx op %ld: byte %zu is %u, expected %u\n", op, off + k,
                                buf[k], model[off + k]);
                        break;
                    }
                return 1;
            }
            counts[4]++;
        } else if (kind < 80) { /* stat */
            struct stat st;
            if (fstat(fd, &st) < 0)
                return fail_io("fstat");
            if ((size_t)st.st_size != mlen) {
                fprintf(stderr, "fsx op %ld: size %lld, expected %zu\n", op, (long long)st.st_size,
                        mlen);
                return 1;
            }
            counts[5]++;
        } else if (kind < 84) { /* mmap read of the whole file */
            if (mlen && rnd() % 2) { /* shared writable mapping, no msync */
                unsigned char *p = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED)
                    return fail_io("mmap rw");
                size_t off = rnd() % mlen, len = 1 + rnd() % 10000;
                if (off + len > mlen)
                    len = mlen - off;
                for (size_t k = 0; k < len; k++)
                    model[off + k] = (unsigned char)rnd();
                memcpy(p + off, model + off, len);
                munmap(p, mlen);
                counts[9]++;
            } else if (mlen) {
                void *p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED)
                    return fail_io("mmap");
                int bad = memcmp(p, model, mlen) != 0;
                munmap(p, mlen);
                if (bad) {
                    fprintf(stderr, "fsx op %ld: mmap contents differ\n", op);
                    return 1;
                }
            }
            counts[6]++;
        } else if (kind < 88) { /* close and reopen: the overlay must stay */
            if (close(fd) < 0)
                return fail_io("close");
            fd = open(file, O_RDWR);
            if (fd < 0)
                return fail_io("reopen");
            counts[7]++;
        } else { /* sync */
            if (save_snap(pending, model, mlen) < 0)
                return fail_io("snap");
            if ((rnd() % 2 ? fsync(fd) : fdatasync(fd)) < 0)
                return fail_io("fsync");
            if (rename(pending, snap) < 0)
                return fail_io("snap rename");
            counts[8]++;
        }
    }
    if (save_snap(pending, model, mlen) < 0)
        return fail_io("snap");
    if (fsync(fd) < 0)
        return fail_io("final fsync");
    if (rename(pending, snap) < 0)
        return fail_io("snap rename");
    close(fd);
    fprintf(stderr, "fsx: %ld ops: write %ld trunc %ld punch %ld falloc %ld read %ld stat %ld mmap-read %ld mmap-write %ld reopen %ld sync %ld\n",
            nops, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6],
            counts[9], counts[7], counts[8]);
    return 0;
}

/* ---- wrf / unlinkopen ---- */

static int do_wrf(const char *src, const char *dst, const char *expect, size_t len, uint64_t seed)
{
    rs = seed * 0x9E3779B97F4A7C15ull + 7;
    unsigned char *b = malloc(len ? len : 1);
    for (size_t k = 0; k < len; k++)
        b[k] = (unsigned char)rnd();
    int e = open(expect, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (e < 0 || write_all(e, b, len, 0) < 0)
        return fail_io("expect");
    close(e);
    int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail_io("open");
    size_t half = len / 2;
    if (write_all(fd, b, half, 0) < 0)
        return fail_io("write");
    if (rename(src, dst) < 0)
        return fail_io("rename");
    if (write_all(fd, b + half, len - half, (off_t)half) < 0)
        return fail_io("write");
    if (fsync(fd) < 0)
        return fail_io("fsync");
    if (close(fd) < 0)
        return fail_io("close");
    return 0;
}

static int do_unlinkopen(const char *file)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail_io("open");
    char a[10000], r[10000];
    for (int i = 0; i < 10000; i++)
        a[i] = (char)(i * 7);
    if (write_all(fd, a, 5000, 0) < 0)
        return fail_io("write");
    if (unlink(file) < 0)
        return fail_io("unlink");
    if (write_all(fd, a + 5000, 5000, 5000) < 0)
        return fail_io("write");
    if (fsync(fd) < 0)
        return fail_io("fsync");
    if (read_all(fd, r, 10000, 0) != 10000 || memcmp(a, r, 10000)) {
        fprintf(stderr, "unlinkopen: read back differs\n");
        return 1;
    }
    if (close(fd) < 0)
        return fail_io("close");
    if (access(file, F_OK) == 0) {
        fprintf(stderr, "unlinkopen: file still there\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "append"))
        return do_append(argv[2], argv[3]);
    if (argc >= 5 && !strcmp(argv[1], "verify"))
        return do_verify(argv[2], atoll(argv[3]), atoll(argv[4]),
                         argc >= 6 && !strcmp(argv[5], "torn"));
    if (argc >= 6 && !strcmp(argv[1], "fsx"))
        return do_fsx(argv[2], argv[3], strtoull(argv[4], NULL, 10), atol(argv[5]),
                      argc >= 7 ? atoi(argv[6]) : 100);
    if (argc >= 7 && !strcmp(argv[1], "wrf"))
        return do_wrf(argv[2], argv[3], argv[4], (size_t)atoll(argv[5]),
                      strtoull(argv[6], NULL, 10));
    if (argc >= 5 && !strcmp(argv[1], "punch")) {
        int fd = open(argv[2], O_RDWR);
        if (fd < 0)
            return fail_io("open");
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, atoll(argv[3]), atoll(argv[4])) < 0)
            return fail_io("punch");
        return close(fd) < 0 ? fail_io("close") : 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "unlinkopen"))
        return do_unlinkopen(argv[2]);
    fprintf(stderr, "usage: see the comment at the top of testprog.c\n");
    return 2;
}
