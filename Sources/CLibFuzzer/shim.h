#ifndef PROVIDERD_CLIBFUZZER_SHIM_H
#define PROVIDERD_CLIBFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry for programs that keep their own main (SwiftPM gives every
   executable one): linked in by -sanitize=fuzzer, never referenced otherwise. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
