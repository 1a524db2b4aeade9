#ifndef PROVIDERD_CZLIB_SHIM_H
#define PROVIDERD_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 is a macro; give Swift a plain function. windowBits 15 + 16 asks
   zlib for the gzip wrapper (RFC 1952), which every browser takes. */
static inline int providerd_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
}
#endif
