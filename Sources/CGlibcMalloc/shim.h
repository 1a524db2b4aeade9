#ifndef PROVIDERD_CGLIBCMALLOC_SHIM_H
#define PROVIDERD_CGLIBCMALLOC_SHIM_H
/* glibc's allocator tuning (malloc_trim, mallopt, M_*): malloc.h is not part of
   Swift's Glibc module. */
#include <malloc.h>
#endif
