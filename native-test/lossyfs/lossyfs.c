/*
 * lossyfs - a FUSE pass-through filesystem that loses every write that was
 * not fsync'ed, at a moment the test harness chooses.
 *
 * Data written through lossyfs is kept in an in-memory overlay per backing
 * inode (4 KiB pages plus a pending size).  fsync/fdatasync of a file writes
 * that file's overlay to the backing file and fsyncs it.  A "crash" (SIGUSR1,
 * a write to <mountpoint>/.lossyfs-crash, or one of the crash_after_* / random
 * options) discards every overlay and makes every later request fail with EIO.
 * After an unmount and a fresh mount on the same backing directory, what is
 * visible is exactly what was synced.  See README.md for the full model.
 *
 * Build:
 *   gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) \
 *       lossyfs.c -o lossyfs $(pkg-config --libs fuse) -lpthread
 */
#define FUSE_USE_VERSION 26
#define _GNU_SOURCE

#include <fuse.h>
#include <fuse_opt.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

#define LFS_PAGE 4096
#define CTL_NAME "/.lossyfs-crash"
#define SYNC_RUN_PAGES 256 /* pages coalesced into one pwrite at sync time */

/* ------------------------------------------------------------------------ */
/* configuration                                                            */

struct lfs_cfg {
    char *backing;
    unsigned long crash_after_ms;
    unsigned long crash_random_ms;
    unsigned long crash_min_ms;
    unsigned long seed;
    unsigned long crash_after_ops;
    int strict_dirs;
    int lose_on_unmount;
    int torn_sync;
    int no_size;
    int no_fallocate;
    int quiet;
    int have_mountpoint;
    char *mountpoint;
};
static struct lfs_cfg cfg;
static int g_rootfd = -1;

/* ------------------------------------------------------------------------ */
/* crash state                                                              */

static volatile sig_atomic_t g_crashed;      /* set first, by any trigger   */
static volatile sig_atomic_t g_sig_crash;    /* SIGUSR1 arrived             */
static int g_crash_done;                     /* under g_crash_lock (write)  */
static char g_crash_reason[128];
static pthread_rwlock_t g_crash_lock;        /* ops: read; crash: write     */

static sem_t g_crash_sem;                    /* wakes the crash thread      */
static pthread_t g_crash_thread;
static int g_crash_thread_started;
static volatile int g_crash_thread_stop;
static pthread_mutex_t g_timer_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec g_deadline;           /* CLOCK_REALTIME, 0 = none    */
static long g_ops_left;                      /* atomic; 0 = disarmed        */
/* "fail_fsync PREFIX": the next fsync of a file whose path starts with PREFIX
 * fails with EIO and loses that file's unsynced writes, as a failed write-back
 * does in the kernel (which then reports success to a retried fsync). */
static char g_fail_fsync[PATH_MAX];           /* under g_fail_mu; "" = none  */
static pthread_mutex_t g_fail_mu = PTHREAD_MUTEX_INITIALIZER;

/* statistics (atomic) */
static long st_writes, st_syncs, st_dirty_pages, st_crash_lost_pages;

static void lfs_log(const char *fmt, ...)
{
    if (cfg.quiet)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "lossyfs[%d]: %s\n", (int)getpid(), buf);
}

static inline int crashed(void)
{
    return __atomic_load_n(&g_crashed, __ATOMIC_SEQ_CST) != 0;
}

/* Every request except release/control-file requests runs between
 * ENTER and LEAVE: a crash waits for the requests in flight, and a request
 * that starts after the crash fails with EIO. */
#define ENTER()                                          \
    do {                                                 \
        pthread_rwlock_rdlock(&g_crash_lock);            \
        if (crashed()) {                                 \
            pthread_rwlock_unlock(&g_crash_lock);        \
            return -EIO;                                 \
        }                                                \
    } while (0)
#define LEAVE(r)                                         \
    do {                                                 \
        int r__ = (r);                                   \
        pthread_rwlock_unlock(&g_crash_lock);            \
        return r__;                                      \
    } while (0)

static void crash_now(const char *reason);

/* Counts a mutating request for crash_after_ops; returns 1 when this very
 * request is the one at which the crash fires (it is not executed). */
