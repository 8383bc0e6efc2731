/*
 * renameloop DIR N: atomic replace by rename(2), as seen by another process.
 * A child process N times writes a complete new file DIR/tmp.K and renames
 * it over DIR/target.  Meanwhile the parent keeps opening and reading
 * DIR/target.  POSIX: the name must stay visible throughout the rename, so
 * no open may fail with ENOENT, and every read must return one complete
 * version (never an empty or partial file).  Finally the target holds the
 * last version and no tmp.* or other names are left.
 * Prints "ok (...)" and exits 0, or prints the problem and exits 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIE(...) do { printf(__VA_ARGS__); putchar('\n'); exit(1); } while (0)
#define RECLEN 4000

static void version(char *b, int k)
{
    int h = snprintf(b, RECLEN, "version %08d ", k);
    for (int i = h; i < RECLEN - 1; i++) b[i] = 'a' + (k + i) % 26;
    b[RECLEN - 1] = '\n';
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: renameloop DIR N\n"); return 2; }
    const char *dir = argv[1];
    int n = atoi(argv[2]);
    char target[4096], tmp[4200], b[RECLEN], r[RECLEN + 16];
    snprintf(target, sizeof target, "%s/target", dir);

    version(b, 0);
    int fd = open(target, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0 || write(fd, b, RECLEN) != RECLEN || close(fd)) DIE("create target: %s", strerror(errno));

    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        for (int k = 1; k <= n; k++) {
            snprintf(tmp, sizeof tmp, "%s/tmp.%d", dir, k);
            version(b, k);
            fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0644);
            if (fd < 0 || write(fd, b, RECLEN) != RECLEN || close(fd)) DIE("child: write %s: %s", tmp, strerror(errno));
            if (rename(tmp, target)) DIE("child: rename: %s", strerror(errno));
        }
        exit(0);
    }
    close(pfd[1]);

    long opens = 0, last = -1;
    int status, done = 0;
    while (!done) {
        if (waitpid(pid, &status, WNOHANG) == pid) done = 1;
        fd = open(target, O_RDONLY);
        if (fd < 0) {
            kill(pid, SIGKILL);
            DIE("open of the target failed during a rename over it: %s (after %ld good opens)", strerror(errno), opens);
        }
        ssize_t got = 0, x;
        while ((x = read(fd, r + got, sizeof r - got)) > 0) got += x;
        close(fd);
        int k;
        if (got != RECLEN || sscanf(r, "version %08d ", &k) != 1) {
            kill(pid, SIGKILL);
            DIE("read %zd bytes ('%.20s'): not one complete version", got, got > 0 ? r : "");
        }
        version(b, k);
        if (memcmp(b, r, RECLEN)) { kill(pid, SIGKILL); DIE("version %d read back corrupted", k); }
        if (k < last) { kill(pid, SIGKILL); DIE("went back from version %ld to %d", last, k); }
        last = k;
        opens++;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status)) DIE("writer failed");
    if (last != n) DIE("final version %ld, expected %d", last, n);

    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "target"))
            DIE("leftover name: %s", e->d_name);
    closedir(d);
    printf("ok (%ld reads during %d renames)\n", opens, n);
    return 0;
}
