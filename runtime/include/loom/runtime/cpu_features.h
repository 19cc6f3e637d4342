/*===- cpu_features.h - The CPU features an executable may need ---------===*
 *
 * One table for both sides: loomc records which of these the code it
 * generated may use (the target's features, by LLVM's names), and the
 * runtime checks each with CPUID (and that the OS saves the registers)
 * before it calls any generated code, so that an executable started on a
 * CPU without them stops with their names instead of SIGILL.
 *
 * The table holds the instruction-set extensions of the CPUs seen here (Zen
 * 4, Zen 5, Sapphire Rapids) that LLVM may use in arithmetic and memory
 * code. Features outside it (xsave, rdrnd, prfchw, ...) are not checked.
 *
 * X(name, leaf, subleaf, reg, bit, state): CPUID leaf/subleaf, register
 * (0 EAX, 1 EBX, 2 ECX, 3 EDX), bit; state: the register state the OS must
 * enable (XCR0): 0 none, 1 AVX (YMM), 2 AVX-512 (opmask, ZMM), 3 AMX tiles.
 *
 *===---------------------------------------------------------------------===*/

#ifndef LOOM_RUNTIME_CPU_FEATURES_H
#define LOOM_RUNTIME_CPU_FEATURES_H

#define LOOM_CPU_STATE_NONE 0
#define LOOM_CPU_STATE_AVX 1
#define LOOM_CPU_STATE_AVX512 2
#define LOOM_CPU_STATE_AMX 3

#define LOOM_CPU_FEATURES(X) \
  X("sse4.2", 1, 0, 2, 20, LOOM_CPU_STATE_NONE) \
  X("popcnt", 1, 0, 2, 23, LOOM_CPU_STATE_NONE) \
  X("cx16", 1, 0, 2, 13, LOOM_CPU_STATE_NONE) \
  X("movbe", 1, 0, 2, 22, LOOM_CPU_STATE_NONE) \
  X("fma", 1, 0, 2, 12, LOOM_CPU_STATE_AVX) \
  X("avx", 1, 0, 2, 28, LOOM_CPU_STATE_AVX) \
  X("f16c", 1, 0, 2, 29, LOOM_CPU_STATE_AVX) \
  X("lzcnt", 0x80000001, 0, 2, 5, LOOM_CPU_STATE_NONE) \
  X("bmi", 7, 0, 1, 3, LOOM_CPU_STATE_NONE) \
  X("avx2", 7, 0, 1, 5, LOOM_CPU_STATE_AVX) \
  X("bmi2", 7, 0, 1, 8, LOOM_CPU_STATE_NONE) \
  X("adx", 7, 0, 1, 19, LOOM_CPU_STATE_NONE) \
  X("sha", 7, 0, 1, 29, LOOM_CPU_STATE_NONE) \
  X("avx512f", 7, 0, 1, 16, LOOM_CPU_STATE_AVX512) \
  X("avx512dq", 7, 0, 1, 17, LOOM_CPU_STATE_AVX512) \
  X("avx512ifma", 7, 0, 1, 21, LOOM_CPU_STATE_AVX512) \
  X("avx512cd", 7, 0, 1, 28, LOOM_CPU_STATE_AVX512) \
  X("avx512bw", 7, 0, 1, 30, LOOM_CPU_STATE_AVX512) \
  X("avx512vl", 7, 0, 1, 31, LOOM_CPU_STATE_AVX512) \
  X("avx512vbmi", 7, 0, 2, 1, LOOM_CPU_STATE_AVX512) \
  X("avx512vbmi2", 7, 0, 2, 6, LOOM_CPU_STATE_AVX512) \
  X("gfni", 7, 0, 2, 8, LOOM_CPU_STATE_NONE) \
  X("vaes", 7, 0, 2, 9, LOOM_CPU_STATE_AVX) \
  X("vpclmulqdq", 7, 0, 2, 10, LOOM_CPU_STATE_AVX) \
  X("avx512vnni", 7, 0, 2, 11, LOOM_CPU_STATE_AVX512) \
  X("avx512bitalg", 7, 0, 2, 12, LOOM_CPU_STATE_AVX512) \
  X("avx512vpopcntdq", 7, 0, 2, 14, LOOM_CPU_STATE_AVX512) \
  X("amx-bf16", 7, 0, 3, 22, LOOM_CPU_STATE_AMX) \
  X("avx512fp16", 7, 0, 3, 23, LOOM_CPU_STATE_AVX512) \
  X("amx-tile", 7, 0, 3, 24, LOOM_CPU_STATE_AMX) \
  X("amx-int8", 7, 0, 3, 25, LOOM_CPU_STATE_AMX) \
  X("avx512bf16", 7, 1, 0, 5, LOOM_CPU_STATE_AVX512)

#endif /* LOOM_RUNTIME_CPU_FEATURES_H */
