/*
** replay.c — run a fuzz target over saved inputs, without libFuzzer.
**
**   fuzz_json tests/fuzz/corpus/fuzz_json        # every file of the corpus
**   fuzz_json crash-1234                          # one input
**
** Linked into each fuzz target when the build is not a KSQ_FUZZ build, so
** the corpora (seeds and crash regressions) run as ordinary tests, under
** gcc and under the ASan + UBSan build. A failing input aborts the program;
** the last "replay:" line printed names it.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Run the target on one file. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *zPath)
{
    FILE *f = fopen(zPath, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", zPath);
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", zPath);
        return -1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", zPath, n);
    /* Copy into an exact-size allocation so ASan sees reads past the end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) abort();
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run the target on a file, or on every regular file of a directory (in
** name order, so runs are repeatable). Returns the number of inputs run, or
** -1 on an unreadable path. */
static int replay_path(const char *zPath)
{
    struct stat st;
    if (stat(zPath, &st) != 0) {
        fprintf(stderr, "replay: no such file or directory: %s\n", zPath);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(zPath) == 0 ? 1 : -1;
    DIR *d = opendir(zPath);
    if (!d) return -1;
    char **az = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **a = realloc(az, sizeof(char *) * (size_t)(cap = cap ? cap * 2 : 64));
            if (!a) abort();
            az = a;
        }
        size_t len = strlen(zPath) + strlen(e->d_name) + 2;
        az[n] = malloc(len);
        if (!az[n]) abort();
        snprintf(az[n++], len, "%s/%s", zPath, e->d_name);
    }
    closedir(d);
    qsort(az, (size_t)n, sizeof(char *), by_name);
    int nRun = 0;
    for (int i = 0; i < n; i++) {
        if (stat(az[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(az[i]) != 0) rc = -1;
            nRun++;
        }
        free(az[i]);
    }
    free(az);
    return rc ? -1 : nRun;
}

int main(int argc, char **argv)
{
    int total = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int n = replay_path(argv[i]);
        if (n < 0) return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("%s: %d inputs replayed without a failure\n", argv[0], total);
    return 0;
}
