#ifndef STARLING_SUPPORT_H
#define STARLING_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__linux__)
#include <sys/epoll.h>  // for the load generator's socket loops (Swift's Glibc module lacks it)
#include <sys/prctl.h>
#endif

/// Names the calling thread (shown in /proc and by perf; at most 15 bytes are kept). No-op off Linux.
static inline void starling_name_thread(const char *name) {
#if defined(__linux__)
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

/// Hints the CPU to start loading the cache line at `p` (for reading) without waiting for it.
/// Used where the datastore knows an address it will need after other memory-bound work.
static inline void starling_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Whether `starling_crc32c_update` can use the CPU's CRC32C instruction (SSE 4.2 on x86-64).
static inline int starling_crc32c_hardware(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("sse4.2");
#else
    return 0;
#endif
}

#if defined(__x86_64__)
/// Advances a CRC32C register (already inverted: pass ~seed, invert the result) over `n` bytes
/// with the SSE 4.2 `crc32` instruction. Only call when `starling_crc32c_hardware()` is true.
__attribute__((target("sse4.2")))
static inline uint32_t starling_crc32c_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#else
static inline uint32_t starling_crc32c_update(uint32_t crc, const void *data, size_t n) {
    (void)data;
    (void)n;
    return crc;
}
#endif

#endif
