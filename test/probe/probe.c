/*
 * probe: what a process inside a lite container may do. Built static by scripts/rootfs
 * into build/rootfs/probe/probe; the integration tests bind-mount it into busybox.
 *
 *   probe status           capability sets, NoNewPrivs and Seccomp from /proc/self/status
 *   probe syscalls         "NAME RESULT" per syscall: ok, or the errno's name
 *   probe read PATH...     "PATH RESULT": empty, data, dir-empty, dir, or an errno name
 *   probe write PATH...    "PATH RESULT": whether open(O_WRONLY) works (ok or an errno name);
 *                          nothing is written, so no host setting can change
 *   probe fifo             "fifo RESULT": whether this process may switch to SCHED_FIFO
 *   probe inotify N [hold] "inotify K of N RESULT": opens up to N inotify instances (all kept
 *                          open until it exits, and with hold it waits to be killed); K
 *                          opened before RESULT (ok, or EMFILE at the per-user limit)
 *   probe fork N           "fork K of N RESULT": a bounded fork bomb; K children forked (each
 *                          waits in pause) before RESULT (ok, or the errno that stopped it,
 *                          EAGAIN under a pids limit); then they are killed and reaped
 *
 * Each syscall runs in a forked child, so that one that works (unshare, personality)
 * changes nothing for the next. Nothing here can harm the host even when allowed:
 * reboot gets a bad magic number, mount a target that does not exist.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case ENOSYS: return "ENOSYS";
  case EROFS: return "EROFS";
  case ENOKEY: return "ENOKEY";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EIO: return "EIO";
  case ESRCH: return "ESRCH";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAGAIN: return "EAGAIN";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
  }
  }
}

static int status(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return perror("/proc/self/status"), 1;
  char line[256];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8) ||
        !strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4))
      fputs(line, stdout);
  fclose(f);
  return 0;
}

/* Runs one syscall in a child; its exit code is the errno (0: it worked). */
static void try_syscall(const char *name, long nr, long a, long b, long c, long d, long e) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    long r = syscall(nr, a, b, c, d, e);
    _exit(r < 0 ? errno : 0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st)) printf("%s %s\n", name, errname(WEXITSTATUS(st)));
  else printf("%s signal%d\n", name, WTERMSIG(st));
}

static int syscalls(void) {
  try_syscall("keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0, 0, 0);
  try_syscall("add_key", SYS_add_key, (long)"user", (long)"probe", (long)"x", 1, -2 /* the child's own process keyring */);
  try_syscall("unshare-user", SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0);
  try_syscall("unshare-mount", SYS_unshare, CLONE_NEWNS, 0, 0, 0, 0);
  try_syscall("mount", SYS_mount, (long)"none", (long)"/nonexistent-probe", (long)"tmpfs", 0, 0);
  try_syscall("personality-query", SYS_personality, 0xffffffffL, 0, 0, 0, 0);
  try_syscall("personality-addr-no-randomize", SYS_personality, 0x0040000, 0, 0, 0, 0);
  try_syscall("ptrace-traceme", SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0, 0);
  try_syscall("reboot-bad-magic", SYS_reboot, 0, 0, 0, 0, 0);
  try_syscall("clone3", SYS_clone3, 0, 0, 0, 0, 0);
  try_syscall("chroot", SYS_chroot, (long)"/", 0, 0, 0, 0);
  static char host[65];
  gethostname(host, sizeof host - 1);
  try_syscall("sethostname-same", SYS_sethostname, (long)host, (long)strlen(host), 0, 0, 0);
  try_syscall("getpid", SYS_getpid, 0, 0, 0, 0, 0);
  return 0;
}

static int read_paths(char **paths) {
  for (; *paths; paths++) {
    const char *p = *paths;
    DIR *d = opendir(p);
    if (d) {
      int n = 0;
      struct dirent *e;
      while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
      closedir(d);
      printf("%s %s\n", p, n ? "dir" : "dir-empty");
      continue;
    }
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("%s %s\n", p, errname(errno));
      continue;
    }
    char buf[64];
    ssize_t r = read(fd, buf, sizeof buf);
    printf("%s %s\n", p, r < 0 ? errname(errno) : r == 0 ? "empty" : "data");
    close(fd);
  }
  return 0;
}

static int write_paths(char **paths) {
  for (; *paths; paths++) {
    int fd = open(*paths, O_WRONLY | O_CLOEXEC);
    printf("%s %s\n", *paths, fd < 0 ? errname(errno) : "ok");
    if (fd >= 0) close(fd);
  }
  return 0;
}

/* A real-time thread: needs CAP_SYS_NICE and, on cgroup v1, cpu.rt_runtime_us > 0. */
static int fifo(void) {
  struct sched_param p = {.sched_priority = 1};
  int r = sched_setscheduler(0, SCHED_FIFO, &p);
  printf("fifo %s\n", errname(r < 0 ? errno : 0));
  return 0;
}

/* Forks up to n children; the pids controller should stop it well before n. */
static int fork_bomb(int n) {
  if (n < 1 || n > 4096) return fprintf(stderr, "probe fork: N from 1 to 4096\n"), 2;
  pid_t kids[4096];
  int k = 0, err = 0;
  for (; k < n; k++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
    kids[k] = pid;
  }
  printf("fork %d of %d %s\n", k, n, errname(err));
  fflush(stdout);
  for (int i = 0; i < k; i++) kill(kids[i], SIGKILL);
  for (int i = 0; i < k; i++) waitpid(kids[i], NULL, 0);
  return 0;
}

/* Per-user inotify instances are counted by the host's uid: a mapped container's root is
 * not host root, so it can't use up root's (fs.inotify.max_user_instances). */
static int inotify_instances(int n, int hold) {
  if (n < 1 || n > 65536) return fprintf(stderr, "probe inotify: N from 1 to 65536\n"), 2;
  int k = 0, err = 0;
  for (; k < n; k++) {
    if (syscall(SYS_inotify_init1, O_CLOEXEC) < 0) {
      err = errno;
      break;
    }
  }
  printf("inotify %d of %d %s\n", k, n, err == EMFILE ? "EMFILE" : errname(err));
  fflush(stdout);
  while (hold) pause();
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "status")) return status();
  if (argc >= 2 && !strcmp(argv[1], "fifo")) return fifo();
  if (argc >= 2 && !strcmp(argv[1], "syscalls")) return syscalls();
  if (argc >= 2 && !strcmp(argv[1], "read")) return read_paths(argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "write")) return write_paths(argv + 2);
  if (argc == 3 && !strcmp(argv[1], "fork")) return fork_bomb(atoi(argv[2]));
  if ((argc == 3 || argc == 4) && !strcmp(argv[1], "inotify")) return inotify_instances(atoi(argv[2]), argc == 4 && !strcmp(argv[3], "hold"));
  fprintf(stderr, "usage: probe status | syscalls | read PATH... | write PATH... | fork N | inotify N [hold]\n");
  return 2;
}
