/*
 * bigdir DIR N: in the (new, empty) directory DIR create N empty files,
 * then list DIR with readdir and check that every name comes back exactly
 * once, with d_type DT_REG and a d_ino equal to st_ino (checked on a sample),
 * then remove them the way `rm -rf` does (unlink each entry while the same
 * directory stream is still being read; untouched entries must still be
 * returned, so one pass must empty the directory), and rmdir DIR.
 * Names have varying lengths (up to ~120 bytes) so that readdir needs many
 * getdents buffers.  Prints "ok" and exits 0, or prints what went wrong and
 * exits 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkname(char *b, size_t sz, long i)
{
    int pad = (int)((i * 7919) % 110);
    snprintf(b, sz, "f%07ld-%.*s", i, pad,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* parse the index back out of a name made by mkname; -1 if malformed */
static long parsename(const char *s)
{
    if (s[0] != 'f') return -1;
    char *end;
    long i = strtol(s + 1, &end, 10);
    if (*end != '-') return -1;
    char chk[256];
    mkname(chk, sizeof chk, i);
    return strcmp(chk, s) ? -1 : i;
}

#define DIE(...) do { printf(__VA_ARGS__); putchar('\n'); exit(1); } while (0)

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: bigdir DIR N\n"); return 2; }
    const char *dir = argv[1];
    long n = atol(argv[2]);
    char name[512];
    if (mkdir(dir, 0755)) DIE("mkdir %s: %s", dir, strerror(errno));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) DIE("open dir: %s", strerror(errno));

    for (long i = 0; i < n; i++) {
        mkname(name, sizeof name, i);
        int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0) DIE("create #%ld %s: %s", i, name, strerror(errno));
        close(fd);
    }

    struct stat st;
    if (fstat(dfd, &st)) DIE("fstat dir: %s", strerror(errno));

    /* full listing */
    unsigned char *seen = calloc(n, 1);
    DIR *d = opendir(dir);
    if (!d) DIE("opendir: %s", strerror(errno));
    long count = 0, dots = 0, sampled = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { dots++; errno = 0; continue; }
        long i = parsename(e->d_name);
        if (i < 0 || i >= n) DIE("unexpected name in listing: '%s'", e->d_name);
        if (seen[i]) DIE("name returned twice by readdir: %s", e->d_name);
        seen[i] = 1;
        count++;
        if (e->d_type != DT_REG) DIE("d_type of %s is %d, expected DT_REG(%d)", e->d_name, e->d_type, DT_REG);
        if (e->d_ino == 0) DIE("d_ino of %s is 0", e->d_name);
        if (i % 997 == 0) {
            struct stat fs;
            if (fstatat(dfd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW)) DIE("stat %s: %s", e->d_name, strerror(errno));
            if (fs.st_ino != e->d_ino) DIE("d_ino %lu != st_ino %lu for %s", (unsigned long)e->d_ino, (unsigned long)fs.st_ino, e->d_name);
            sampled++;
        }
        errno = 0;
    }
    if (errno) DIE("readdir: %s", strerror(errno));
    closedir(d);
    if (dots != 2) DIE("expected . and .. in listing, found %ld of them", dots);
    if (count != n) {
        long missing = -1;
        for (long i = 0; i < n; i++) if (!seen[i]) { missing = i; break; }
        mkname(name, sizeof name, missing);
        DIE("readdir returned %ld names, expected %ld (first missing: %s)", count, n, name);
    }

    /* rm -rf style: unlink while iterating */
    d = opendir(dir);
    if (!d) DIE("opendir 2: %s", strerror(errno));
    long removed = 0;
    errno = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { errno = 0; continue; }
        if (unlinkat(dfd, e->d_name, 0)) DIE("unlink %s: %s", e->d_name, strerror(errno));
        removed++;
        errno = 0;
    }
    if (errno) DIE("readdir while unlinking: %s", strerror(errno));
    closedir(d);
    if (removed != n) DIE("one readdir pass while unlinking visited %ld of %ld entries", removed, n);

    d = opendir(dir);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            DIE("entry left after removing all: %s", e->d_name);
    closedir(d);
    if (fstat(dfd, &st)) DIE("fstat dir: %s", strerror(errno));
    close(dfd);
    if (rmdir(dir)) DIE("rmdir: %s", strerror(errno));
    printf("ok (%ld entries, %ld d_ino checked)\n", n, sampled);
    return 0;
}
