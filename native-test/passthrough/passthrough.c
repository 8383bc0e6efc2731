/*
 * passthrough: a minimal multithreaded libfuse2 HIGH-level passthrough, the FUSE ceiling that
 * tierfs is benchmarked against (issue 9). It forwards every call to a backing directory and adds
 * nothing of its own, so its figures are what the kernel, libfuse2 and one round trip per request
 * cost on this machine.
 *
 * It behaves like tierfs where that changes the round trips:
 *   - mount options: run it with
 *       -o use_ino,big_writes,max_write=131072,max_read=131072,default_permissions,allow_other
 *   - open/create: direct_io when the open flags hold O_DIRECT, keep_cache otherwise;
 *     O_DIRECT is stripped before the backing file is opened (the daemon's buffers are not
 *     aligned, and the O_DIRECT semantics already happened on the kernel side of FUSE);
 *   - getxattr answers from memory: ENODATA at once unless the name was set through this mount
 *     (the kernel asks for security.capability before every write once getxattr is implemented,
 *     so both filesystems pay that round trip, and both answer it fast). Extended attributes live
 *     in memory only and are lost at unmount: this is a benchmark reference, not a filesystem to
 *     keep data in.
 *
 * Build: gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) passthrough.c \
 *            -o passthrough $(pkg-config --libs fuse) -lpthread
 * Run:   passthrough BACKING_DIR MOUNTPOINT [-f] -o use_ino,big_writes,...
 *        (multithreaded: do not pass -s). Unmount with fusermount -u MOUNTPOINT.
 */
#define FUSE_USE_VERSION 26
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef ENOATTR
#define ENOATTR ENODATA
#endif

static int backing_fd = -1; /* the backing directory; every call is relative to it (the *at calls) */

/* "/a/b" -> "a/b"; "/" -> "." */
static const char *rel(const char *path) {
    while (*path == '/') path++;
    return *path ? path : ".";
}

/* ---------- extended attributes, in memory, keyed by the backing file's (dev, ino) ---------- */

struct xattr {
    dev_t dev;
    ino_t ino;
    char *name;
    char *value;
    size_t size;
    struct xattr *next;
};

static pthread_mutex_t xattr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xattr *xattrs;       /* a short list: benchmarks set none */
static volatile int xattr_count;   /* read without the lock for the fast ENODATA path */

static int key_of(const char *path, dev_t *dev, ino_t *ino) {
    struct stat st;
    if (fstatat(backing_fd, rel(path), &st, AT_SYMLINK_NOFOLLOW) == -1) return -errno;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return 0;
}

static struct xattr **xattr_find(dev_t dev, ino_t ino, const char *name) {
    for (struct xattr **p = &xattrs; *p; p = &(*p)->next)
        if ((*p)->dev == dev && (*p)->ino == ino && strcmp((*p)->name, name) == 0) return p;
    return NULL;
}

static int pt_getxattr(const char *path, const char *name, char *value, size_t size) {
    if (xattr_count == 0) return -ENODATA; /* the common case: nothing set, no syscall */
    dev_t dev;
    ino_t ino;
    int r = key_of(path, &dev, &ino);
    if (r) return r;
    pthread_mutex_lock(&xattr_lock);
    struct xattr **p = xattr_find(dev, ino, name);
    if (!p) r = -ENODATA;
    else if (size == 0) r = (int)(*p)->size;
    else if (size < (*p)->size) r = -ERANGE;
    else {
        memcpy(value, (*p)->value, (*p)->size);
        r = (int)(*p)->size;
    }
    pthread_mutex_unlock(&xattr_lock);
    return r;
}

static int pt_setxattr(const char *path, const char *name, const char *value, size_t size, int flags) {
    dev_t dev;
    ino_t ino;
    int r = key_of(path, &dev, &ino);
    if (r) return r;
    pthread_mutex_lock(&xattr_lock);
    struct xattr **p = xattr_find(dev, ino, name);
    if (p && (flags & XATTR_CREATE)) r = -EEXIST;
    else if (!p && (flags & XATTR_REPLACE)) r = -ENODATA;
    else {
        char *copy = malloc(size ? size : 1);
        if (!copy) r = -ENOMEM;
        else {
            memcpy(copy, value, size);
            if (p) {
                free((*p)->value);
                (*p)->value = copy;
                (*p)->size = size;
            } else {
                struct xattr *x = calloc(1, sizeof *x);
                char *n = strdup(name);
                if (!x || !n) {
                    free(x);
                    free(n);
                    free(copy);
                    r = -ENOMEM;
                } else {
                    x->dev = dev;
                    x->ino = ino;
                    x->name = n;
                    x->value = copy;
                    x->size = size;
                    x->next = xattrs;
                    xattrs = x;
                    xattr_count++;
                }
            }
        }
    }
    pthread_mutex_unlock(&xattr_lock);
    return r;
}

