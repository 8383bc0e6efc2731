/*
 * concur DIR NPROC NTHREADS REGION
 *
 * Concurrent writers, then a byte-by-byte verification (no torn, lost or
 * misplaced writes).  DIR must exist and be empty of these names.
 *
 *  A. NPROC processes at once, each with its own fds:
 *     - DIR/shared: process p owns the byte range [p*REGION, (p+1)*REGION)
 *       (REGION is deliberately not a multiple of the page size, so
 *       neighbours share pages) and fills it with pwrite calls of random
 *       sizes (1..20000 bytes) in random order;
 *     - DIR/own.P: process p writes its own file with write(2) calls of
 *       random sizes;
 *     - DIR/append: every process appends 400 fixed-size records with
 *       O_APPEND; each record must come out whole, exactly once, and in
 *       order for its process.
 *  B. NTHREADS threads of one process share one fd of DIR/threads and
 *     pwrite interleaved 1000-byte stripes (thread t owns stripes t, t+N, ...).
 *
 * Every data byte is a function of its file offset (and a per-file seed),
 * so a write landing at the wrong offset is detected, not just a missing one.
 * Prints "ok" and exits 0, or prints the first problem and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIE(...) do { printf(__VA_ARGS__); putchar('\n'); exit(1); } while (0)
#define RECLEN 100
#define NREC 400
#define STRIPE 1000
#define STRIPES_PER_THREAD 2000

static inline unsigned char pat(uint64_t off, uint64_t seed)
{
    uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull + seed * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return (unsigned char)(x >> (8 * (off & 7)));
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}

static char dir[4096];
static long region;
static int nthreads;

static void fill(unsigned char *b, uint64_t off, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) b[i] = pat(off + i, seed);
}

static void pwrite_all(int fd, const unsigned char *b, size_t n, off_t off, const char *what)
{
    while (n) {
        ssize_t r = pwrite(fd, b, n, off);
        if (r <= 0) DIE("%s: pwrite at %jd: %s", what, (intmax_t)off, strerror(errno));
        b += r; n -= r; off += r;
    }
}

static void child(int p, int nproc)
{
    char path[4200];
    unsigned char *b = malloc(20000);
    rng_state = 0x1234567ull * (p + 1);

    /* shared file: chunks of our region in random order */
    snprintf(path, sizeof path, "%s/shared", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) DIE("child %d: open shared: %s", p, strerror(errno));
    long nchunks = 0, cap = 1024;
    long (*ch)[2] = malloc(cap * sizeof *ch);
    for (long o = 0; o < region;) {
        long len = 1 + rnd() % 20000;
        if (o + len > region) len = region - o;
        if (nchunks == cap) ch = realloc(ch, (cap *= 2) * sizeof *ch);
        ch[nchunks][0] = o; ch[nchunks][1] = len; nchunks++;
        o += len;
    }
    for (long i = nchunks - 1; i > 0; i--) {
        long j = rnd() % (i + 1);
        long t0 = ch[i][0], t1 = ch[i][1];
        ch[i][0] = ch[j][0]; ch[i][1] = ch[j][1]; ch[j][0] = t0; ch[j][1] = t1;
    }

    /* own file, sequential write(2) */
    snprintf(path, sizeof path, "%s/own.%d", dir, p);
    int ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (ofd < 0) DIE("child %d: open own: %s", p, strerror(errno));
    long owritten = 0;

    snprintf(path, sizeof path, "%s/append", dir);
    int afd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (afd < 0) DIE("child %d: open append: %s", p, strerror(errno));
    int rec = 0;

    /* interleave the three kinds of writes */
    for (long i = 0; i < nchunks || owritten < region || rec < NREC; i++) {
        if (i < nchunks) {
            long o = p * region + ch[i][0];
            fill(b, o, ch[i][1], 1);
            pwrite_all(fd, b, ch[i][1], o, "shared");
        }
        if (owritten < region) {
            long len = 1 + rnd() % 20000;
            if (owritten + len > region) len = region - owritten;
            fill(b, owritten, len, 100 + p);
            ssize_t r = write(ofd, b, len);
            if (r != len) DIE("child %d: write own: %zd %s", p, r, strerror(errno));
            owritten += len;
        }
        if (rec < NREC && (i % 2 == 0 || i >= nchunks)) {
            char r[RECLEN + 1];
            int h = snprintf(r, sizeof r, "p=%03d i=%05d ", p, rec);
            for (int k = h; k < RECLEN - 1; k++) r[k] = 'a' + (p + rec + k) % 26;
            r[RECLEN - 1] = '\n';
            if (write(afd, r, RECLEN) != RECLEN) DIE("child %d: append: %s", p, strerror(errno));
            rec++;
        }
    }
    if (close(fd) || close(ofd) || close(afd)) DIE("child %d: close: %s", p, strerror(errno));
    (void)nproc;
    exit(0);
}