static int count_mutation(void)
{
    long v = __atomic_load_n(&g_ops_left, __ATOMIC_SEQ_CST);
    while (v > 0) {
        if (__atomic_compare_exchange_n(&g_ops_left, &v, v - 1, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            if (v == 1) {
                crash_now("crash_after_ops reached");
                return 1;
            }
            return 0;
        }
    }
    return 0;
}
#define MUTATION()                       \
    do {                                 \
        if (count_mutation())            \
            return -EIO;                 \
    } while (0)

/* ------------------------------------------------------------------------ */
/* path helpers                                                             */

static const char *rel(const char *path)
{
    while (*path == '/')
        path++;
    return *path ? path : ".";
}

static int is_ctl(const char *path)
{
    return path && strcmp(path, CTL_NAME) == 0;
}

static int pread_full(int fd, char *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, off + (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (int)got;
}

static int pwrite_full(int fd, const char *buf, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pwrite(fd, buf + done, len - done, off + (off_t)done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EIO;
        done += (size_t)r;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* overlay: pages and nodes                                                 */

struct page {
    uint64_t idx;
    unsigned char *data; /* NULL: the page is all zeros (punched hole) */
    struct page *next;
};

struct node {
    dev_t dev;
    ino_t ino;
    int fd;        /* backing file, O_RDWR when possible; pins the inode   */
    int rdwr;
    int refs;      /* open handles + temporary users; under g_tab_mu       */
    struct node *hnext;

    pthread_mutex_t mu; /* guards everything below */
    off_t size;    /* pending (visible) size                               */
    off_t valid;   /* backing bytes [0, valid) still belong to the file    */
    off_t bsize;   /* size of the backing file as we last left it          */
    struct timespec mtime; /* visible mtime if mtime_set                   */
    int mtime_set;
    struct page **bk;
    size_t nb, npages;
};

#define TAB_SIZE 16411
static struct node *g_tab[TAB_SIZE];
static pthread_mutex_t g_tab_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t tab_hash(dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;
    return (size_t)(h % TAB_SIZE);
}

static int node_dirty(struct node *n)
{
    return n->npages > 0 || n->size != n->bsize || n->valid != n->bsize;
}

static struct page *pg_find(struct node *n, uint64_t idx)
{
    if (!n->nb)
        return NULL;
    for (struct page *p = n->bk[idx & (n->nb - 1)]; p; p = p->next)
        if (p->idx == idx)
            return p;
    return NULL;
}

static int pg_insert(struct node *n, struct page *p)
{
    if (n->npages + 1 > n->nb) {
        size_t nnb = n->nb ? n->nb * 2 : 64;
        struct page **nbk = calloc(nnb, sizeof *nbk);
        if (!nbk)
            return -ENOMEM;
        for (size_t i = 0; i < n->nb; i++) {
            struct page *q = n->bk[i];
            while (q) {
                struct page *nx = q->next;
                q->next = nbk[q->idx & (nnb - 1)];
                nbk[q->idx & (nnb - 1)] = q;
                q = nx;
            }
        }
        free(n->bk);
        n->bk = nbk;
        n->nb = nnb;
    }
    size_t b = p->idx & (n->nb - 1);
    p->next = n->bk[b];
    n->bk[b] = p;
    n->npages++;
    __atomic_add_fetch(&st_dirty_pages, 1, __ATOMIC_RELAXED);
    return 0;
}

static void pg_free(struct page *p)
{
    free(p->data);
    free(p);
}

/* Drops every page whose index is >= first (first = 0 drops all). */
static size_t pg_drop_from(struct node *n, uint64_t first)
{
    size_t dropped = 0;
    for (size_t i = 0; i < n->nb; i++) {
        struct page **pp = &n->bk[i];
        while (*pp) {
            struct page *p = *pp;
            if (p->idx >= first) {
                *pp = p->next;
                pg_free(p);
                dropped++;
            } else {
                pp = &p->next;
            }
        }
    }
    n->npages -= dropped;
    __atomic_sub_fetch(&st_dirty_pages, (long)dropped, __ATOMIC_RELAXED);
    if (n->npages == 0 && n->nb > 64) {
        free(n->bk);
        n->bk = NULL;
        n->nb = 0;
    }
    return dropped;
}

/* Forgets every write not yet synced: the file is as its backing file was
 * left by the last sync.  Called with n->mu held. */
static void node_discard_locked(struct node *n)
{
    pg_drop_from(n, 0);
    n->size = n->valid = n->bsize;
    n->mtime_set = 0;
}

/* Fills a fresh page buffer with the file's current contents outside the
 * overlay: backing bytes below n->valid, zeros elsewhere. */
static int pg_fill(struct node *n, uint64_t idx, unsigned char *data)
{
    off_t start = (off_t)idx * LFS_PAGE;
    memset(data, 0, LFS_PAGE);
    if (start < n->valid) {
        size_t want = (size_t)((n->valid - start) < LFS_PAGE ? (n->valid - start) : LFS_PAGE);
        int r = pread_full(n->fd, (char *)data, want, start);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Returns the page for idx with a data buffer, creating/filling it. */
static int pg_get_data(struct node *n, uint64_t idx, int full_overwrite, struct page **out)
{
    struct page *p = pg_find(n, idx);
    if (p) {
        if (!p->data) {
            p->data = calloc(1, LFS_PAGE);
            if (!p->data)
                return -ENOMEM;
        }
        *out = p;
        return 0;
    }
    p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->idx = idx;
    p->data = malloc(LFS_PAGE);
    if (!p->data) {
        free(p);
        return -ENOMEM;
    }
    if (!full_overwrite) {
        int r = pg_fill(n, idx, p->data);
        if (r < 0) {
            pg_free(p);
            return r;
        }
    }
    int r = pg_insert(n, p);
    if (r < 0) {
        pg_free(p);
        return r;
    }
    *out = p;
    return 0;
}

static void node_set_mtime_now(struct node *n)
{
    clock_gettime(CLOCK_REALTIME, &n->mtime);
    n->mtime_set = 1;
}

static int node_read_locked(struct node *n, char *buf, size_t sz, off_t off)
{
    if (off >= n->size)
        return 0;
    if ((off_t)sz > n->size - off)
        sz = (size_t)(n->size - off);
    size_t got = 0;
    if (off < n->valid) {
        size_t want = (off_t)sz < n->valid - off ? sz : (size_t)(n->valid - off);
        int r = pread_full(n->fd, buf, want, off);
        if (r < 0)
            return r;
        got = (size_t)r;
    }
    if (got < sz)
        memset(buf + got, 0, sz - got);
    if (n->npages && sz) {
        uint64_t first = (uint64_t)off / LFS_PAGE;
        uint64_t last = (uint64_t)(off + (off_t)sz - 1) / LFS_PAGE;
        for (uint64_t idx = first; idx <= last; idx++) {
            struct page *p = pg_find(n, idx);
            if (!p)
                continue;
            off_t pstart = (off_t)idx * LFS_PAGE;
            off_t s = off > pstart ? off : pstart;
            off_t e = off + (off_t)sz < pstart + LFS_PAGE ? off + (off_t)sz : pstart + LFS_PAGE;
            if (p->data)
                memcpy(buf + (s - off), p->data + (s - pstart), (size_t)(e - s));
            else
                memset(buf + (s - off), 0, (size_t)(e - s));
        }
    }
    return (int)sz;
}

static int node_write_locked(struct node *n, const char *buf, size_t sz, off_t off)
{
    if (sz == 0)
        return 0;
    uint64_t first = (uint64_t)off / LFS_PAGE;
    uint64_t last = (uint64_t)(off + (off_t)sz - 1) / LFS_PAGE;
    for (uint64_t idx = first; idx <= last; idx++) {
        off_t pstart = (off_t)idx * LFS_PAGE;
        off_t s = off > pstart ? off : pstart;
        off_t e = off + (off_t)sz < pstart + LFS_PAGE ? off + (off_t)sz : pstart + LFS_PAGE;
        struct page *p;
        int r = pg_get_data(n, idx, s == pstart && e == pstart + LFS_PAGE, &p);
        if (r < 0)
            return r;
        memcpy(p->data + (s - pstart), buf + (s - off), (size_t)(e - s));
    }
    if (off + (off_t)sz > n->size)
        n->size = off + (off_t)sz;
    node_set_mtime_now(n);
    return (int)sz;
}

/* Pending truncate: nothing reaches the backing file before fsync. */
static int node_truncate_locked(struct node *n, off_t len)
{
    if (len < 0)
        return -EINVAL;
    if (len < n->size) {
        uint64_t first_gone = ((uint64_t)len + LFS_PAGE - 1) / LFS_PAGE;
        pg_drop_from(n, first_gone);
        if (len % LFS_PAGE) {
            struct page *p = pg_find(n, (uint64_t)len / LFS_PAGE);
            if (p && p->data)
                memset(p->data + len % LFS_PAGE, 0, LFS_PAGE - (size_t)(len % LFS_PAGE));
        }
        if (len < n->valid)
            n->valid = len;
    }
    n->size = len;
    node_set_mtime_now(n);
    return 0;
}

/* Zeroes [off, end) in the overlay (punch hole / zero range), end <= size
 * is the caller's business. */
static int node_zero_locked(struct node *n, off_t off, off_t end)
{
    if (end <= off)
        return 0;
    uint64_t first = (uint64_t)off / LFS_PAGE;
    uint64_t last = (uint64_t)(end - 1) / LFS_PAGE;
    for (uint64_t idx = first; idx <= last; idx++) {
        off_t pstart = (off_t)idx * LFS_PAGE;
        off_t s = off > pstart ? off : pstart;
        off_t e = end < pstart + LFS_PAGE ? end : pstart + LFS_PAGE;
        if (s == pstart && e == pstart + LFS_PAGE) {
            struct page *p = pg_find(n, idx);
            if (p) {
                free(p->data);
                p->data = NULL;
            } else {
                p = calloc(1, sizeof *p);
                if (!p)
                    return -ENOMEM;
                p->idx = idx;
                int r = pg_insert(n, p);
                if (r < 0) {
                    free(p);
                    return r;
                }
            }
        } else {
            struct page *p = pg_find(n, idx);
            if (p && !p->data)
                continue; /* already all zeros */
            int r = pg_get_data(n, idx, 0, &p);
            if (r < 0)
                return r;
            memset(p->data + (s - pstart), 0, (size_t)(e - s));
        }
    }
    node_set_mtime_now(n);
    return 0;
}

static int cmp_page(const void *a, const void *b)
{
    const struct page *x = *(const struct page *const *)a;
    const struct page *y = *(const struct page *const *)b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int zero_backing(struct node *n, off_t off, off_t len)
{
    if (len <= 0)
        return 0;
    if (fallocate(n->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
        return -errno;
    static const char zeros[LFS_PAGE];
    while (len > 0) {
        size_t l = len > LFS_PAGE ? LFS_PAGE : (size_t)len;
        int r = pwrite_full(n->fd, zeros, l, off);
        if (r < 0)
            return r;
        off += (off_t)l;
        len -= (off_t)l;
    }
    return 0;
}

/* Writes the overlay of n (pending truncation, pages, size) to the backing
 * file, then fsyncs/fdatasyncs it.  Called with n->mu held. */
static int node_sync_locked(struct node *n, int datasync)
{
    int r = 0;
    if (node_dirty(n)) {
        if (!n->rdwr)
            return -EROFS;
        if (n->valid < n->bsize) {
            if (ftruncate(n->fd, n->valid) < 0)
                return -errno;
            n->bsize = n->valid;
        }
        if (n->npages) {
            struct page **arr = malloc(n->npages * sizeof *arr);
            char *run = malloc((size_t)SYNC_RUN_PAGES * LFS_PAGE);
            if (!arr || !run) {
                free(arr);
                free(run);
                return -ENOMEM;
            }
            size_t k = 0;
            for (size_t i = 0; i < n->nb; i++)
                for (struct page *p = n->bk[i]; p; p = p->next)
                    arr[k++] = p;
            qsort(arr, k, sizeof *arr, cmp_page);
            size_t maxrun = SYNC_RUN_PAGES;
            if (cfg.torn_sync) { /* page by page, in random order */
                static __thread uint64_t x;
                if (!x)
                    x = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)&x << 16) ^ 0x9E3779B97F4A7C15ull;
                for (size_t m = k; m > 1; m--) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    size_t o = (size_t)(x % m);
                    struct page *t = arr[m - 1];
                    arr[m - 1] = arr[o];
                    arr[o] = t;
                }
                maxrun = 1;
            }
            size_t i = 0;
            while (i < k && r == 0) {
                if (cfg.torn_sync && crashed()) {
                    r = -EIO; /* the crash tears this sync */
                    break;
                }
                off_t start = (off_t)arr[i]->idx * LFS_PAGE;
                if (start >= n->size) { /* cannot happen: truncate drops them */
                    i++;
                    continue;
                }
                size_t j = i + 1;
                int zero = arr[i]->data == NULL;
                while (j < k && j - i < maxrun && arr[j]->idx == arr[j - 1]->idx + 1 &&
                       (arr[j]->data == NULL) == zero)
                    j++;
                off_t end = (off_t)(arr[j - 1]->idx + 1) * LFS_PAGE;
                if (end > n->size)
                    end = n->size;
                if (zero) {
                    r = zero_backing(n, start, end - start);
                } else {
                    for (size_t m = i; m < j; m++)
                        memcpy(run + (m - i) * LFS_PAGE, arr[m]->data, LFS_PAGE);
                    r = pwrite_full(n->fd, run, (size_t)(end - start), start);
                    if (r == 0 && end > n->bsize)
                        n->bsize = end;
                }
                i = j;
            }
            free(arr);
            free(run);
            if (r < 0)
                return r;
        }
        if (cfg.torn_sync && crashed())
            return -EIO;
        if (n->bsize != n->size || n->size != n->valid) {
            if (ftruncate(n->fd, n->size) < 0)
                return -errno;
            n->bsize = n->size;
        }
        if (n->mtime_set) {
            struct timespec ts[2] = {{0, UTIME_OMIT}, n->mtime};
            futimens(n->fd, ts);
        }
    }
    if ((datasync ? fdatasync(n->fd) : fsync(n->fd)) < 0)
        return -errno;
    /* A sync in flight when the crash comes is completed (the crash waits
     * for it, see crash_now), unless torn_sync; either way the caller
     * gets no success. */
    if (crashed())
        return -EIO;
    pg_drop_from(n, 0);
    n->valid = n->bsize = n->size;
    __atomic_add_fetch(&st_syncs, 1, __ATOMIC_RELAXED);
    return 0;
}

/* ---- node table ---- */

static void node_free(struct node *n)
{
    pg_drop_from(n, 0);
    free(n->bk);
    close(n->fd);
    pthread_mutex_destroy(&n->mu);
    free(n);
}

static void tab_remove_locked(struct node *n)
{
    struct node **pp = &g_tab[tab_hash(n->dev, n->ino)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
}

/* Finds the node of (dev, ino) and takes a reference, or NULL. */
static struct node *node_lookup(dev_t dev, ino_t ino)
{
    pthread_mutex_lock(&g_tab_mu);
    struct node *n = g_tab[tab_hash(dev, ino)];
    while (n && !(n->dev == dev && n->ino == ino))
        n = n->hnext;
    if (n)
        n->refs++;
    pthread_mutex_unlock(&g_tab_mu);
    return n;
}

/* Finds or creates the node for an open backing fd; consumes fd. */
static struct node *node_get_fd(int fd, int rdwr, const struct stat *st, int *err)
{
    pthread_mutex_lock(&g_tab_mu);
    size_t h = tab_hash(st->st_dev, st->st_ino);
    struct node *n = g_tab[h];
    while (n && !(n->dev == st->st_dev && n->ino == st->st_ino))
        n = n->hnext;
    if (n) {
        n->refs++;
        pthread_mutex_unlock(&g_tab_mu);
        if (rdwr && !n->rdwr) { /* upgrade the pinned fd */
            pthread_mutex_lock(&n->mu);
            if (!n->rdwr) {
                int old = n->fd;
                n->fd = fd;
                n->rdwr = 1;
                fd = old;
            }
            pthread_mutex_unlock(&n->mu);
        }
        close(fd);
        return n;
    }
    n = calloc(1, sizeof *n);
    if (!n) {
        pthread_mutex_unlock(&g_tab_mu);
        close(fd);
        *err = -ENOMEM;
        return NULL;
    }
    n->dev = st->st_dev;
    n->ino = st->st_ino;
    n->fd = fd;
    n->rdwr = rdwr;
    n->refs = 1;
    pthread_mutex_init(&n->mu, NULL);
    n->size = n->valid = n->bsize = st->st_size;
    n->hnext = g_tab[h];
    g_tab[h] = n;
    pthread_mutex_unlock(&g_tab_mu);
    return n;
}

/* Drops a reference.  A node without references stays in the table (and
 * keeps its fd, so the inode cannot be reused) while it holds unsynced data
 * and the file still has a name; otherwise it is freed. */
static void node_put(struct node *n)
{
    pthread_mutex_lock(&g_tab_mu);
    if (--n->refs == 0) {
        pthread_mutex_lock(&n->mu);
        int keep = node_dirty(n) && !crashed();
        if (keep) {
            struct stat st;
            if (fstat(n->fd, &st) == 0 && st.st_nlink == 0)
                keep = 0; /* unlinked: its data is gone with it */
        }
        pthread_mutex_unlock(&n->mu);
        if (!keep) {
            tab_remove_locked(n);
            pthread_mutex_unlock(&g_tab_mu);
            node_free(n);
            return;
        }
    }
    pthread_mutex_unlock(&g_tab_mu);
}

static int open_backing(const char *relpath, int extra_flags, mode_t mode, int *rdwr)
{
    int fd = openat(g_rootfd, relpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW | extra_flags, mode);
    if (fd >= 0) {
        *rdwr = 1;
        return fd;
    }
    if (errno == EACCES || errno == EROFS || errno == ETXTBSY || errno == EPERM) {
        fd = openat(g_rootfd, relpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | extra_flags, mode);
        if (fd >= 0) {
            *rdwr = 0;
            return fd;
        }
    }
    return -errno;
}

/* Node for a path (opens the backing file). */
static struct node *node_for_path(const char *path, int *err)
{
    int rdwr;
    int fd = open_backing(rel(path), 0, 0, &rdwr);
    if (fd < 0) {
        *err = fd;
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        *err = -errno;
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        *err = -EINVAL;
        return NULL;
    }
    return node_get_fd(fd, rdwr, &st, err);
}

static void apply_overlay_stat(struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return;
    struct node *n = node_lookup(st->st_dev, st->st_ino);
    if (!n)
        return;
    pthread_mutex_lock(&n->mu);
    st->st_size = n->size;
    blkcnt_t want = (blkcnt_t)((n->size + 511) / 512);
    if (st->st_blocks < want && n->npages)
        st->st_blocks = want;
    if (n->mtime_set) {
        st->st_mtim = n->mtime;
        if (st->st_ctim.tv_sec < n->mtime.tv_sec ||
            (st->st_ctim.tv_sec == n->mtime.tv_sec && st->st_ctim.tv_nsec < n->mtime.tv_nsec))
            st->st_ctim = n->mtime;
    }
    pthread_mutex_unlock(&n->mu);
    node_put(n);
}

/* After an unlink/rename that may have removed the last name of an inode. */
static void forget_if_unlinked(dev_t dev, ino_t ino)
{
    struct node *n = node_lookup(dev, ino);
    if (n)
        node_put(n); /* frees it if unreferenced and nlink == 0 */
}

/* ------------------------------------------------------------------------ */
/* strict_dirs: files created since the last fsync of their directory      */

struct pcreate {
    char *rel;
    dev_t dev, pdev;
    ino_t ino, pino;
    struct pcreate *next;
};
static struct pcreate *g_pc;
static pthread_mutex_t g_pc_mu = PTHREAD_MUTEX_INITIALIZER;

static void pc_add(const char *path, const struct stat *st)
{
    const char *r = rel(path);
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", r);
    char *slash = strrchr(parent, '/');
    struct stat pst;
    if (slash)
        *slash = 0;
    if (fstatat(g_rootfd, slash ? parent : ".", &pst, 0) < 0)
        return;
    struct pcreate *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->rel = strdup(r);
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->pdev = pst.st_dev;
    e->pino = pst.st_ino;
    pthread_mutex_lock(&g_pc_mu);
    e->next = g_pc;
    g_pc = e;
    pthread_mutex_unlock(&g_pc_mu);
}

static void pc_forget_path(const char *path)
{
    const char *r = rel(path);
    pthread_mutex_lock(&g_pc_mu);
    for (struct pcreate **pp = &g_pc; *pp;) {
        if (strcmp((*pp)->rel, r) == 0) {
            struct pcreate *e = *pp;
            *pp = e->next;
            free(e->rel);
            free(e);
        } else {
            pp = &(*pp)->next;
        }
    }
    pthread_mutex_unlock(&g_pc_mu);
}

static void pc_dir_synced(dev_t dev, ino_t ino)
{
    pthread_mutex_lock(&g_pc_mu);
    for (struct pcreate **pp = &g_pc; *pp;) {
        if ((*pp)->pdev == dev && (*pp)->pino == ino) {
            struct pcreate *e = *pp;
            *pp = e->next;
            free(e->rel);
            free(e);
        } else {
            pp = &(*pp)->next;
        }
    }
    pthread_mutex_unlock(&g_pc_mu);
}

static void pc_dir_renamed(const char *from, const char *to)
{
    const char *rf = rel(from), *rt = rel(to);
    size_t lf = strlen(rf);
    pthread_mutex_lock(&g_pc_mu);
    for (struct pcreate *e = g_pc; e; e = e->next) {
        if (strncmp(e->rel, rf, lf) == 0 && e->rel[lf] == '/') {
            char *nr = malloc(strlen(rt) + strlen(e->rel + lf) + 1);
            if (!nr)
                continue;
            strcpy(nr, rt);
            strcat(nr, e->rel + lf);
            free(e->rel);
            e->rel = nr;
        }
    }
    pthread_mutex_unlock(&g_pc_mu);
}

/* Called by the crash, with no request in flight. */
static void pc_undo_all(void)
{
    pthread_mutex_lock(&g_pc_mu);
    while (g_pc) {
        struct pcreate *e = g_pc;
        g_pc = e->next;
        struct stat st;
        if (fstatat(g_rootfd, e->rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == e->dev &&
            st.st_ino == e->ino) {
            if (unlinkat(g_rootfd, e->rel, 0) == 0)
                lfs_log("strict_dirs: removed %s (created, parent directory never fsynced)", e->rel);
        }
        free(e->rel);
        free(e);
    }
    pthread_mutex_unlock(&g_pc_mu);
}

/* ------------------------------------------------------------------------ */
/* the crash                                                                */

static void crash_now(const char *reason)
{
    __atomic_store_n(&g_crashed, 1, __ATOMIC_SEQ_CST);
    pthread_rwlock_wrlock(&g_crash_lock); /* waits for requests in flight */
    if (!g_crash_done) {
        g_crash_done = 1;
        snprintf(g_crash_reason, sizeof g_crash_reason, "%s", reason);
        long lost_pages = 0, lost_files = 0;
        pthread_mutex_lock(&g_tab_mu);
        for (size_t i = 0; i < TAB_SIZE; i++) {
            struct node **pp = &g_tab[i];
            while (*pp) {
                struct node *n = *pp;
                pthread_mutex_lock(&n->mu);
                if (node_dirty(n))
                    lost_files++;
                lost_pages += (long)n->npages;
                node_discard_locked(n);
                pthread_mutex_unlock(&n->mu);
                if (n->refs == 0) {
                    *pp = n->hnext;
                    node_free(n);
                } else {
                    pp = &n->hnext;
                }
            }
        }
        pthread_mutex_unlock(&g_tab_mu);
        __atomic_store_n(&st_crash_lost_pages, lost_pages, __ATOMIC_RELAXED);
        if (cfg.strict_dirs)
            pc_undo_all();
        lfs_log("CRASH (%s): discarded unsynced data of %ld file(s), %ld page(s); every request now fails with EIO",
                reason, lost_files, lost_pages);
    }
    pthread_rwlock_unlock(&g_crash_lock);
}

static void on_sigusr1(int sig)
{
    (void)sig;
    g_crashed = 1; /* requests fail from now on */
    g_sig_crash = 1;
    sem_post(&g_crash_sem);
}

static void arm_timer_ms(unsigned long ms)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&g_timer_mu);
    g_deadline.tv_sec = now.tv_sec + (time_t)(ms / 1000);
    g_deadline.tv_nsec = now.tv_nsec + (long)(ms % 1000) * 1000000L;
    if (g_deadline.tv_nsec >= 1000000000L) {
        g_deadline.tv_sec++;
        g_deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_unlock(&g_timer_mu);
    sem_post(&g_crash_sem);
}

static void *crash_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g_timer_mu);
        struct timespec dl = g_deadline;
        pthread_mutex_unlock(&g_timer_mu);
        int r;
        if (dl.tv_sec == 0 && dl.tv_nsec == 0)
            r = sem_wait(&g_crash_sem);
        else
            r = sem_timedwait(&g_crash_sem, &dl);
        int timed_out = (r < 0 && errno == ETIMEDOUT);
        if (g_crash_thread_stop)
            return NULL;
        if (g_sig_crash) {
            crash_now("SIGUSR1");
            continue;
        }
        if (timed_out) {
            pthread_mutex_lock(&g_timer_mu);
            int still = g_deadline.tv_sec == dl.tv_sec && g_deadline.tv_nsec == dl.tv_nsec;
            if (still)
                g_deadline.tv_sec = g_deadline.tv_nsec = 0;
            pthread_mutex_unlock(&g_timer_mu);
            if (still)
                crash_now("crash timer expired");
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* control file                                                             */

struct handle {
    struct node *n; /* NULL for the control file */
    int flags;
    char *text;     /* control file: status text */
    size_t len;
};

static void ctl_stat(struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0666;
    st->st_nlink = 1;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_size = 0;
    st->st_mtime = st->st_atime = st->st_ctime = time(NULL);
}

static char *ctl_status(size_t *len)
{
    long dirty_files = 0;
    pthread_mutex_lock(&g_tab_mu);
    for (size_t i = 0; i < TAB_SIZE; i++)
        for (struct node *n = g_tab[i]; n; n = n->hnext) {
            pthread_mutex_lock(&n->mu);
            dirty_files += node_dirty(n);
            pthread_mutex_unlock(&n->mu);
        }
    pthread_mutex_unlock(&g_tab_mu);
    long pending_creates = 0;
    pthread_mutex_lock(&g_pc_mu);
    for (struct pcreate *e = g_pc; e; e = e->next)
        pending_creates++;
    pthread_mutex_unlock(&g_pc_mu);
    char fail_fsync[PATH_MAX];
    pthread_mutex_lock(&g_fail_mu);
    strcpy(fail_fsync, g_fail_fsync);
    pthread_mutex_unlock(&g_fail_mu);
    char *buf = NULL;
    int n = asprintf(&buf,
                     "state=%s\nreason=%s\ndirty_files=%ld\ndirty_bytes=%ld\nwrites=%ld\nsyncs=%ld\n"
                     "pending_creates=%ld\nlost_pages=%ld\nops_left=%ld\nfail_fsync=%s\n",
                     crashed() ? "crashed" : "running", crashed() ? g_crash_reason : "",
                     dirty_files, __atomic_load_n(&st_dirty_pages, __ATOMIC_RELAXED) * LFS_PAGE,
                     __atomic_load_n(&st_writes, __ATOMIC_RELAXED),
                     __atomic_load_n(&st_syncs, __ATOMIC_RELAXED), pending_creates,
                     __atomic_load_n(&st_crash_lost_pages, __ATOMIC_RELAXED),
                     __atomic_load_n(&g_ops_left, __ATOMIC_RELAXED), fail_fsync);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return buf;
}

static int ctl_write(const char *buf, size_t size)
{
    char cmd[PATH_MAX + 32];
    if (size >= sizeof cmd)
        return -EINVAL;
    memcpy(cmd, buf, size);
    cmd[size] = 0;
    char *s = cmd;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    unsigned long v;
    if (*s == 0 || strcmp(s, "crash") == 0 || strcmp(s, "1") == 0) {
        crash_now("control file");
        return (int)size;
    }
    if (sscanf(s, "crash_after_ms %lu", &v) == 1 || sscanf(s, "crash_after_ms=%lu", &v) == 1) {
        if (crashed())
            return -EIO;
        arm_timer_ms(v);
        lfs_log("armed: crash in %lu ms", v);
        return (int)size;
    }
    if (sscanf(s, "crash_after_ops %lu", &v) == 1 || sscanf(s, "crash_after_ops=%lu", &v) == 1) {
        if (crashed())
            return -EIO;
        __atomic_store_n(&g_ops_left, (long)v, __ATOMIC_SEQ_CST);
        lfs_log("armed: crash at mutating request #%lu from now", v);
        return (int)size;
    }
    if (strncmp(s, "fail_fsync ", 11) == 0 && s[11] == '/' && strlen(s + 11) < sizeof g_fail_fsync) {
        pthread_mutex_lock(&g_fail_mu);
        strcpy(g_fail_fsync, s + 11);
        pthread_mutex_unlock(&g_fail_mu);
        lfs_log("armed: the next fsync under %s fails", s + 11);
        return (int)size;
    }
    if (strcmp(s, "disarm") == 0) {
        __atomic_store_n(&g_ops_left, 0, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&g_fail_mu);
        g_fail_fsync[0] = 0;
        pthread_mutex_unlock(&g_fail_mu);
        pthread_mutex_lock(&g_timer_mu);
        g_deadline.tv_sec = g_deadline.tv_nsec = 0;
        pthread_mutex_unlock(&g_timer_mu);
        return (int)size;
    }
    return -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* FUSE operations                                                          */

static int lfs_getattr(const char *path, struct stat *st)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path)) {
        ctl_stat(st);
        return 0;
    }
    ENTER();
    int r = 0;
    if (fstatat(g_rootfd, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0)
        r = -errno;
    else
        apply_overlay_stat(st);
    LEAVE(r);
}

static int lfs_fgetattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n) {
        ctl_stat(st);
        return 0;
    }
    (void)path;
    ENTER();
    int r = 0;
    if (fstat(h->n->fd, st) < 0)
        r = -errno;
    else
        apply_overlay_stat(st);
    LEAVE(r);
}

static int lfs_access(const char *path, int mask)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return 0;
    ENTER();
    int r = faccessat(g_rootfd, rel(path), mask, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
    LEAVE(r);
}

static int lfs_readlink(const char *path, char *buf, size_t size)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    ENTER();
    ssize_t l = readlinkat(g_rootfd, rel(path), buf, size - 1);
    if (l < 0)
        LEAVE(-errno);
    buf[l] = 0;
    LEAVE(0);
}

static int lfs_opendir(const char *path, struct fuse_file_info *fi)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    ENTER();
    int fd = openat(g_rootfd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        LEAVE(-errno);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = -errno;
        close(fd);
        LEAVE(e);
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    LEAVE(0);
}

static int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
                       struct fuse_file_info *fi)
{
    (void)path;
    (void)offset;
    ENTER();
    DIR *d = (DIR *)(uintptr_t)fi->fh;
    rewinddir(d);
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        memset(&st, 0, sizeof st);
        st.st_ino = de->d_ino;
        st.st_mode = (mode_t)de->d_type << 12;
        if (filler(buf, de->d_name, &st, 0))
            break;
    }
    LEAVE(0);
}

static int lfs_releasedir(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    closedir((DIR *)(uintptr_t)fi->fh);
    return 0;
}

static int lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    MUTATION();
    ENTER();
    DIR *d = (DIR *)(uintptr_t)fi->fh;
    int fd = dirfd(d);
    int r = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
    if (r == 0 && crashed())
        r = -EIO;
    if (r == 0 && cfg.strict_dirs) {
        struct stat st;
        if (fstat(fd, &st) == 0)
            pc_dir_synced(st.st_dev, st.st_ino);
    }
    LEAVE(r);
}

