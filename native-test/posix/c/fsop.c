/*
 * fsop: perform a sequence of file system calls in ONE process and print
 * one result line per call (in the spirit of pjdfstest's helper).
 *
 *   fsop OP ARG... [: OP ARG...]...
 *
 * A call that fails prints the errno name (ENOENT, EEXIST, ...); the chain
 * goes on regardless.  A call that succeeds prints "0", or the value it
 * returns (bytes written, data read, stat fields, ...).  Files opened with
 * `open` get the indices 0, 1, 2, ... in order; later calls name them by
 * that index.  All I/O buffers are 4096-aligned, so O_DIRECT works when
 * offsets and lengths are aligned.
 *
 * Data read is printed with printable ASCII as is, '\' as "\\" and every
 * other byte as \xHH.
 *
 * Exit status: 0 unless the command line itself is wrong (2).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 64
#define CHUNK (1 << 20)

static int fds[MAXFD];
static int nfds;
static unsigned char *buf, *buf2;

static const struct { int e; const char *n; } errnames[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
    {EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
    {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"}, {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"},
    {EROFS, "EROFS"}, {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
    {EDEADLK, "EDEADLK"}, {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOLCK, "ENOLCK"},
    {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
    {ENODATA, "ENODATA"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EOVERFLOW, "EOVERFLOW"},
    {ENOTCONN, "ENOTCONN"}, {ESTALE, "ESTALE"}, {EDQUOT, "EDQUOT"},
    {ECONNABORTED, "ECONNABORTED"}, {ENOTSOCK, "ENOTSOCK"},
};

static const char *errname(int e)
{
    static char b[32];
    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].e == e)
            return errnames[i].n;
    snprintf(b, sizeof b, "E%d", e);
    return b;
}

static void usage(const char *m)
{
    fprintf(stderr, "fsop: %s\n", m);
    exit(2);
}

static long long num(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || *end) {
        /* allow suffixes k/m/g (binary) */
        if (!errno && end != s && end[1] == 0) {
            switch (*end) {
            case 'k': case 'K': return v << 10;
            case 'm': case 'M': return v << 20;
            case 'g': case 'G': return v << 30;
            }
        }
        fprintf(stderr, "fsop: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static mode_t octal(const char *s)
{
    char *end;
    long v = strtol(s, &end, 8);
    if (*end)
        usage("bad octal mode");
    return (mode_t)v;
}

static int fdarg(const char *s)
{
    long long i = num(s);
    if (i < 0 || i >= nfds)
        usage("bad fd index");
    return fds[i];
}

struct flagname { const char *n; long v; };

static long parseflags(const char *s, const struct flagname *t)
{
    long v = 0;
    char *copy = strdup(s), *save = NULL, *tok;
    for (tok = strtok_r(copy, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save)) {
        int found = 0;
        for (const struct flagname *f = t; f->n; f++)
            if (!strcmp(f->n, tok)) { v |= f->v; found = 1; break; }
        if (!found) {
            char *end;
            long x = strtol(tok, &end, 0);
            if (*end) { fprintf(stderr, "fsop: unknown flag %s\n", tok); exit(2); }
            v |= x;
        }
    }
    free(copy);
    return v;
}

static const struct flagname openflags[] = {
    {"O_RDONLY", O_RDONLY}, {"O_WRONLY", O_WRONLY}, {"O_RDWR", O_RDWR},
    {"O_CREAT", O_CREAT}, {"O_EXCL", O_EXCL}, {"O_TRUNC", O_TRUNC},
    {"O_APPEND", O_APPEND}, {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW},
    {"O_DIRECT", O_DIRECT}, {"O_SYNC", O_SYNC}, {"O_DSYNC", O_DSYNC},
    {"O_NOATIME", O_NOATIME}, {"O_PATH", O_PATH}, {"O_TMPFILE", O_TMPFILE},
    {"O_CLOEXEC", O_CLOEXEC}, {"O_NONBLOCK", O_NONBLOCK}, {NULL, 0}};

static const struct flagname fallocflags[] = {
    {"KEEP_SIZE", FALLOC_FL_KEEP_SIZE}, {"PUNCH_HOLE", FALLOC_FL_PUNCH_HOLE},
    {"ZERO_RANGE", FALLOC_FL_ZERO_RANGE}, {"COLLAPSE_RANGE", FALLOC_FL_COLLAPSE_RANGE},
    {"INSERT_RANGE", FALLOC_FL_INSERT_RANGE}, {"UNSHARE_RANGE", FALLOC_FL_UNSHARE_RANGE},
    {NULL, 0}};

static const struct flagname xattrflags[] = {
    {"CREATE", XATTR_CREATE}, {"REPLACE", XATTR_REPLACE}, {NULL, 0}};

static const struct flagname accessflags[] = {
    {"F_OK", F_OK}, {"R_OK", R_OK}, {"W_OK", W_OK}, {"X_OK", X_OK}, {NULL, 0}};

/* ---- output helpers ---- */

static void print_escaped(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\\')
            fputs("\\\\", stdout);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('\n');
}

static const char *typename(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "sock";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    }
    return "?";
}

