#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (and SSSE3/SSE4.1), so csha256_blocks may be called; else 0.
int csha256_available(void);

/// Runs SHA-256's compression function over `blocks` 64-byte blocks at `data`, updating `state` (the eight
/// working words H0..H7). Only call it when csha256_available() returned 1.
void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