static int lfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return -EEXIST;
    MUTATION();
    ENTER();
    int r;
    if (S_ISREG(mode)) {
        int fd = openat(g_rootfd, rel(path), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
        r = fd < 0 ? -errno : 0;
        if (fd >= 0) {
            struct stat st;
            if (cfg.strict_dirs && fstat(fd, &st) == 0)
                pc_add(path, &st);
            close(fd);
        }
    } else if (S_ISFIFO(mode)) {
        r = mkfifoat(g_rootfd, rel(path), mode) < 0 ? -errno : 0;
    } else {
        r = mknodat(g_rootfd, rel(path), mode, rdev) < 0 ? -errno : 0;
    }
    LEAVE(r);
}

static int lfs_mkdir(const char *path, mode_t mode)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return -EEXIST;
    MUTATION();
    ENTER();
    LEAVE(mkdirat(g_rootfd, rel(path), mode) < 0 ? -errno : 0);
}

static int lfs_unlink(const char *path)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return -EPERM;
    MUTATION();
    ENTER();
    struct stat st;
    int have = fstatat(g_rootfd, rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (unlinkat(g_rootfd, rel(path), 0) < 0)
        LEAVE(-errno);
    if (cfg.strict_dirs)
        pc_forget_path(path);
    if (have && S_ISREG(st.st_mode))
        forget_if_unlinked(st.st_dev, st.st_ino);
    LEAVE(0);
}