static int tfd;
static void *thread(void *arg)
{
    long t = (long)arg;
    unsigned char b[STRIPE];
    for (long s = t; s < (long)nthreads * STRIPES_PER_THREAD; s += nthreads) {
        fill(b, s * STRIPE, STRIPE, 7);
        pwrite_all(tfd, b, STRIPE, s * STRIPE, "threads");
    }
    return NULL;
}

static void verify(const char *name, long size, uint64_t seed, int per_region, long reg)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) DIE("verify %s: open: %s", name, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    if (st.st_size != size) DIE("%s: size %jd, expected %ld", name, (intmax_t)st.st_size, size);
    unsigned char *b = malloc(1 << 20);
    long off = 0;
    while (off < size) {
        ssize_t r = pread(fd, b, 1 << 20, off);
        if (r <= 0) DIE("%s: read at %ld: %s", name, off, r ? strerror(errno) : "EOF");
        for (ssize_t i = 0; i < r; i++)
            if (b[i] != pat(off + i, seed))
                DIE("%s: byte %ld is %u, expected %u%s", name, off + i, b[i], pat(off + i, seed),
                    b[i] == 0 ? " (lost write?)" : " (torn or misplaced write)");
        off += r;
    }
    (void)per_region; (void)reg;
    free(b);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: concur DIR NPROC NTHREADS REGION\n"); return 2; }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    int nproc = atoi(argv[2]);
    nthreads = atoi(argv[3]);
    region = atol(argv[4]);

    pid_t pids[256];
    for (int p = 0; p < nproc; p++) {
        pids[p] = fork();
        if (pids[p] == 0) child(p, nproc);
        if (pids[p] < 0) DIE("fork: %s", strerror(errno));
    }

    char path[4200];
    snprintf(path, sizeof path, "%s/threads", dir);
    tfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (tfd < 0) DIE("open threads: %s", strerror(errno));
    pthread_t th[256];
    for (long t = 0; t < nthreads; t++) pthread_create(&th[t], NULL, thread, (void *)t);
    for (long t = 0; t < nthreads; t++) pthread_join(th[t], NULL);
    close(tfd);

    int bad = 0;
    for (int p = 0; p < nproc; p++) {
        int status;
        waitpid(pids[p], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status)) bad = 1;
    }
    if (bad) DIE("a writer process failed");

    verify("shared", nproc * region, 1, 1, region);
    for (int p = 0; p < nproc; p++) {
        char n[32];
        snprintf(n, sizeof n, "own.%d", p);
        verify(n, region, 100 + p, 0, 0);
    }
    verify("threads", (long)nthreads * STRIPES_PER_THREAD * STRIPE, 7, 0, 0);

    /* append file */
    snprintf(path, sizeof path, "%s/append", dir);
    FILE *f = fopen(path, "r");
    if (!f) DIE("open append: %s", strerror(errno));
    int next[256] = {0};
    char line[RECLEN + 2];
    long nrec = 0;
    while (fgets(line, sizeof line, f)) {
        int p, i;
        if (strlen(line) != RECLEN || sscanf(line, "p=%03d i=%05d ", &p, &i) != 2 || p < 0 || p >= nproc)
            DIE("append: record %ld is torn: '%.40s...'", nrec, line);
        for (int k = 14; k < RECLEN - 1; k++)
            if (line[k] != 'a' + (p + i + k) % 26) DIE("append: record %ld has wrong filler", nrec);
        if (i != next[p]) DIE("append: record %ld is p=%d i=%d, expected i=%d (lost, duplicated or reordered)", nrec, p, i, next[p]);
        next[p]++;
        nrec++;
    }
    fclose(f);
    if (nrec != (long)nproc * NREC) DIE("append: %ld records, expected %d", nrec, nproc * NREC);

    printf("ok\n");
    return 0;
}