static void print_stat(const struct stat *st, const char *fields)
{
    char *copy = strdup(fields), *save = NULL, *tok;
    int first = 1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!first)
            putchar(',');
        first = 0;
        if (!strcmp(tok, "ino")) printf("%ju", (uintmax_t)st->st_ino);
        else if (!strcmp(tok, "dev")) printf("%ju", (uintmax_t)st->st_dev);
        else if (!strcmp(tok, "nlink")) printf("%ju", (uintmax_t)st->st_nlink);
        else if (!strcmp(tok, "mode")) printf("%04o", (unsigned)(st->st_mode & 07777));
        else if (!strcmp(tok, "type")) printf("%s", typename(st->st_mode));
        else if (!strcmp(tok, "uid")) printf("%ju", (uintmax_t)st->st_uid);
        else if (!strcmp(tok, "gid")) printf("%ju", (uintmax_t)st->st_gid);
        else if (!strcmp(tok, "size")) printf("%jd", (intmax_t)st->st_size);
        else if (!strcmp(tok, "blocks")) printf("%jd", (intmax_t)st->st_blocks);
        else if (!strcmp(tok, "blksize")) printf("%jd", (intmax_t)st->st_blksize);
        else if (!strcmp(tok, "atime")) printf("%jd.%09ld", (intmax_t)st->st_atim.tv_sec, st->st_atim.tv_nsec);
        else if (!strcmp(tok, "mtime")) printf("%jd.%09ld", (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        else if (!strcmp(tok, "ctime")) printf("%jd.%09ld", (intmax_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
        else { fprintf(stderr, "fsop: unknown stat field %s\n", tok); exit(2); }
    }
    putchar('\n');
    free(copy);
}

/* position-dependent pattern: byte at absolute offset `off` for `seed` */
static inline unsigned char pat(uint64_t off, uint64_t seed)
{
    uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull + seed * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return (unsigned char)(x >> (8 * (off & 7)));
}

static struct timespec parsetime(const char *s)
{
    struct timespec t = {0, 0};
    if (!strcmp(s, "NOW")) { t.tv_nsec = UTIME_NOW; return t; }
    if (!strcmp(s, "OMIT")) { t.tv_nsec = UTIME_OMIT; return t; }
    char *at = strchr(s, '@');
    if (at) { /* SEC@NSEC: raw nanoseconds, may be out of range on purpose */
        t.tv_sec = strtoll(s, NULL, 10);
        t.tv_nsec = strtol(at + 1, NULL, 10);
        return t;
    }
    char *dot = strchr(s, '.');
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s", s);
    if (dot) {
        /* the fraction is decimal: "5.5" is 5 s + 500000000 ns */
        tmp[dot - s] = 0;
        t.tv_sec = num(tmp);
        size_t nd = strlen(dot + 1);
        if (nd == 0 || nd > 9 || strspn(dot + 1, "0123456789") != nd)
            usage("bad time fraction");
        t.tv_nsec = atol(dot + 1);
        for (size_t k = nd; k < 9; k++)
            t.tv_nsec *= 10;
    } else {
        t.tv_sec = num(s);
    }
    return t;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define FAILED() do { puts(errname(errno)); return; } while (0)
#define OK() do { puts("0"); return; } while (0)

/* ---- operations ---- */

/* keeps an opened descriptor for later steps (fd arguments count from 0) */
static void add_fd(int fd)
{
    if (nfds >= MAXFD) usage("too many fds");
    fds[nfds++] = fd;
}

static void op_open(char **a, int n)
{
    int flags = (int)parseflags(a[0 + 1], openflags);
    mode_t mode = n > 2 ? octal(a[2]) : 0644;
    int fd = open(a[0], flags, mode);
    if (fd < 0) FAILED();
    add_fd(fd);
    OK();
}

static void op_close(char **a, int n) { (void)n; if (close(fdarg(a[0]))) FAILED(); OK(); }

static void op_write(char **a, int n)
{
    (void)n;
    ssize_t r = write(fdarg(a[0]), a[1], strlen(a[1]));
    if (r < 0) FAILED();
    printf("%zd\n", r);
}

static void op_pwrite(char **a, int n)
{
    (void)n;
    ssize_t r = pwrite(fdarg(a[0]), a[2], strlen(a[2]), num(a[1]));
    if (r < 0) FAILED();
    printf("%zd\n", r);
}

static void op_read(char **a, int n)
{
    (void)n;
    size_t cnt = num(a[1]);
    if (cnt > CHUNK) usage("read count too big");
    ssize_t r = read(fdarg(a[0]), buf, cnt);
    if (r < 0) FAILED();
    print_escaped(buf, r);
}

static void op_pread(char **a, int n)
{
    (void)n;
    size_t cnt = num(a[2]);
    if (cnt > CHUNK) usage("read count too big");
    ssize_t r = pread(fdarg(a[0]), buf, cnt, num(a[1]));
    if (r < 0) FAILED();
    print_escaped(buf, r);
}

/* writepat FD OFF LEN SEED: pwrite LEN pattern bytes at OFF in 1 MiB calls */
static void op_writepat(char **a, int n)
{
    (void)n;
    int fd = fdarg(a[0]);
    long long off = num(a[1]), len = num(a[2]), seed = num(a[3]), done = 0;
    while (done < len) {
        size_t c = len - done > CHUNK ? CHUNK : (size_t)(len - done);
        for (size_t i = 0; i < c; i++)
            buf[i] = pat(off + done + i, seed);
        ssize_t r = pwrite(fd, buf, c, off + done);
        if (r < 0) FAILED();
        if (r == 0) break;
        done += r;
    }
    printf("%lld\n", done);
}

/* checkpat FD OFF LEN SEED: pread and compare; prints ok / mismatch@OFF / short@N */
static void op_checkpat(char **a, int n)
{
    (void)n;
    int fd = fdarg(a[0]);
    long long off = num(a[1]), len = num(a[2]), seed = num(a[3]), done = 0;
    while (done < len) {
        size_t c = len - done > CHUNK ? CHUNK : (size_t)(len - done);
        ssize_t r = pread(fd, buf, c, off + done);
        if (r < 0) FAILED();
        if (r == 0) { printf("short@%lld\n", off + done); return; }
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pat(off + done + i, seed)) {
                printf("mismatch@%lld\n", off + done + i);
                return;
            }
        done += r;
    }
    puts("ok");
}

/* zeros FD OFF LEN: check that LEN bytes at OFF read back as zeros */
static void op_zeros(char **a, int n)
{
    (void)n;
    int fd = fdarg(a[0]);
    long long off = num(a[1]), len = num(a[2]), done = 0;
    while (done < len) {
        size_t c = len - done > CHUNK ? CHUNK : (size_t)(len - done);
        ssize_t r = pread(fd, buf, c, off + done);
        if (r < 0) FAILED();
        if (r == 0) { printf("short@%lld\n", off + done); return; }
        for (ssize_t i = 0; i < r; i++)
            if (buf[i]) { printf("nonzero@%lld\n", off + done + i); return; }
        done += r;
    }
    puts("zero");
}

static void op_lseek(char **a, int n)
{
    (void)n;
    int w = !strcmp(a[2], "SET") ? SEEK_SET : !strcmp(a[2], "CUR") ? SEEK_CUR :
            !strcmp(a[2], "END") ? SEEK_END : !strcmp(a[2], "DATA") ? SEEK_DATA :
            !strcmp(a[2], "HOLE") ? SEEK_HOLE : -1;
    if (w < 0) usage("whence");
    off_t r = lseek(fdarg(a[0]), num(a[1]), w);
    if (r < 0) FAILED();
    printf("%jd\n", (intmax_t)r);
}

static void op_ftruncate(char **a, int n) { (void)n; if (ftruncate(fdarg(a[0]), num(a[1]))) FAILED(); OK(); }
static void op_truncate(char **a, int n) { (void)n; if (truncate(a[0], num(a[1]))) FAILED(); OK(); }
static void op_fsync(char **a, int n) { (void)n; if (fsync(fdarg(a[0]))) FAILED(); OK(); }
static void op_fdatasync(char **a, int n) { (void)n; if (fdatasync(fdarg(a[0]))) FAILED(); OK(); }

static void op_fstat(char **a, int n)
{
    struct stat st;
    if (fstat(fdarg(a[0]), &st)) FAILED();
    print_stat(&st, n > 1 ? a[1] : "type,mode,nlink,uid,gid,size");
}

static void op_stat(char **a, int n)
{
    struct stat st;
    if (stat(a[0], &st)) FAILED();
    print_stat(&st, n > 1 ? a[1] : "type,mode,nlink,uid,gid,size");
}

static void op_lstat(char **a, int n)
{
    struct stat st;
    if (lstat(a[0], &st)) FAILED();
    print_stat(&st, n > 1 ? a[1] : "type,mode,nlink,uid,gid,size");
}

static void op_unlink(char **a, int n) { (void)n; if (unlink(a[0])) FAILED(); OK(); }
static void op_mkdir(char **a, int n) { if (mkdir(a[0], n > 1 ? octal(a[1]) : 0755)) FAILED(); OK(); }
static void op_rmdir(char **a, int n) { (void)n; if (rmdir(a[0])) FAILED(); OK(); }
static void op_rename(char **a, int n) { (void)n; if (rename(a[0], a[1])) FAILED(); OK(); }
static void op_link(char **a, int n) { (void)n; if (link(a[0], a[1])) FAILED(); OK(); }
static void op_symlink(char **a, int n) { (void)n; if (symlink(a[0], a[1])) FAILED(); OK(); }
static void op_chmod(char **a, int n) { (void)n; if (chmod(a[0], octal(a[1]))) FAILED(); OK(); }
static void op_fchmod(char **a, int n) { (void)n; if (fchmod(fdarg(a[0]), octal(a[1]))) FAILED(); OK(); }
static void op_chown(char **a, int n) { (void)n; if (chown(a[0], num(a[1]), num(a[2]))) FAILED(); OK(); }
static void op_lchown(char **a, int n) { (void)n; if (lchown(a[0], num(a[1]), num(a[2]))) FAILED(); OK(); }
static void op_fchown(char **a, int n) { (void)n; if (fchown(fdarg(a[0]), num(a[1]), num(a[2]))) FAILED(); OK(); }

static void op_mknod_fifo(char **a, int n) { if (mkfifo(a[0], n > 1 ? octal(a[1]) : 0644)) FAILED(); OK(); }

static void op_readlink(char **a, int n)
{
    (void)n;
    char b[8192];
    ssize_t r = readlink(a[0], b, sizeof b);
    if (r < 0) FAILED();
    print_escaped((unsigned char *)b, r);
}

/* utimensat PATH ATIME MTIME [NOFOLLOW]; time = SEC[.FRACTION] | SEC@NSEC | NOW | OMIT */
static void op_utimensat(char **a, int n)
{
    struct timespec ts[2] = {parsetime(a[1]), parsetime(a[2])};
    int fl = (n > 3 && !strcmp(a[3], "NOFOLLOW")) ? AT_SYMLINK_NOFOLLOW : 0;
    if (utimensat(AT_FDCWD, a[0], ts, fl)) FAILED();
    OK();
}

static void op_utimensat_null(char **a, int n)
{
    (void)n;
    if (utimensat(AT_FDCWD, a[0], NULL, 0)) FAILED();
    OK();
}

static void op_futimens(char **a, int n)
{
    (void)n;
    struct timespec ts[2] = {parsetime(a[1]), parsetime(a[2])};
    if (futimens(fdarg(a[0]), ts)) FAILED();
    OK();
}

static void op_fallocate(char **a, int n)
{
    (void)n;
    int mode = (int)parseflags(a[1], fallocflags);
    if (fallocate(fdarg(a[0]), mode, num(a[2]), num(a[3]))) FAILED();
    OK();
}

static void op_posix_fallocate(char **a, int n)
{
    (void)n;
    int e = posix_fallocate(fdarg(a[0]), num(a[1]), num(a[2]));
    if (e) { puts(errname(e)); return; }
    OK();
}

/* ---- xattrs ---- */

static void op_setxattr_common(char **a, int n, int l)
{
    int fl = n > 3 ? (int)parseflags(a[3], xattrflags) : 0;
    int r = l ? lsetxattr(a[0], a[1], a[2], strlen(a[2]), fl)
              : setxattr(a[0], a[1], a[2], strlen(a[2]), fl);
    if (r) FAILED();
    OK();
}
static void op_setxattr(char **a, int n) { op_setxattr_common(a, n, 0); }
static void op_lsetxattr(char **a, int n) { op_setxattr_common(a, n, 1); }

/* setxattrn PATH NAME LEN [FLAGS]: value is LEN pattern bytes (seed 7) */
static void op_setxattrn(char **a, int n)
{
    size_t len = num(a[2]);
    if (len > CHUNK) usage("too long");
    for (size_t i = 0; i < len; i++) buf[i] = pat(i, 7);
    int fl = n > 3 ? (int)parseflags(a[3], xattrflags) : 0;
    if (setxattr(a[0], a[1], buf, len, fl)) FAILED();
    OK();
}

/* getxattrn PATH NAME: prints the value length if it is the pattern, else mismatch */
static void op_getxattrn(char **a, int n)
{
    (void)n;
    ssize_t r = getxattr(a[0], a[1], buf, CHUNK);
    if (r < 0) FAILED();
    for (ssize_t i = 0; i < r; i++)
        if (buf[i] != pat(i, 7)) { printf("mismatch@%zd\n", i); return; }
    printf("%zd\n", r);
}

/* getxattr PATH NAME [BUFSIZE]: value; BUFSIZE 0 prints the size */
static void op_getxattr_common(char **a, int n, int l)
{
    size_t sz = n > 2 ? (size_t)num(a[2]) : 65536;
    if (sz > CHUNK) usage("too big");
    ssize_t r = l ? lgetxattr(a[0], a[1], sz ? buf : NULL, sz)
                  : getxattr(a[0], a[1], sz ? buf : NULL, sz);
    if (r < 0) FAILED();
    if (sz == 0) { printf("%zd\n", r); return; }
    print_escaped(buf, r);
}
static void op_getxattr(char **a, int n) { op_getxattr_common(a, n, 0); }
static void op_lgetxattr(char **a, int n) { op_getxattr_common(a, n, 1); }

/* listxattr PATH [BUFSIZE] [PREFIX]: sorted names joined by ','
 * (only those starting with PREFIX, default "user."); "-" when empty;
 * BUFSIZE 0 prints the size of the whole list. */
static void op_listxattr_common(char **a, int n, int l)
{
    size_t sz = n > 1 ? (size_t)num(a[1]) : 65536;
    const char *prefix = n > 2 ? a[2] : "user.";
    if (sz > CHUNK) usage("too big");
    ssize_t r = l ? llistxattr(a[0], sz ? (char *)buf : NULL, sz)
                  : listxattr(a[0], sz ? (char *)buf : NULL, sz);
    if (r < 0) FAILED();
    if (sz == 0) { printf("%zd\n", r); return; }
    char *names[4096];
    int cnt = 0;
    for (ssize_t i = 0; i < r && cnt < 4096; i += strlen((char *)buf + i) + 1)
        if (!strncmp((char *)buf + i, prefix, strlen(prefix)))
            names[cnt++] = (char *)buf + i;
    qsort(names, cnt, sizeof names[0], cmpstr);
    if (!cnt) { puts("-"); return; }
    for (int i = 0; i < cnt; i++)
        printf("%s%s", i ? "," : "", names[i]);
    putchar('\n');
}
static void op_listxattr(char **a, int n) { op_listxattr_common(a, n, 0); }
static void op_llistxattr(char **a, int n) { op_listxattr_common(a, n, 1); }

static void op_removexattr(char **a, int n) { (void)n; if (removexattr(a[0], a[1])) FAILED(); OK(); }
static void op_lremovexattr(char **a, int n) { (void)n; if (lremovexattr(a[0], a[1])) FAILED(); OK(); }

/* ---- misc ---- */

static void op_statvfs(char **a, int n)
{
    struct statvfs s;
    if (statvfs(a[0], &s)) FAILED();
    const char *fields = n > 1 ? a[1] : "bsize,frsize,blocks,bfree,bavail,files,ffree,namemax";
    char *copy = strdup(fields), *save = NULL, *tok;
    int first = 1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned long long v;
        if (!strcmp(tok, "bsize")) v = s.f_bsize;
        else if (!strcmp(tok, "frsize")) v = s.f_frsize;
        else if (!strcmp(tok, "blocks")) v = s.f_blocks;
        else if (!strcmp(tok, "bfree")) v = s.f_bfree;
        else if (!strcmp(tok, "bavail")) v = s.f_bavail;
        else if (!strcmp(tok, "files")) v = s.f_files;
        else if (!strcmp(tok, "ffree")) v = s.f_ffree;
        else if (!strcmp(tok, "namemax")) v = s.f_namemax;
        else usage("statvfs field");
        printf("%s%llu", first ? "" : ",", v);
        first = 0;
    }
    putchar('\n');
    free(copy);
}

static const char *dtname(unsigned char t)
{
    switch (t) {
    case DT_REG: return "reg";
    case DT_DIR: return "dir";
    case DT_LNK: return "lnk";
    case DT_FIFO: return "fifo";
    case DT_SOCK: return "sock";
    case DT_CHR: return "chr";
    case DT_BLK: return "blk";
    case DT_UNKNOWN: return "unknown";
    }
    return "?";
}

/* readdir PATH: one line per entry, "NAME INO TYPE", sorted by name;
 * printed as a single multi-line result. */
static void op_readdir(char **a, int n)
{
    (void)n;
    DIR *d = opendir(a[0]);
    if (!d) FAILED();
    size_t cap = 64, cnt = 0;
    char **lines = malloc(cap * sizeof *lines);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (cnt == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        if (asprintf(&lines[cnt++], "%s %ju %s", e->d_name, (uintmax_t)e->d_ino, dtname(e->d_type)) < 0)
            exit(3);
        errno = 0;
    }
    int err = errno;
    closedir(d);
    if (err) { errno = err; FAILED(); }
    qsort(lines, cnt, sizeof *lines, cmpstr);
    for (size_t i = 0; i < cnt; i++) {
        puts(lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* names PATH: sorted entry names except . and .., joined by ' '; "-" if none */
static void op_names(char **a, int n)
{
    (void)n;
    DIR *d = opendir(a[0]);
    if (!d) FAILED();
    size_t cap = 64, cnt = 0;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { errno = 0; continue; }
        if (cnt == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[cnt++] = strdup(e->d_name);
        errno = 0;
    }
    int err = errno;
    closedir(d);
    if (err) { errno = err; FAILED(); }
    qsort(names, cnt, sizeof *names, cmpstr);
    if (!cnt) puts("-");
    for (size_t i = 0; i < cnt; i++) {
        printf("%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    if (cnt) putchar('\n');
    free(names);
}

static void op_access(char **a, int n) { (void)n; if (access(a[0], (int)parseflags(a[1], accessflags))) FAILED(); OK(); }
static void op_umask(char **a, int n) { (void)n; umask(octal(a[0])); OK(); }
static void op_sleep(char **a, int n)
{
    (void)n;
    long long ms = num(a[0]);
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
    OK();
}
static void op_now(char **a, int n)
{
    (void)a; (void)n;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("%jd.%09ld\n", (intmax_t)t.tv_sec, t.tv_nsec);
}
static void op_chdir(char **a, int n) { (void)n; if (chdir(a[0])) FAILED(); OK(); }
static void op_opendirfd(char **a, int n)
{
    (void)n;
    int fd = open(a[0], O_RDONLY | O_DIRECTORY);
    if (fd < 0) FAILED();
    add_fd(fd);
    OK();
}

struct op {
    const char *name;
    int minargs, maxargs;
    void (*fn)(char **, int);
};

static const struct op ops[] = {
    {"open", 2, 3, op_open},           {"close", 1, 1, op_close},
    {"write", 2, 2, op_write},         {"pwrite", 3, 3, op_pwrite},
    {"read", 2, 2, op_read},           {"pread", 3, 3, op_pread},
    {"writepat", 4, 4, op_writepat},   {"checkpat", 4, 4, op_checkpat},
    {"zeros", 3, 3, op_zeros},         {"lseek", 3, 3, op_lseek},
    {"ftruncate", 2, 2, op_ftruncate}, {"truncate", 2, 2, op_truncate},
    {"fsync", 1, 1, op_fsync},         {"fdatasync", 1, 1, op_fdatasync},
    {"fstat", 1, 2, op_fstat},         {"stat", 1, 2, op_stat},
    {"lstat", 1, 2, op_lstat},         {"unlink", 1, 1, op_unlink},
    {"mkdir", 1, 2, op_mkdir},         {"rmdir", 1, 1, op_rmdir},
    {"rename", 2, 2, op_rename},       {"link", 2, 2, op_link},
    {"symlink", 2, 2, op_symlink},     {"readlink", 1, 1, op_readlink},
    {"chmod", 2, 2, op_chmod},         {"fchmod", 2, 2, op_fchmod},
    {"chown", 3, 3, op_chown},         {"lchown", 3, 3, op_lchown},
    {"fchown", 3, 3, op_fchown},       {"mkfifo", 1, 2, op_mknod_fifo},
    {"utimensat", 3, 4, op_utimensat}, {"utimensat_null", 1, 1, op_utimensat_null},
    {"futimens", 3, 3, op_futimens},
    {"fallocate", 4, 4, op_fallocate}, {"posix_fallocate", 3, 3, op_posix_fallocate},
    {"setxattr", 3, 4, op_setxattr},   {"lsetxattr", 3, 4, op_lsetxattr},
    {"setxattrn", 3, 4, op_setxattrn}, {"getxattrn", 2, 2, op_getxattrn},
    {"getxattr", 2, 3, op_getxattr},   {"lgetxattr", 2, 3, op_lgetxattr},
    {"listxattr", 1, 3, op_listxattr}, {"llistxattr", 1, 3, op_llistxattr},
    {"removexattr", 2, 2, op_removexattr}, {"lremovexattr", 2, 2, op_lremovexattr},
    {"statvfs", 1, 2, op_statvfs},     {"readdir", 1, 1, op_readdir},
    {"names", 1, 1, op_names},         {"access", 2, 2, op_access},
    {"umask", 1, 1, op_umask},         {"sleep", 1, 1, op_sleep},
    {"now", 0, 0, op_now},             {"chdir", 1, 1, op_chdir},
    {"opendirfd", 1, 1, op_opendirfd},
    {NULL, 0, 0, NULL}};

int main(int argc, char **argv)
{
    if (argc < 2) usage("usage: fsop OP ARG... [: OP ARG...]...");
    if (posix_memalign((void **)&buf, 4096, CHUNK) || posix_memalign((void **)&buf2, 4096, CHUNK))
        return 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int i = 1;
    while (i < argc) {
        int j = i;
        while (j < argc && strcmp(argv[j], ":")) j++;
        const struct op *o;
        for (o = ops; o->name; o++)
            if (!strcmp(o->name, argv[i])) break;
        if (!o->name) { fprintf(stderr, "fsop: unknown op %s\n", argv[i]); return 2; }
        int n = j - i - 1;
        if (n < o->minargs || n > o->maxargs) { fprintf(stderr, "fsop: wrong arg count for %s\n", o->name); return 2; }
        errno = 0;
        o->fn(argv + i + 1, n);
        i = j + 1;
    }
    return 0;
}
