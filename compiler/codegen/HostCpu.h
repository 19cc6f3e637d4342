//===- HostCpu.h - What the tiling rules read of the host CPU ---*- C++ -*-===//
//
// The vector registers, FMA ports and cache sizes of the machine loomc runs
// on, for tileTargetFor (TilingPolicy.h): caches from sysfs, FMA ports
// from CPUID's vendor, family and model. Plain C++ over files, unit-tested
// with made-up sysfs trees and the CPUs seen so far.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_HOSTCPU_H
#define LOOM_COMPILER_CODEGEN_HOSTCPU_H

#include "compiler/codegen/TilingPolicy.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>

namespace loomc::codegen {

// The host's vendor, family and model (CPUID leaf 1, extended fields
// added) and its name (the brand string).
struct CpuIdentity {
  std::string vendor; // "AuthenticAMD", "GenuineIntel"
  unsigned family = 0, model = 0, stepping = 0;
  std::string name;
};
CpuIdentity identifyHostCpu();

// A sysfs cache size ("1024K", "32M", "48K"), or nothing.
std::optional<int64_t> parseCacheSize(llvm::StringRef text);

// Fills the data cache sizes of `cpu` from a sysfs CPU directory
// (/sys/devices/system/cpu/cpu0): cache/index*/{level,type,size}. Levels
// it does not find keep their values. Returns which it found, as "L1d
// 32 KiB, L2 1 MiB, L3 32 MiB" (empty: none).
std::string readCacheSizes(llvm::StringRef cpuDirectory, CpuDescription &cpu);

// Vector FMAs of `vectorWidth` f32 lanes a core issues per cycle:
// - AMD family 0x19 (Zen 3, Zen 4): two 256-bit pipes, so one 512-bit FMA
//   (Zen 4 splits it) or two 256-bit ones;
// - AMD family 0x1a (Zen 5): two 512-bit pipes;
// - Intel Xeon Scalable with AVX-512 (Skylake-SP to Granite Rapids): two
//   (ports 0+1 and 5; some Silver and Bronze parts have one, which CPUID
//   does not tell apart); Intel client cores with AVX-512: one;
// - any other x86 core at 256 bits: two. Otherwise one.
int64_t fmaPortsOf(const CpuIdentity &cpu, int64_t vectorWidth);

// The host as the tiling rules see it, for code of `vectorWidth` lanes
// (16 with AVX-512) with or without AMX tiles. `found` receives what was
// read and what was assumed, for loomc to say.
CpuDescription describeHostCpu(int64_t vectorWidth, bool amxTiles, std::string &found);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_HOSTCPU_H
