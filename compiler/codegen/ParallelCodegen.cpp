//===- ParallelCodegen.cpp - Optimizing and compiling on every core -------===//

#include "compiler/codegen/ParallelCodegen.h"
#include "compiler/codegen/NativeCode.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

using namespace llvm;

mlir::FailureOr<std::vector<std::string>>
loomc::compileInParallel(std::unique_ptr<Module> module,
                         const std::vector<std::string> &paths,
                         const TargetSpec &target, PartTimes *seconds) {
  // Parts travel between contexts as bitcode: a context is not shared
  // between threads.
  std::vector<SmallVector<char, 0>> parts;
  SplitModule(
      *module, paths.size(),
      [&](std::unique_ptr<Module> part) {
        if (part->getFunctionList().empty() && part->global_empty())
          return;
        parts.emplace_back();
        raw_svector_ostream os(parts.back());
        WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  module.reset();

  // One target machine per thread, created here: creating one registers
  // the native target, which is not safe to do from several threads.
  std::vector<std::unique_ptr<TargetMachine>> targets;
  for (size_t i = 0; i < parts.size(); ++i) {
    targets.push_back(createTargetMachine(target));
    if (!targets.back())
      return mlir::failure();
  }
  std::atomic<bool> failed{false};
  std::atomic<size_t> nextPart{0};
  size_t threadCount = std::clamp<size_t>(std::thread::hardware_concurrency(),
                                          1, std::max<size_t>(parts.size(), 1));
  std::vector<PartTimes> times(threadCount);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < threadCount; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = nextPart++; i < parts.size() && !failed; i = nextPart++) {
        LLVMContext context;
        Expected<std::unique_ptr<Module>> part = parseBitcodeFile(
            MemoryBufferRef(StringRef(parts[i].data(), parts[i].size()), "part"),
            context);
        if (!part) {
          consumeError(part.takeError());
          failed = true;
          return;
        }
        auto start = std::chrono::steady_clock::now();
        optimizeModule(**part, *targets[i]);
        auto optimized = std::chrono::steady_clock::now();
        if (mlir::failed(emitObjectFile(**part, *targets[i], paths[i])))
          failed = true;
        std::chrono::duration<double> optimization = optimized - start,
                                      codeGeneration =
                                          std::chrono::steady_clock::now() - optimized;
        times[t].optimization += optimization.count();
        times[t].codeGeneration += codeGeneration.count();
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  if (seconds && !times.empty())
    *seconds = *std::max_element(
        times.begin(), times.end(), [](const PartTimes &a, const PartTimes &b) {
          return a.optimization + a.codeGeneration <
                 b.optimization + b.codeGeneration;
        });
  if (failed) {
    WithColor::error(errs(), "loomc") << "compiling the model's code failed\n";
    return mlir::failure();
  }
  return std::vector<std::string>(paths.begin(), paths.begin() + parts.size());
}