static int lfs_rmdir(const char *path)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    MUTATION();
    ENTER();
    LEAVE(unlinkat(g_rootfd, rel(path), AT_REMOVEDIR) < 0 ? -errno : 0);
}

static int lfs_symlink(const char *target, const char *path)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return -EEXIST;
    MUTATION();
    ENTER();
    LEAVE(symlinkat(target, g_rootfd, rel(path)) < 0 ? -errno : 0);
}

static int lfs_rename(const char *from, const char *to)
{
    if (!from || !to)
        return -ENOENT;
    if (is_ctl(from) || is_ctl(to))
        return -EPERM;
    MUTATION();
    ENTER();
    struct stat sf, st;
    int have_from = fstatat(g_rootfd, rel(from), &sf, AT_SYMLINK_NOFOLLOW) == 0;
    int have_to = fstatat(g_rootfd, rel(to), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (renameat(g_rootfd, rel(from), g_rootfd, rel(to)) < 0)
        LEAVE(-errno);
    if (cfg.strict_dirs) {
        /* the renamed file (and whatever it replaced) is treated as durable */
        pc_forget_path(from);
        pc_forget_path(to);
        if (have_from && S_ISDIR(sf.st_mode))
            pc_dir_renamed(from, to);
    }
    if (have_to && S_ISREG(st.st_mode) &&
        !(have_from && sf.st_dev == st.st_dev && sf.st_ino == st.st_ino))
        forget_if_unlinked(st.st_dev, st.st_ino);
    LEAVE(0);
}

static int lfs_link(const char *from, const char *to)
{
    if (!from || !to)
        return -ENOENT;
    if (is_ctl(from) || is_ctl(to))
        return -EPERM;
    MUTATION();
    ENTER();
    if (linkat(g_rootfd, rel(from), g_rootfd, rel(to), 0) < 0)
        LEAVE(-errno);
    if (cfg.strict_dirs)
        pc_forget_path(from);
    LEAVE(0);
}

static int lfs_chmod(const char *path, mode_t mode)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return 0;
    MUTATION();
    ENTER();
    LEAVE(fchmodat(g_rootfd, rel(path), mode, 0) < 0 ? -errno : 0);
}

