/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for t/perf_noalloc.t: counts heap allocations of each process in a
 * file-backed counter ($PTC_MALLOC_COUNT_DIR/<pid>) that the test reads while the
 * process runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_memalign)(void **, size_t, size_t);
static void *(*real_aligned)(size_t, size_t);
static volatile uint64_t *counter;
static uint64_t local_count;
static int pid_mapped;
static char bootstrap[65536];
static size_t boot_used;

static void map_counter(void)
{
    int pid = (int)getpid();
    if (pid_mapped == pid)
        return;
    pid_mapped = pid; /* set first: the code below may allocate */
    const char *dir = getenv("PTC_MALLOC_COUNT_DIR");
    if (!dir)
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%d", dir, pid);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return;
    if (ftruncate(fd, 8) == 0) {
        void *p = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            counter = p;
    }
    close(fd);
}

static void count(void)
{
    local_count++;
    if (pid_mapped != (int)getpid()) {
        counter = NULL;
        map_counter();
    }
    if (counter)
        *counter += 1;
}

static int initialising;

static void init(void)
{
    if (initialising)
        return;
    initialising = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned = dlsym(RTLD_NEXT, "aligned_alloc");
    initialising = 0;
}

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (boot_used + n > sizeof(bootstrap))
        return NULL;
    void *p = bootstrap + boot_used;
    boot_used += n;
    return p;
}

static int in_boot(void *p) { return (char *)p >= bootstrap && (char *)p < bootstrap + sizeof(bootstrap); }

void *malloc(size_t n)
{
    if (!real_malloc) {
        init();
        if (!real_malloc)
            return boot_alloc(n); /* dlsym itself allocating */
    }
    count();
    return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (!real_calloc) {
        init();
        if (!real_calloc)
            return boot_alloc(a * b); /* dlsym itself allocating */
    }
    count();
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (!real_realloc)
        init();
    count();
    if (in_boot(p)) {
        void *q = real_malloc(n);
        if (q)
            for (size_t i = 0; i < n && (char *)p + i < bootstrap + sizeof(bootstrap); i++)
                ((char *)q)[i] = ((char *)p)[i];
        return q;
    }
    return real_realloc(p, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
    if (!real_memalign)
        init();
    count();
    return real_memalign(out, al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    if (!real_aligned)
        init();
    count();
    return real_aligned(al, n);
}

void free(void *p)
{
    static void (*real_free)(void *);
    if (!p || in_boot(p))
        return;
    if (!real_free)
        real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
