// The C runtime of a Starling module (wasm32): allocator and libc memory functions that Embedded
// Swift links against. Module authors never call these directly.
#pragma once
#include <stddef.h>

/// Bytes currently handed out by the allocator (for tests and diagnostics).
size_t starling_runtime_allocated_bytes(void);
