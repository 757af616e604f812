/* The workload of the seccomp built-in-profiles proposal's performance table: N lstat calls.
 * Prints the seconds the loop took (CLOCK_MONOTONIC), so container start-up is not measured. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 4000000L;
    struct stat st;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < calls; i++) {
#ifdef SYS_lstat
        syscall(SYS_lstat, "/", &st);
#else
        syscall(SYS_newfstatat, -100 /* AT_FDCWD */, "/", &st, 0x100 /* AT_SYMLINK_NOFOLLOW */);
#endif
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.6f\n", (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
