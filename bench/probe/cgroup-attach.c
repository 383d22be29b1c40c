// Where the cgroup attach time of a container start goes on this host: moves a fresh
// child into a new cgroup in every hierarchy (as lite, crun and runc do before the
// container runs) and times each cgroup.procs write. Investigation tool for issue 7,
// not part of lite.
//   cc -O2 -o cgroup-attach cgroup-attach.c && ./cgroup-attach MODE [ITERATIONS]
// MODE: child      write the forked child's pid into each hierarchy (lite's order)
//       reverse    the same, hierarchies in reverse order (is it the first write, or a given one?)
//       keepparent the same, but the parent dir stays between iterations (lite removes it)
//       into       clone3(CLONE_INTO_CGROUP) into the cgroup2 dir, then the v1 writes
// PAUSE_MS=N waits N ms between iterations (a writer within ~one RCU grace period of the
// previous one finds the threadgroup rwsem still in its fast state).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXH 32
static char hier[MAXH][300];
static int nh;

static double ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void find_hierarchies(void) {
  DIR *d = opendir("/sys/fs/cgroup");
  struct dirent *e;
  while (d && (e = readdir(d)) && nh < MAXH) {
    if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
    char p[512];
    snprintf(p, sizeof p, "/sys/fs/cgroup/%s/cgroup.procs", e->d_name);
    if (access(p, W_OK) == 0) snprintf(hier[nh++], sizeof hier[0], "/sys/fs/cgroup/%s", e->d_name);
  }
  if (d) closedir(d);
}

static void put(const char *path, const char *value) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || write(fd, value, strlen(value)) < 0) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); exit(1); }
  close(fd);
}

static void copy_cpuset(const char *dir, const char *parent) {
  for (int i = 0; i < 2; i++) {
    const char *f = i ? "cpuset.mems" : "cpuset.cpus";
    char src[512], dst[512], buf[256] = {0};
    snprintf(src, sizeof src, "%s/%s", parent, f);
    snprintf(dst, sizeof dst, "%s/%s", dir, f);
    int fd = open(src, O_RDONLY);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) put(dst, buf);
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "child";
  int iterations = argc > 2 ? atoi(argv[2]) : 10;
  int keep = !strcmp(mode, "keepparent"), reverse = !strcmp(mode, "reverse"), into = !strcmp(mode, "into");
  find_hierarchies();
  const char *v2 = NULL;
  for (int h = 0; h < nh; h++) if (strstr(hier[h], "unified")) v2 = hier[h];
  printf("%d hierarchies; mode %s\n", nh, mode);
  int pause_ms = getenv("PAUSE_MS") ? atoi(getenv("PAUSE_MS")) : 0;
  for (int it = 0; it < iterations; it++) {
    if (pause_ms) usleep(pause_ms * 1000);
    char dir[MAXH][512];
    double t0 = ms();
    for (int h = 0; h < nh; h++) {
      char parent[512];
      snprintf(parent, sizeof parent, "%s/probe-attach", hier[h]);
      mkdir(parent, 0755);
      if (strstr(hier[h], "cpuset")) copy_cpuset(parent, hier[h]);
      snprintf(dir[h], sizeof dir[h], "%s/c", parent);
      mkdir(dir[h], 0755);
      if (strstr(hier[h], "cpuset")) copy_cpuset(dir[h], parent);
    }
    double t1 = ms();
    int go[2];
    if (pipe(go)) return 1;
    pid_t child;
    double tclone0 = ms();
    if (into && v2) {
      char p[512];
      snprintf(p, sizeof p, "%s/probe-attach/c", v2);
      int cfd = open(p, O_RDONLY | O_DIRECTORY);
      struct clone_args a = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (unsigned long long)cfd};
      child = syscall(SYS_clone3, &a, sizeof a);
      close(cfd);
    } else {
      child = fork();
    }
    if (child == 0) {
      char b;
      close(go[1]);
      if (read(go[0], &b, 1) < 0) _exit(1);
      _exit(0);
    }
    double tclone = ms() - tclone0;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", child);
    double first = -1, total0 = ms();
    for (int k = 0; k < nh; k++) {
      int h = reverse ? nh - 1 - k : k;
      if (into && hier[h] == v2) continue;
      char procs[600];
      snprintf(procs, sizeof procs, "%s/cgroup.procs", dir[h]);
      double w0 = ms();
      put(procs, pid);
      if (first < 0) first = ms() - w0;
    }
    double total = ms() - total0;
    close(go[1]);
    waitpid(child, NULL, 0);
    close(go[0]);
    for (int h = 0; h < nh; h++) {
      for (int tries = 0; tries < 100 && rmdir(dir[h]) && errno == EBUSY; tries++) usleep(1000);
      if (!keep) rmdir(strcat(strcpy((char[512]){0}, hier[h]), "/probe-attach"));
    }
    printf("mkdirs %.2f ms  clone %.2f ms  first write %.2f ms  all writes %.2f ms\n", t1 - t0, tclone, first, total);
  }
  for (int h = 0; h < nh; h++) rmdir(strcat(strcpy((char[512]){0}, hier[h]), "/probe-attach"));
  return 0;
}
