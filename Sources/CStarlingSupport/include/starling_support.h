#ifndef STARLING_SUPPORT_H
#define STARLING_SUPPORT_H

/// Hints the CPU to start loading the cache line at `p` (for reading) without waiting for it.
/// Used where the datastore knows an address it will need after other memory-bound work.
static inline void starling_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