static int lfs_chown(const char *path, uid_t uid, gid_t gid)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return 0;
    MUTATION();
    ENTER();
    LEAVE(fchownat(g_rootfd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0);
}

static int lfs_utimens(const char *path, const struct timespec ts[2])
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return 0;
    MUTATION();
    ENTER();
    if (utimensat(g_rootfd, rel(path), ts, AT_SYMLINK_NOFOLLOW) < 0)
        LEAVE(-errno);
    struct stat st;
    if (fstatat(g_rootfd, rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        struct node *n = node_lookup(st.st_dev, st.st_ino);
        if (n) {
            pthread_mutex_lock(&n->mu);
            n->mtime = st.st_mtim; /* explicit times win over pending ones */
            n->mtime_set = node_dirty(n);
            pthread_mutex_unlock(&n->mu);
            node_put(n);
        }
    }
    LEAVE(0);
}

static int lfs_truncate(const char *path, off_t size)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return 0;
    MUTATION();
    ENTER();
    int err = 0;
    struct node *n = node_for_path(path, &err);
    if (!n)
        LEAVE(err == -EINVAL ? -EISDIR : err);
    pthread_mutex_lock(&n->mu);
    int r = node_truncate_locked(n, size);
    pthread_mutex_unlock(&n->mu);
    node_put(n);
    LEAVE(r);
}