static int pt_listxattr(const char *path, char *list, size_t size) {
    if (xattr_count == 0) return 0;
    dev_t dev;
    ino_t ino;
    int r = key_of(path, &dev, &ino);
    if (r) return r;
    size_t need = 0;
    pthread_mutex_lock(&xattr_lock);
    for (struct xattr *x = xattrs; x; x = x->next)
        if (x->dev == dev && x->ino == ino) need += strlen(x->name) + 1;
    if (size == 0) r = (int)need;
    else if (size < need) r = -ERANGE;
    else {
        char *out = list;
        for (struct xattr *x = xattrs; x; x = x->next)
            if (x->dev == dev && x->ino == ino) {
                size_t n = strlen(x->name) + 1;
                memcpy(out, x->name, n);
                out += n;
            }
        r = (int)need;
    }
    pthread_mutex_unlock(&xattr_lock);
    return r;
}

static int pt_removexattr(const char *path, const char *name) {
    dev_t dev;
    ino_t ino;
    int r = key_of(path, &dev, &ino);
    if (r) return r;
    pthread_mutex_lock(&xattr_lock);
    struct xattr **p = xattr_find(dev, ino, name);
    if (!p) r = -ENODATA;
    else {
        struct xattr *x = *p;
        *p = x->next;
        free(x->name);
        free(x->value);
        free(x);
        xattr_count--;
    }
    pthread_mutex_unlock(&xattr_lock);
    return r;
}

/* ---------- attributes and names ---------- */

static int pt_getattr(const char *path, struct stat *st) {
    return fstatat(backing_fd, rel(path), st, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int pt_fgetattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    (void)path;
    return fstat((int)fi->fh, st) == -1 ? -errno : 0;
}

static int pt_access(const char *path, int mask) {
    return faccessat(backing_fd, rel(path), mask, AT_EACCESS) == -1 ? -errno : 0;
}

static int pt_readlink(const char *path, char *buf, size_t size) {
    ssize_t n = readlinkat(backing_fd, rel(path), buf, size - 1);
    if (n == -1) return -errno;
    buf[n] = '\0';
    return 0;
}

static int pt_opendir(const char *path, struct fuse_file_info *fi) {
    int fd = openat(backing_fd, rel(path), O_RDONLY | O_DIRECTORY);
    if (fd == -1) return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    return 0;
}

static int pt_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi) {
    (void)path;
    DIR *d = (DIR *)(uintptr_t)fi->fh;
    if (off == 0) rewinddir(d);
    else seekdir(d, off);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        memset(&st, 0, sizeof st);
        st.st_ino = e->d_ino;
        st.st_mode = (mode_t)DTTOIF(e->d_type);
        if (filler(buf, e->d_name, &st, telldir(d))) break;
    }
    return 0;
}

static int pt_releasedir(const char *path, struct fuse_file_info *fi) {
    (void)path;
    closedir((DIR *)(uintptr_t)fi->fh);
    return 0;
}

static int pt_mknod(const char *path, mode_t mode, dev_t rdev) {
    return mknodat(backing_fd, rel(path), mode, rdev) == -1 ? -errno : 0;
}

static int pt_mkdir(const char *path, mode_t mode) {
    return mkdirat(backing_fd, rel(path), mode) == -1 ? -errno : 0;
}

static int pt_unlink(const char *path) {
    return unlinkat(backing_fd, rel(path), 0) == -1 ? -errno : 0;
}

static int pt_rmdir(const char *path) {
    return unlinkat(backing_fd, rel(path), AT_REMOVEDIR) == -1 ? -errno : 0;
}

static int pt_symlink(const char *target, const char *path) {
    return symlinkat(target, backing_fd, rel(path)) == -1 ? -errno : 0;
}

static int pt_rename(const char *from, const char *to) {
    return renameat(backing_fd, rel(from), backing_fd, rel(to)) == -1 ? -errno : 0;
}

static int pt_link(const char *from, const char *to) {
    return linkat(backing_fd, rel(from), backing_fd, rel(to), 0) == -1 ? -errno : 0;
}

static int pt_chmod(const char *path, mode_t mode) {
    return fchmodat(backing_fd, rel(path), mode, 0) == -1 ? -errno : 0;
}

