//===- HostCpu.cpp - What the tiling rules read of the host CPU -----------===//

#include "compiler/codegen/HostCpu.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cstring>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

using namespace loomc::codegen;

CpuIdentity loomc::codegen::identifyHostCpu() {
  CpuIdentity cpu;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return cpu;
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  cpu.vendor = vendor;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  unsigned baseFamily = (eax >> 8) & 0xf, baseModel = (eax >> 4) & 0xf;
  cpu.family = baseFamily == 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily;
  cpu.model = baseFamily == 0x6 || baseFamily == 0xf
                  ? (((eax >> 16) & 0xf) << 4) | baseModel
                  : baseModel;
  cpu.stepping = eax & 0xf;
  unsigned highest = __get_cpuid_max(0x80000000, nullptr);
  if (highest >= 0x80000004) {
    char brand[49] = {};
    for (unsigned leaf = 0; leaf < 3; ++leaf) {
      unsigned regs[4];
      __get_cpuid(0x80000002 + leaf, &regs[0], &regs[1], &regs[2], &regs[3]);
      std::memcpy(brand + 16 * leaf, regs, 16);
    }
    cpu.name = llvm::StringRef(brand).trim().str();
  }
#endif
  return cpu;
}

std::optional<int64_t> loomc::codegen::parseCacheSize(llvm::StringRef text) {
  text = text.trim();
  int64_t unit = 1;
  if (text.consume_back("K"))
    unit = 1 << 10;
  else if (text.consume_back("M"))
    unit = 1 << 20;
  else if (text.consume_back("G"))
    unit = 1 << 30;
  int64_t value = 0;
  if (text.empty() || text.getAsInteger(10, value) || value <= 0 || value > (1 << 20))
    return std::nullopt;
  return value * unit;
}

static std::optional<std::string> readLine(const llvm::Twine &path) {
  // sysfs files claim a page's size and hold a line: read as a stream.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileAsStream(path);
  if (!file)
    return std::nullopt;
  return (*file)->getBuffer().trim().str();
}

static std::string bytesText(int64_t bytes) {
  if (bytes % (1 << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

std::string loomc::codegen::readCacheSizes(llvm::StringRef cpuDirectory,
                                           CpuDescription &cpu) {
  int64_t sizes[4] = {0, 0, 0, 0};
  for (unsigned index = 0; index < 16; ++index) {
    std::string dir = (cpuDirectory + "/cache/index" + llvm::Twine(index)).str();
    if (!llvm::sys::fs::is_directory(dir))
      continue;
    std::optional<std::string> level = readLine(dir + "/level");
    std::optional<std::string> type = readLine(dir + "/type");
    std::optional<std::string> size = readLine(dir + "/size");
    unsigned levelNumber = 0;
    if (!level || !type || !size || llvm::StringRef(*level).getAsInteger(10, levelNumber) ||
        levelNumber < 1 || levelNumber > 3 || *type == "Instruction")
      continue;
    if (std::optional<int64_t> bytes = parseCacheSize(*size))
      sizes[levelNumber] = std::max(sizes[levelNumber], *bytes);
  }
  std::string found;
  int64_t *fields[4] = {nullptr, &cpu.l1Bytes, &cpu.l2Bytes, &cpu.l3Bytes};
  const char *names[4] = {"", "L1d", "L2", "L3"};
  for (unsigned level = 1; level <= 3; ++level) {
    if (sizes[level] == 0)
      continue;
    *fields[level] = sizes[level];
    found += (found.empty() ? "" : ", ") + std::string(names[level]) + " " +
             bytesText(sizes[level]);
  }
  return found;
}

int64_t loomc::codegen::fmaPortsOf(const CpuIdentity &cpu, int64_t vectorWidth) {
  bool wide = vectorWidth >= 16;
  if (cpu.vendor == "AuthenticAMD") {
    if (cpu.family == 0x19)
      return wide ? 1 : 2;
    if (cpu.family >= 0x1a)
      return 2;
    return wide ? 1 : 2;
  }
  if (cpu.vendor == "GenuineIntel" && cpu.family == 6) {
    if (!wide)
      return 2;
    // Xeon Scalable: Skylake-SP/Cascade Lake/Cooper Lake, Ice Lake-SP and
    // -D, Sapphire Rapids, Emerald Rapids, Granite Rapids.
    const unsigned xeonModels[] = {0x55, 0x6a, 0x6c, 0x8f, 0xcf, 0xad, 0xae};
    return llvm::is_contained(xeonModels, cpu.model) ? 2 : 1;
  }
  return 1;
}

CpuDescription loomc::codegen::describeHostCpu(int64_t vectorWidth, bool amxTiles,
                                               std::string &found) {
  CpuDescription cpu;
  cpu.vectorWidth = vectorWidth;
  cpu.vectorRegisters = vectorWidth >= 16 ? 32 : 16;
  cpu.amxTiles = amxTiles;
  cpu.cores = std::max(1u, std::thread::hardware_concurrency());
  CpuIdentity identity = identifyHostCpu();
  cpu.fmaPorts = fmaPortsOf(identity, vectorWidth);
  std::string caches = readCacheSizes("/sys/devices/system/cpu/cpu0", cpu);
  llvm::raw_string_ostream os(found);
  os << (identity.name.empty() ? std::string("an unnamed CPU") : identity.name) << ", "
     << cpu.cores << (cpu.cores == 1 ? " core, " : " cores, ")
     << cpu.fmaPorts << " FMA port" << (cpu.fmaPorts == 1 ? "" : "s") << " of "
     << 32 * vectorWidth << " bits, ";
  if (caches.empty())
    os << "caches not in sysfs (assumed L1d " << bytesText(cpu.l1Bytes) << ", L2 "
       << bytesText(cpu.l2Bytes) << ")";
  else
    os << caches;
  return cpu;
}
