// The runtime a Starling module needs on wasm32-unknown-none: Embedded Swift's compiled code
// calls posix_memalign/free (and the C memory functions), and, once Dictionary/Set are used,
// arc4random_buf for hash seeding. There is no libc on this target, so they are defined here.
//
// The allocator: size classes of 16 B .. 32 KiB (powers of two) with one free list each; larger
// blocks are rounded to 64 KiB pages and kept on their own free list (first fit). Memory comes
// from memory.grow and is never returned (a module instance is short-lived: the host replaces it
// after a trap and on every publish). Every block starts with an 8-byte header, so payloads
// are 8-byte aligned; bigger alignments are served by over-allocating and recording the offset.
#include <stddef.h>
#include <stdint.h>
#include "CStarlingRuntime.h"

#define PAGE 65536u
#define MIN_SHIFT 4u
#define CLASSES 12u  // 16 << 11 = 32 KiB
#define HEADER 8u

typedef struct Block { struct Block *next; } Block;

static Block *free_lists[CLASSES];
static Block *large_free;  // large blocks: header holds total size
static uintptr_t bump_next, bump_end;
static size_t allocated;

static void *grow(size_t bytes) {
    size_t pages = (bytes + PAGE - 1) / PAGE;
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1) return NULL;
    return (void *)(old * PAGE);
}

static void *bump(size_t bytes) {
    if (bump_next + bytes > bump_end) {
        size_t chunk = bytes > 4 * PAGE ? bytes : 4 * PAGE;
        uintptr_t p = (uintptr_t)grow(chunk);
        if (!p) return NULL;
        if (p != bump_end) bump_next = p;  // not contiguous: abandon the tail of the old chunk
        bump_end = p + ((chunk + PAGE - 1) / PAGE) * PAGE;
    }
    void *r = (void *)bump_next;
    bump_next += bytes;
    return r;
}

// Header layout: u32 size-or-class, u32 offset from block start to payload (for aligned blocks).
static inline uint32_t *header(void *payload) { return (uint32_t *)((char *)payload - HEADER); }

static void *alloc_block(size_t size, uint32_t *tag) {
    size_t need = size + HEADER;
    if (need <= (16u << (CLASSES - 1))) {
        uint32_t c = 0;
        while ((16u << c) < need) c++;
        *tag = c;
        allocated += 16u << c;
        Block *b = free_lists[c];
        if (b) {
            free_lists[c] = b->next;
            return b;
        }
        return bump(16u << c);
    }
    size_t total = (need + PAGE - 1) / PAGE * PAGE;
    Block **link = &large_free;
    for (Block *b = large_free; b; link = &b->next, b = b->next) {
        uint32_t bsize = ((uint32_t *)b)[1];
        if (bsize >= total) {
            *link = b->next;
            *tag = 0x80000000u | bsize;
            allocated += bsize;
            return b;
        }
    }
    void *p = grow(total);
    if (!p) return NULL;
    *tag = 0x80000000u | (uint32_t)total;
    allocated += total;
    return p;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < HEADER) alignment = HEADER;
    size_t extra = alignment > HEADER ? alignment : 0;
    uint32_t tag;
    char *block = alloc_block(size + extra, &tag);
    if (!block) return 12;  // ENOMEM
    uintptr_t payload = ((uintptr_t)block + HEADER + alignment - 1) & ~(uintptr_t)(alignment - 1);
    uint32_t *h = header((void *)payload);
    h[0] = tag;
    h[1] = (uint32_t)(payload - (uintptr_t)block);
    *out = (void *)payload;
    return 0;
}

void *malloc(size_t size) {
    void *p;
    return posix_memalign(&p, 16, size) == 0 ? p : NULL;
}

void free(void *payload) {
    if (!payload) return;
    uint32_t *h = header(payload);
    uint32_t tag = h[0];
    Block *b = (Block *)((char *)payload - h[1]);
    if (tag & 0x80000000u) {
        uint32_t size = tag & 0x7FFFFFFFu;
        allocated -= size;
        ((uint32_t *)b)[1] = size;
        b->next = large_free;
        large_free = b;
    } else {
        allocated -= 16u << tag;
        b->next = free_lists[tag];
        free_lists[tag] = b;
    }
}

size_t starling_runtime_allocated_bytes(void) { return allocated; }

// With bulk memory (enabled for this target) these builtins lower to memory.copy/memory.fill.
void *memcpy(void *restrict dst, const void *restrict src, size_t n) { return __builtin_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n) { return __builtin_memmove(dst, src, n); }
void *memset(void *dst, int c, size_t n) { return __builtin_memset(dst, c, n); }

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

// Stack protector hooks (the Swift compiler may emit checks): a canary and a trap.
uintptr_t __stack_chk_guard = 0x5a17a1f0u;
void __stack_chk_fail(void) { __builtin_trap(); }

// Hash seeding for Dictionary/Set: deterministic bytes from the host, so reducers replay the same.
__attribute__((import_module("starling_1.0"), import_name("random_bytes")))
extern void starling_random_bytes(void *dst, uint32_t len);
void arc4random_buf(void *buf, size_t n) { starling_random_bytes(buf, (uint32_t)n); }