static int lfs_ftruncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n)
        return 0;
    MUTATION();
    ENTER();
    pthread_mutex_lock(&h->n->mu);
    int r = node_truncate_locked(h->n, size);
    pthread_mutex_unlock(&h->n->mu);
    LEAVE(r);
}

static int open_common(const char *path, struct fuse_file_info *fi, int create, mode_t mode)
{
    int rdwr, created = 0, fd;
    const char *r = rel(path);
    if (create) {
        fd = open_backing(r, O_CREAT | O_EXCL, mode, &rdwr);
        if (fd >= 0)
            created = 1;
        else if (fd == -EEXIST && !(fi->flags & O_EXCL))
            fd = open_backing(r, 0, 0, &rdwr);
    } else {
        fd = open_backing(r, 0, 0, &rdwr);
    }
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if (created && cfg.strict_dirs)
        pc_add(path, &st);
    int err = 0;
    struct node *n = node_get_fd(fd, rdwr, &st, &err);
    if (!n)
        return err;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) {
        node_put(n);
        return -ENOMEM;
    }
    h->n = n;
    h->flags = fi->flags;
    if (fi->flags & O_TRUNC) {
        pthread_mutex_lock(&n->mu);
        if (n->size != 0)
            node_truncate_locked(n, 0);
        pthread_mutex_unlock(&n->mu);
    }
    fi->fh = (uint64_t)(uintptr_t)h;
    return 0;
}

