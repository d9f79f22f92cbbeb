/*
 * main.c - the smtpdx command: finds the subcommand in a table and runs it.
 *
 * Help goes to stdout and exits 0 (smtpdx --help, smtpdx help CMD,
 * smtpdx CMD --help); usage errors go to stderr and exit CLI_EXIT_USAGE.
 * Everything else is the subcommand's business (see cli.h).
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"explain", cmd_explain}, {"bounce", cmd_bounce}, {"log", cmd_log},
    {"help", cmd_help},       {"version", cmd_version},
};

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int print_help(const char *cmd)
{
    if (cli_help_print(cmd, stdout) != 0)
        return cli_usage(NULL, "no help for '%s': there is no such command",
                         cmd);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage("help", "give one command at most");
    if (argc == 2 && strcmp(argv[1], "--man") == 0) {
        cli_help_man(stdout);
        return CLI_EXIT_OK;
    }
    return print_help(argc == 2 ? argv[1] : NULL);
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1)
        return cli_usage("version", "takes no arguments");
    printf("smtpdx %s (knowledge base: %zu rules)\n", SMTPDX_VERSION,
           smtpdx_kb_count());
    return CLI_EXIT_OK;
}

/* --help or -h anywhere before "--" asks for the command's help. */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

/* A standard descriptor that was closed by the caller ("smtpdx ... >&-")
 * would be handed out by the next open(): a temporary file would become
 * "standard output". Park /dev/null there instead, opened the wrong way
 * round, so that reading stdin or writing stdout/stderr still fails with
 * EBADF and is reported as the error it is. */
static void guard_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int nfd = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (nfd >= 0 && nfd != fd) {
            dup2(nfd, fd);
            close(nfd);
        }
    }
}

/* glibc gives the top of its heap back to the kernel once 128 KiB lie
 * free there, and serves blocks above a moving threshold by mmap(): a
 * reader that frees a 100 KiB buffer after each message then pays a brk()
 * and fresh page faults for every message (3% of a bounce run). Up to
 * 32 MiB stay with the process and blocks up to 16 MiB come from the heap;
 * the peak is what the largest message needs either way. */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif
}

int main(int argc, char **argv)
{
    guard_std_fds();
    tune_malloc();
    if (argc < 2) {
        fputs("smtpdx: a command is needed: explain, bounce, log, help or "
              "version.\nTry 'smtpdx --help'.\n", stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return print_help(argc > 2 && find(argv[2]) != NULL ? argv[2] : NULL);
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        return cmd_version(1, argv + 1);
    const struct command *c = find(name);
    if (c == NULL) {
        if (name[0] == '-')
            return cli_usage(NULL, "unknown option '%s'", name);
        return cli_usage(NULL, "unknown command '%s'", name);
    }
    if (c->run != cmd_help && wants_help(argc - 1, argv + 1))
        return print_help(c->name);
    return c->run(argc - 1, argv + 1);
}
