/*
 * runstat.c - run a command on one CPU core and say what it cost.
 *
 *   runstat CPU STATFILE COMMAND [ARG]...
 *
 * CPU is a core's number, or "all" to leave the command on every core (a
 * run on several threads).
 * Writes one line "WALL CPU RSS" to STATFILE: wall seconds, CPU seconds
 * (user + system) and peak resident KiB, from the resource usage wait4()
 * returns. /usr/bin/time prints CPU time to the hundredth of a second,
 * which on a run of a third of a second moves a ratio by 3%; this keeps
 * the microseconds the kernel reports. The command's own streams are left
 * alone. Exit status: the command's, 128 + N when signal N ended it, 127
 * when it could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: runstat CPU STATFILE COMMAND [ARG]...\n");
        return 127;
    }
    char *end;
    int all = strcmp(argv[1], "all") == 0;
    long cpu = all ? 0 : strtol(argv[1], &end, 10);
    if (!all && (*end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE)) {
        fprintf(stderr, "runstat: '%s' is not a CPU number\n", argv[1]);
        return 127;
    }
    FILE *stat = fopen(argv[2], "w");
    if (stat == NULL) {
        fprintf(stderr, "runstat: %s: %s\n", argv[2], strerror(errno));
        return 127;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 127;
    }
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (!all && sched_setaffinity(0, sizeof set, &set) != 0) {
            fprintf(stderr, "runstat: CPU %ld: %s\n", cpu, strerror(errno));
            _exit(127);
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "runstat: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("runstat: wait4");
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stat, "%.6f %.6f %ld\n", wall,
            seconds(ru.ru_utime) + seconds(ru.ru_stime), ru.ru_maxrss);
    if (fclose(stat) != 0) {
        fprintf(stderr, "runstat: %s: %s\n", argv[2], strerror(errno));
        return 127;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
