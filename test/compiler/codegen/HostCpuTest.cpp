//===- HostCpuTest.cpp - The host-derived tiling defaults -----------------===//
//
// tileTargetFor on the CPUs Loom has run on, as HostCpu.cpp describes them,
// and the reading of their descriptions: cache sizes from a made-up sysfs
// tree, FMA ports from CPUID's vendor, family and model.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/HostCpu.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <gtest/gtest.h>

using namespace loomc::codegen;

namespace {

// A CPU as describeHostCpu would see it: FMA ports from its identity,
// the data caches given.
CpuDescription described(const CpuIdentity &identity, int64_t l1Bytes, int64_t l2Bytes,
                         bool amxTiles = false) {
  CpuDescription cpu;
  cpu.fmaPorts = fmaPortsOf(identity, cpu.vectorWidth);
  cpu.l1Bytes = l1Bytes;
  cpu.l2Bytes = l2Bytes;
  cpu.amxTiles = amxTiles;
  return cpu;
}

// AMD EPYC Zen 4 (family 0x19, model 0x11): one 512-bit FMA per cycle
// (two 256-bit pipes), 32 KiB L1d, 1 MiB L2.
CpuDescription zen4() {
  return described({"AuthenticAMD", 0x19, 0x11, 1, "AMD EPYC"}, 32 << 10, 1 << 20);
}

// AMD EPYC Zen 5 (family 0x1a): two 512-bit FMA pipes, 48 KiB L1d, 1 MiB L2.
CpuDescription zen5() {
  return described({"AuthenticAMD", 0x1a, 0x02, 0, "AMD EPYC"}, 48 << 10, 1 << 20);
}

// Intel Xeon Sapphire Rapids (family 6, model 0x8f): two FMA ports, 48 KiB
// L1d, 2 MiB L2, AMX.
CpuDescription sapphireRapids() {
  return described({"GenuineIntel", 6, 0x8f, 8, "Intel Xeon"}, 48 << 10, 2 << 20,
                   /*amxTiles=*/true);
}

TEST(HostCpu, FmaPortsFollowTheMicroarchitecture) {
  EXPECT_EQ(zen4().fmaPorts, 1);
  EXPECT_EQ(zen5().fmaPorts, 2);
  EXPECT_EQ(sapphireRapids().fmaPorts, 2);
  // Zen 4 at 256 bits (AVX2 code): both pipes.
  EXPECT_EQ(fmaPortsOf({"AuthenticAMD", 0x19, 0x11, 1, ""}, 8), 2);
  // An Intel client core with AVX-512 (Tiger Lake): one 512-bit port.
  EXPECT_EQ(fmaPortsOf({"GenuineIntel", 6, 0x8c, 1, ""}, 16), 1);
  // Unknown: one.
  EXPECT_EQ(fmaPortsOf({"SomeVendor", 1, 1, 1, ""}, 16), 1);
}

TEST(HostCpu, Zen4KeepsTheTilesMeasuredOnIt) {
  // The constants the rules replace: 8 x 2 vectors, k blocks of 256.
  TileTarget target = tileTargetFor(zen4());
  EXPECT_EQ(target.registerRows, 8);
  EXPECT_EQ(target.registerVectors, 2);
  EXPECT_EQ(target.reductionBlock, 256);
  EXPECT_FALSE(target.amxTiles);
}

TEST(HostCpu, TwoFmaPortsNeedSixteenAccumulators) {
  // 2 x latency 4 x 2 ports = 16 chains: 8 rows of 2 vectors still.
  TileTarget target = tileTargetFor(zen5());
  EXPECT_EQ(target.registerRows * target.registerVectors, 16);
  EXPECT_EQ(target.reductionBlock, 256); // 1 MiB of L2, as Zen 4
  // Three ports (hypothetical) would need 24: 12 rows.
  CpuDescription wider = zen5();
  wider.fmaPorts = 3;
  EXPECT_EQ(tileTargetFor(wider).registerRows, 12);
}

TEST(HostCpu, TheKBlockGrowsWithL2) {
  // Sapphire Rapids' 2 MiB of L2: k blocks of 512; AMX tiles on.
  TileTarget target = tileTargetFor(sapphireRapids());
  EXPECT_EQ(target.reductionBlock, 512);
  EXPECT_EQ(target.registerRows, 8);
  EXPECT_TRUE(target.amxTiles);
  // Bounded both ways: 256 KiB of L2 gives 128 (not 64), 32 MiB 1024.
  CpuDescription cpu;
  cpu.l2Bytes = 256 << 10;
  EXPECT_EQ(tileTargetFor(cpu).reductionBlock, 128);
  cpu.l2Bytes = 32 << 20;
  EXPECT_EQ(tileTargetFor(cpu).reductionBlock, 1024);
}

TEST(HostCpu, Avx2TilesFitSixteenRegisters) {
  // 16 registers of 8 lanes: 6 rows of 2 vectors (12 accumulators, 2
  // vectors of the right operand, a broadcast).
  CpuDescription cpu;
  cpu.vectorWidth = 8;
  cpu.vectorRegisters = 16;
  cpu.fmaPorts = 2;
  TileTarget target = tileTargetFor(cpu);
  EXPECT_EQ(target.vectorWidth, 8);
  EXPECT_EQ(target.registerRows, 6);
  EXPECT_EQ(target.registerVectors, 2);
}

TEST(HostCpu, CacheSizesParse) {
  EXPECT_EQ(parseCacheSize("32K"), 32 << 10);
  EXPECT_EQ(parseCacheSize("1024K\n"), 1 << 20);
  EXPECT_EQ(parseCacheSize("32M"), 32 << 20);
  EXPECT_EQ(parseCacheSize("512"), 512);
  EXPECT_EQ(parseCacheSize(""), std::nullopt);
  EXPECT_EQ(parseCacheSize("K"), std::nullopt);
  EXPECT_EQ(parseCacheSize("-4K"), std::nullopt);
  EXPECT_EQ(parseCacheSize("lots"), std::nullopt);
}

void writeFile(const llvm::Twine &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path.str(), ec);
  ASSERT_FALSE(ec) << path.str();
  os << text;
}