static int pt_chown(const char *path, uid_t uid, gid_t gid) {
    return fchownat(backing_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int pt_truncate(const char *path, off_t size) {
    int fd = openat(backing_fd, rel(path), O_WRONLY);
    if (fd == -1) return -errno;
    int r = ftruncate(fd, size) == -1 ? -errno : 0;
    close(fd);
    return r;
}

static int pt_ftruncate(const char *path, off_t size, struct fuse_file_info *fi) {
    (void)path;
    return ftruncate((int)fi->fh, size) == -1 ? -errno : 0;
}

static int pt_utimens(const char *path, const struct timespec ts[2]) {
    return utimensat(backing_fd, rel(path), ts, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int pt_statfs(const char *path, struct statvfs *st) {
    (void)path;
    return fstatvfs(backing_fd, st) == -1 ? -errno : 0;
}

/* ---------- open files: the data path ---------- */

/* tierfs's rule: direct_io for O_DIRECT opens, keep_cache for all others; never O_DIRECT below. */
static void cache_mode(struct fuse_file_info *fi) {
    if (fi->flags & O_DIRECT) {
        fi->direct_io = 1;
        fi->keep_cache = 0;
    } else {
        fi->direct_io = 0;
        fi->keep_cache = 1;
    }
}

static int pt_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    int fd = openat(backing_fd, rel(path), (fi->flags & ~O_DIRECT) | O_CREAT, mode);
    if (fd == -1) return -errno;
    fi->fh = (uint64_t)fd;
    cache_mode(fi);
    return 0;
}

static int pt_open(const char *path, struct fuse_file_info *fi) {
    int fd = openat(backing_fd, rel(path), fi->flags & ~O_DIRECT);
    if (fd == -1) return -errno;
    fi->fh = (uint64_t)fd;
    cache_mode(fi);
    return 0;
}

static int pt_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)path;
    ssize_t n = pread((int)fi->fh, buf, size, off);
    return n == -1 ? -errno : (int)n;
}

static int pt_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi) {
    (void)path;
    ssize_t n = pwrite((int)fi->fh, buf, size, off);
    return n == -1 ? -errno : (int)n;
}

static int pt_flush(const char *path, struct fuse_file_info *fi) {
    (void)path;
    (void)fi;
    return 0;
}

static int pt_release(const char *path, struct fuse_file_info *fi) {
    (void)path;
    close((int)fi->fh);
    return 0;
}

static int pt_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path;
    int r = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
    return r == -1 ? -errno : 0;
}

static int pt_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
    (void)path;
    return fallocate((int)fi->fh, mode, off, len) == -1 ? -errno : 0;
}

static struct fuse_operations ops = {
    .getattr = pt_getattr,
    .fgetattr = pt_fgetattr,
    .access = pt_access,
    .readlink = pt_readlink,
    .opendir = pt_opendir,
    .readdir = pt_readdir,
    .releasedir = pt_releasedir,
    .mknod = pt_mknod,
    .mkdir = pt_mkdir,
    .symlink = pt_symlink,
    .unlink = pt_unlink,
    .rmdir = pt_rmdir,
    .rename = pt_rename,
    .link = pt_link,
    .chmod = pt_chmod,
    .chown = pt_chown,
    .truncate = pt_truncate,
    .ftruncate = pt_ftruncate,
    .utimens = pt_utimens,
    .create = pt_create,
    .open = pt_open,
    .read = pt_read,
    .write = pt_write,
    .statfs = pt_statfs,
    .flush = pt_flush,
    .release = pt_release,
    .fsync = pt_fsync,
    .fallocate = pt_fallocate,
    .setxattr = pt_setxattr,
    .getxattr = pt_getxattr,
    .listxattr = pt_listxattr,
    .removexattr = pt_removexattr,
    .flag_utime_omit_ok = 1,
};

int main(int argc, char *argv[]) {
    if (argc < 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s BACKING_DIR MOUNTPOINT [fuse options]\n", argv[0]);
        return 2;
    }
    char real[PATH_MAX];
    if (!realpath(argv[1], real)) {
        perror(argv[1]);
        return 1;
    }
    backing_fd = open(real, O_RDONLY | O_DIRECTORY);
    if (backing_fd == -1) {
        perror(real);
        return 1;
    }
    umask(0); /* modes come from the caller, as the kernel already applied its umask */
    /* drop BACKING_DIR from argv and let libfuse parse the rest */
    argv[1] = argv[0];
    return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