static int lfs_open(const char *path, struct fuse_file_info *fi)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path)) {
        struct handle *h = calloc(1, sizeof *h);
        if (!h)
            return -ENOMEM;
        h->text = ctl_status(&h->len);
        fi->fh = (uint64_t)(uintptr_t)h;
        fi->direct_io = 1;
        return 0;
    }
    if (fi->flags & O_TRUNC)
        MUTATION();
    ENTER();
    LEAVE(open_common(path, fi, 0, 0));
}

static int lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (!path)
        return -ENOENT; /* hard_remove: the file has no name any more */
    if (is_ctl(path))
        return lfs_open(path, fi);
    MUTATION();
    ENTER();
    LEAVE(open_common(path, fi, 1, mode));
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n) {
        if (!h->text || off >= (off_t)h->len)
            return 0;
        size_t l = h->len - (size_t)off < size ? h->len - (size_t)off : size;
        memcpy(buf, h->text + off, l);
        return (int)l;
    }
    ENTER();
    pthread_mutex_lock(&h->n->mu);
    int r = node_read_locked(h->n, buf, size, off);
    pthread_mutex_unlock(&h->n->mu);
    LEAVE(r);
}

static int lfs_write(const char *path, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n)
        return ctl_write(buf, size);
    MUTATION();
    ENTER();
    pthread_mutex_lock(&h->n->mu);
    int r = node_write_locked(h->n, buf, size, off);
    if (r >= 0 && (h->flags & (O_SYNC | O_DSYNC))) {
        int s = node_sync_locked(h->n, (h->flags & O_SYNC) != O_SYNC);
        if (s < 0)
            r = s;
    }
    pthread_mutex_unlock(&h->n->mu);
    __atomic_add_fetch(&st_writes, 1, __ATOMIC_RELAXED);
    LEAVE(r);
}

static int lfs_statfs(const char *path, struct statvfs *sv)
{
    (void)path;
    ENTER();
    if (fstatvfs(g_rootfd, sv) < 0)
        LEAVE(-errno);
    if (cfg.no_size) /* as some network and FUSE filesystems do (LazyFS) */
        sv->f_blocks = sv->f_bfree = sv->f_bavail = 0;
    LEAVE(0);
}

static int lfs_flush(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n)
        return 0;
    return crashed() ? -EIO : 0; /* close() does not make anything durable */
}

static int lfs_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (h->n)
        node_put(h->n);
    free(h->text);
    free(h);
    return 0;
}

static int lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n)
        return 0;
    MUTATION();
    ENTER();
    int fail = 0;
    pthread_mutex_lock(&g_fail_mu);
    if (g_fail_fsync[0] && path && strncmp(path, g_fail_fsync, strlen(g_fail_fsync)) == 0) {
        g_fail_fsync[0] = 0;
        fail = 1;
    }
    pthread_mutex_unlock(&g_fail_mu);
    struct node *n = h->n;
    pthread_mutex_lock(&n->mu);
    int r;
    if (fail) { /* the write-back failed: what was not synced is gone */
        node_discard_locked(n);
        lfs_log("injected: fsync of %s fails, its unsynced writes are lost", path);
        r = -EIO;
    } else {
        r = node_sync_locked(n, datasync);
    }
    pthread_mutex_unlock(&n->mu);
    LEAVE(r);
}

static int lfs_fallocate(const char *path, int mode, off_t off, off_t len,
                         struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = (struct handle *)(uintptr_t)fi->fh;
    if (!h->n || cfg.no_fallocate)
        return -EOPNOTSUPP;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
        return -EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
        return -EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE))
        return -EOPNOTSUPP;
    if (off < 0 || len <= 0)
        return -EINVAL;
    MUTATION();
    ENTER();
    struct node *n = h->n;
    int r = 0;
    pthread_mutex_lock(&n->mu);
    off_t end = off + len;
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
        off_t zend = end < n->size ? end : n->size;
        r = node_zero_locked(n, off, zend);
        if (r == 0 && !(mode & FALLOC_FL_KEEP_SIZE) && end > n->size) {
            n->size = end;
            node_set_mtime_now(n);
        }
    } else {
        /* plain preallocation: reserve space in the backing file (invisible:
         * it does not change its size or contents), the size change itself
         * is pending like a write */
        if (n->rdwr && fallocate(n->fd, FALLOC_FL_KEEP_SIZE, off, len) < 0 &&
            errno != EOPNOTSUPP && errno != ENOSYS)
            r = -errno;
        if (r == 0 && !(mode & FALLOC_FL_KEEP_SIZE) && end > n->size) {
            n->size = end;
            node_set_mtime_now(n);
        }
    }
    pthread_mutex_unlock(&n->mu);
    LEAVE(r);
}

static void *lfs_init(struct fuse_conn_info *conn)
{
    (void)conn;
    if (pthread_create(&g_crash_thread, NULL, crash_thread, NULL) == 0)
        g_crash_thread_started = 1;
    if (cfg.crash_after_ops)
        __atomic_store_n(&g_ops_left, (long)cfg.crash_after_ops, __ATOMIC_SEQ_CST);
    if (cfg.crash_random_ms) {
        unsigned long seed = cfg.seed ? cfg.seed : (unsigned long)time(NULL) ^ (unsigned long)getpid();
        srandom((unsigned)seed);
        unsigned long lo = cfg.crash_min_ms < cfg.crash_random_ms ? cfg.crash_min_ms : 0;
        unsigned long ms = lo + (unsigned long)random() % (cfg.crash_random_ms - lo);
        lfs_log("crash_random_ms=%lu crash_min_ms=%lu seed=%lu: crash in %lu ms",
                cfg.crash_random_ms, lo, seed, ms);
        arm_timer_ms(ms);
    } else if (cfg.crash_after_ms) {
        arm_timer_ms(cfg.crash_after_ms);
    }
    lfs_log("mounted, backing directory %s", cfg.backing);
    return NULL;
}