TEST(HostCpu, CachesAreReadFromSysfs) {
  llvm::SmallString<128> root;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("loom-sysfs", root));
  auto index = [&](int i, llvm::StringRef level, llvm::StringRef type,
                   llvm::StringRef size) {
    llvm::SmallString<128> dir(root);
    llvm::sys::path::append(dir, "cache", "index" + std::to_string(i));
    ASSERT_FALSE(llvm::sys::fs::create_directories(dir));
    writeFile(dir + "/level", level);
    writeFile(dir + "/type", type);
    writeFile(dir + "/size", size);
  };
  // Zen 4 as its sysfs says it: L1d, L1i, L2, L3.
  index(0, "1\n", "Data\n", "32K\n");
  index(1, "1\n", "Instruction\n", "64K\n");
  index(2, "2\n", "Unified\n", "1024K\n");
  index(3, "3\n", "Unified\n", "32768K\n");
  CpuDescription cpu;
  cpu.l1Bytes = cpu.l2Bytes = cpu.l3Bytes = 1;
  EXPECT_EQ(readCacheSizes(root, cpu), "L1d 32 KiB, L2 1 MiB, L3 32 MiB");
  EXPECT_EQ(cpu.l1Bytes, 32 << 10);
  EXPECT_EQ(cpu.l2Bytes, 1 << 20);
  EXPECT_EQ(cpu.l3Bytes, 32 << 20);
  // A directory without caches leaves the sizes as they were.
  CpuDescription untouched;
  llvm::SmallString<128> empty(root);
  llvm::sys::path::append(empty, "nothing");
  EXPECT_EQ(readCacheSizes(empty, untouched), "");
  EXPECT_EQ(untouched.l2Bytes, CpuDescription().l2Bytes);
  llvm::sys::fs::remove_directories(root);
}

} // namespace
