#ifndef TRACEWARE_CZLIB_SHIM_H
#define TRACEWARE_CZLIB_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <zlib.h>

// deflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot call; and a one-shot
// gzip of a buffer is all traceware needs, so it is written here once.

/// The most bytes traceware_gzip can write for `length` input bytes (deflateBound plus the gzip header/trailer).
static inline size_t traceware_gzip_bound(size_t length) {
    return (size_t)compressBound((uLong)length) + 32;
}

/// Gzips `length` bytes at `input` into `output` (capacity `capacity`, at least traceware_gzip_bound(length)).
/// Returns the compressed size, or 0 on failure.
static inline size_t traceware_gzip(const uint8_t *input, size_t length, uint8_t *output, size_t capacity) {
    z_stream stream = {0};
    // windowBits 15 + 16: a gzip wrapper (RFC 1952), which is what pprof expects of a .pb.gz.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    stream.next_out = output;
    stream.avail_out = (uInt)capacity;
    int status = deflate(&stream, Z_FINISH);
    size_t written = capacity - stream.avail_out;
    deflateEnd(&stream);
    return status == Z_STREAM_END ? written : 0;
}

#endif