static void lfs_destroy(void *priv)
{
    (void)priv;
    if (g_crash_thread_started) {
        g_crash_thread_stop = 1;
        sem_post(&g_crash_sem);
        pthread_join(g_crash_thread, NULL);
    }
    if (g_sig_crash && !g_crash_done)
        crash_now("SIGUSR1");
    pthread_rwlock_wrlock(&g_crash_lock);
    int flush = !crashed() && !cfg.lose_on_unmount;
    long flushed = 0, lost = 0;
    pthread_mutex_lock(&g_tab_mu);
    for (size_t i = 0; i < TAB_SIZE; i++) {
        while (g_tab[i]) {
            struct node *n = g_tab[i];
            g_tab[i] = n->hnext;
            pthread_mutex_lock(&n->mu);
            if (node_dirty(n)) {
                if (flush && node_sync_locked(n, 0) == 0)
                    flushed++;
                else
                    lost++;
            }
            pthread_mutex_unlock(&n->mu);
            node_free(n);
        }
    }
    pthread_mutex_unlock(&g_tab_mu);
    pthread_rwlock_unlock(&g_crash_lock);
    if (crashed())
        lfs_log("unmounted after crash (%s)", g_crash_reason);
    else
        lfs_log("unmounted cleanly: %ld file(s) flushed, %ld file(s) discarded%s", flushed, lost,
                cfg.lose_on_unmount ? " (lose_on_unmount)" : "");
}

static struct fuse_operations lfs_ops = {
    .getattr = lfs_getattr,
    .fgetattr = lfs_fgetattr,
    .access = lfs_access,
    .readlink = lfs_readlink,
    .opendir = lfs_opendir,
    .readdir = lfs_readdir,
    .releasedir = lfs_releasedir,
    .fsyncdir = lfs_fsyncdir,
    .mknod = lfs_mknod,
    .mkdir = lfs_mkdir,
    .unlink = lfs_unlink,
    .rmdir = lfs_rmdir,
    .symlink = lfs_symlink,
    .rename = lfs_rename,
    .link = lfs_link,
    .chmod = lfs_chmod,
    .chown = lfs_chown,
    .utimens = lfs_utimens,
    .truncate = lfs_truncate,
    .ftruncate = lfs_ftruncate,
    .open = lfs_open,
    .create = lfs_create,
    .read = lfs_read,
    .write = lfs_write,
    .statfs = lfs_statfs,
    .flush = lfs_flush,
    .release = lfs_release,
    .fsync = lfs_fsync,
    .fallocate = lfs_fallocate,
    .init = lfs_init,
    .destroy = lfs_destroy,
    .flag_utime_omit_ok = 1,
    .flag_nullpath_ok = 1, /* with hard_remove: requests on unlinked open files */
};

/* ------------------------------------------------------------------------ */
/* main                                                                     */

enum { KEY_HELP, KEY_VERSION };

#define LFS_OPT(t, p, v) {t, offsetof(struct lfs_cfg, p), v}
static struct fuse_opt lfs_opts[] = {
    LFS_OPT("crash_after_ms=%lu", crash_after_ms, 0),
    LFS_OPT("crash_random_ms=%lu", crash_random_ms, 0),
    LFS_OPT("crash_min_ms=%lu", crash_min_ms, 0),
    LFS_OPT("seed=%lu", seed, 0),
    LFS_OPT("crash_after_ops=%lu", crash_after_ops, 0),
    LFS_OPT("strict_dirs", strict_dirs, 1),
    LFS_OPT("lose_on_unmount", lose_on_unmount, 1),
    LFS_OPT("torn_sync", torn_sync, 1),
    LFS_OPT("no_size", no_size, 1),
    LFS_OPT("no_fallocate", no_fallocate, 1),
    LFS_OPT("quiet", quiet, 1),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_END,
};

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s BACKING_DIR MOUNTPOINT [FUSE options]\n"
            "\n"
            "Pass-through FUSE filesystem that keeps every write in memory until the\n"
            "file is fsync'ed; a crash discards whatever was not synced.\n"
            "\n"
            "lossyfs options:\n"
            "    -o crash_after_ms=N    crash N ms after mounting\n"
            "    -o crash_random_ms=N   crash at a random moment in [MIN, N) ms after mounting\n"
            "    -o crash_min_ms=MIN    lower bound for crash_random_ms (default 0)\n"
            "    -o seed=S              seed for crash_random_ms (default: time ^ pid)\n"
            "    -o crash_after_ops=N   crash when the N-th mutating request arrives\n"
            "    -o strict_dirs         new files vanish on crash unless their directory\n"
            "                           was fsynced after they were created\n"
            "    -o lose_on_unmount     a clean unmount also discards unsynced data\n"
            "    -o torn_sync           a crash during an fsync leaves it half done (pages\n"
            "                           written in random order); default: it completes\n"
            "    -o no_size             statfs reports 0 bytes (as LazyFS and some network\n"
            "                           filesystems do)\n"
            "    -o no_fallocate        every fallocate fails with EOPNOTSUPP\n"
            "    -o quiet               no log lines on stderr\n"
            "\n"
            "crash triggers: kill -USR1 PID, or write to MOUNTPOINT%s\n"
            "(\"crash\" or empty: crash now; \"crash_after_ms N\", \"crash_after_ops N\": arm;\n"
            "\"disarm\"; \"fail_fsync /PREFIX\": the next fsync of a file under /PREFIX fails\n"
            "with EIO and loses its unsynced writes). Reading that file gives the status.\n"
            "\n",
            prog, CTL_NAME);
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    (void)data;
    if (key == FUSE_OPT_KEY_NONOPT) {
        if (!cfg.backing) {
            cfg.backing = strdup(arg);
            return 0;
        }
        if (!cfg.have_mountpoint)
            cfg.mountpoint = strdup(arg);
        cfg.have_mountpoint = 1;
        return 1;
    }
    if (key == KEY_HELP) {
        usage(outargs->argv[0]);
        fuse_opt_add_arg(outargs, "-ho");
        fuse_main(outargs->argc, outargs->argv, &lfs_ops, NULL);
        exit(1);
    }
    return 1;
}

int main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    if (fuse_opt_parse(&args, &cfg, lfs_opts, opt_proc) < 0)
        return 1;
    if (!cfg.backing || !cfg.have_mountpoint) {
        usage(argv[0]);
        return 1;
    }
    g_rootfd = open(cfg.backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g_rootfd < 0) {
        fprintf(stderr, "lossyfs: cannot open backing directory %s: %s\n", cfg.backing,
                strerror(errno));
        return 1;
    }
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&g_crash_lock, &ra);
    sem_init(&g_crash_sem, 0, 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);

    /* every file with unsynced data keeps a backing fd open */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    umask(0);
    /* unlink open files for real (no .fuse_hidden* leftovers after a crash);
     * our pinned backing fd keeps their data reachable */
    fuse_opt_add_arg(&args, "-ohard_remove");
    fuse_opt_add_arg(&args, "-obig_writes");
    {   /* mounting over the backing directory itself: libfuse2 wants nonempty */
        char *a = realpath(cfg.backing, NULL), *b = realpath(cfg.mountpoint, NULL);
        if (a && b && strcmp(a, b) == 0)
            fuse_opt_add_arg(&args, "-ononempty");
        free(a);
        free(b);
    }
    fuse_opt_add_arg(&args, "-ofsname=lossyfs");
    fuse_opt_add_arg(&args, "-osubtype=lossyfs");
    int r = fuse_main(args.argc, args.argv, &lfs_ops, NULL);
    fuse_opt_free_args(&args);
    return r;
}
