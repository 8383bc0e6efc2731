/*
 * mmaptest FILE: shared writable mmap semantics.
 *  1. create FILE with a size that is not a multiple of the page size,
 *     map it MAP_SHARED read/write, fill it through the mapping, msync(MS_SYNC);
 *  2. read(2) it through a second, independent fd: same bytes;
 *  3. read it with O_DIRECT (bypasses the page cache, so the data must have
 *     reached the file system itself): same bytes;
 *  4. pwrite(2) through a third fd: the change is visible in the mapping;
 *  5. the bytes past EOF in the last mapped page read as zero;
 *  6. munmap, close everything, reopen, read: same bytes (incl. step 4);
 *  7. modify through a mapping and munmap/close WITHOUT msync: a fresh
 *     open + read sees the change; after fsync an O_DIRECT read sees it too;
 *  8. MAP_PRIVATE writes do not reach the file.
 * Prints "ok" and exits 0, or prints the failed step and exits 1.
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

#define DIE(...) do { printf(__VA_ARGS__); printf(" (errno %s)\n", strerror(errno)); exit(1); } while (0)

static unsigned char pat(size_t i, int seed) { return (unsigned char)((i * 131 + seed * 7 + (i >> 12)) ^ (i >> 7)); }

static void readall(int fd, unsigned char *b, size_t n, const char *what)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, b + done, n - done, done);
        if (r < 0) DIE("%s: pread", what);
        if (r == 0) DIE("%s: short read %zu of %zu", what, done, n);
        done += r;
    }
}

static void check(const unsigned char *b, size_t n, int seed, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(i, seed)) {
            errno = 0;
            DIE("%s: byte %zu is %u, expected %u", what, i, b[i], pat(i, seed));
        }
}

/* O_DIRECT read of the whole file (rounded up to 4096) into b */
static void direct_read(const char *path, unsigned char *b, size_t n, const char *what)
{
    int fd = open(path, O_RDONLY | O_DIRECT);
    if (fd < 0) DIE("%s: open O_DIRECT", what);
    size_t al = (n + 4095) & ~(size_t)4095;
    size_t done = 0;
    while (done < al) {
        ssize_t r = pread(fd, b + done, al - done, done);
        if (r < 0) DIE("%s: O_DIRECT pread", what);
        if (r == 0) break;
        done += r;
    }
    if (done < n) { errno = 0; DIE("%s: O_DIRECT short read %zu of %zu", what, done, n); }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: mmaptest FILE\n"); return 2; }
    const char *path = argv[1];
    const size_t size = (1 << 20) + 123;
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *b;
    if (posix_memalign((void **)&b, 4096, size + 8192)) return 3;

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    if (ftruncate(fd, size)) DIE("ftruncate");
    unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("step 1: mmap MAP_SHARED PROT_WRITE");
    for (size_t i = 0; i < size; i++) m[i] = pat(i, 1);
    if (msync(m, size, MS_SYNC)) DIE("step 1: msync");

    int fd2 = open(path, O_RDONLY);
    if (fd2 < 0) DIE("step 2: open");
    struct stat st;
    if (fstat(fd2, &st)) DIE("fstat");
    if ((size_t)st.st_size != size) { errno = 0; DIE("step 2: st_size %jd, expected %zu", (intmax_t)st.st_size, size); }
    memset(b, 0, size);
    readall(fd2, b, size, "step 2");
    check(b, size, 1, "step 2 (read after msync)");

    memset(b, 0, size);
    direct_read(path, b, size, "step 3");
    check(b, size, 1, "step 3 (O_DIRECT read after msync)");

    int fd3 = open(path, O_RDWR);
    if (fd3 < 0) DIE("step 4: open");
    const char *msg = "written-with-pwrite";
    if (pwrite(fd3, msg, strlen(msg), 5000) != (ssize_t)strlen(msg)) DIE("step 4: pwrite");
    if (memcmp(m + 5000, msg, strlen(msg))) { errno = 0; DIE("step 4: pwrite not visible in the shared mapping"); }

    size_t mapped = (size + pg - 1) / pg * pg;
    unsigned char *m2 = mmap(NULL, mapped, PROT_READ, MAP_SHARED, fd2, 0);
    if (m2 == MAP_FAILED) DIE("step 5: mmap read-only");
    for (size_t i = size; i < mapped; i++)
        if (m2[i]) { errno = 0; DIE("step 5: byte %zu past EOF is %u, expected 0", i, m2[i]); }
    if (memcmp(m2, m, size)) { errno = 0; DIE("step 5: two shared mappings differ"); }
    munmap(m2, mapped);

    if (munmap(m, size)) DIE("munmap");
    close(fd); close(fd2); close(fd3);

    fd = open(path, O_RDONLY);
    if (fd < 0) DIE("step 6: reopen");
    memset(b, 0, size);
    readall(fd, b, size, "step 6");
    if (memcmp(b + 5000, msg, strlen(msg))) { errno = 0; DIE("step 6: pwrite data lost after reopen"); }
    for (size_t i = 0; i < size; i++)
        if ((i < 5000 || i >= 5000 + strlen(msg)) && b[i] != pat(i, 1)) {
            errno = 0;
            DIE("step 6: byte %zu wrong after reopen", i);
        }
    close(fd);

    /* step 7: no msync */
    fd = open(path, O_RDWR);
    if (fd < 0) DIE("step 7: open");
    m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("step 7: mmap");
    for (size_t i = 0; i < size; i++) m[i] = pat(i, 2);
    munmap(m, size);
    close(fd);
    fd = open(path, O_RDWR);
    if (fd < 0) DIE("step 7: reopen");
    memset(b, 0, size);
    readall(fd, b, size, "step 7");
    check(b, size, 2, "step 7 (read after munmap without msync)");
    if (fsync(fd)) DIE("step 7: fsync");
    memset(b, 0, size);
    direct_read(path, b, size, "step 7");
    check(b, size, 2, "step 7 (O_DIRECT read after fsync)");

    /* step 8: MAP_PRIVATE */
    m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) DIE("step 8: mmap MAP_PRIVATE");
    memset(m, 0xAB, 3 * pg);
    munmap(m, size);
    memset(b, 0, size);
    readall(fd, b, size, "step 8");
    check(b, size, 2, "step 8 (MAP_PRIVATE write leaked into the file)");
    close(fd);

    puts("ok");
    return 0;
}
