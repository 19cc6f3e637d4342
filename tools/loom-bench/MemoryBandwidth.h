//===- MemoryBandwidth.h - The machine's memory bandwidth -------*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H
#define LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H

#include <cstdint>

namespace loomc::bench {

// STREAM's triad, a[i] = b[i] + s·c[i], over float arrays of `arrayBytes`
// each (far larger than the last-level cache), on `threads` threads: the
// rate at which a loop that reads two arrays and writes one moves data to
// and from memory. GB/s (1e9 bytes) as STREAM counts them, 12 bytes per
// element (the write's read for ownership not counted), the best of a few
// runs.
double measureMemoryBandwidth(int threads, int64_t arrayBytes);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H
