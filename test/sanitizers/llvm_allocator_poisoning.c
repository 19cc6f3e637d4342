/*===- llvm_allocator_poisoning.c - ASan options for programs using MLIR -===*
 *
 * Linked into the sanitized programs that use LLVM and MLIR (loomc-sanitized,
 * the sanitized front-end tests, loom-fuzz-model). LLVM's headers, compiled
 * with AddressSanitizer, poison the slabs of its bump allocators when they
 * are reset and unpoison what they hand out; libMLIR.so, installed without
 * the sanitizer, hands out memory from the same slabs without unpoisoning
 * it, and its first use is reported as use-after-poison. Manual poisoning
 * is turned off; every check of malloc'd and stack memory stays.
 *
 *===----------------------------------------------------------------------===*/

const char *__asan_default_options(void);

const char *__asan_default_options(void) { return "allow_user_poisoning=0"; }
