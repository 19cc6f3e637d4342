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
#include <atomic>
#include <thread>

using namespace llvm;

mlir::FailureOr<std::vector<std::string>>
loomc::compileInParallel(std::unique_ptr<Module> module,
                         const std::vector<std::string> &paths) {
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

  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts.size(); ++i)
    threads.emplace_back([&, i] {
      LLVMContext context;
      Expected<std::unique_ptr<Module>> part = parseBitcodeFile(
          MemoryBufferRef(StringRef(parts[i].data(), parts[i].size()), "part"),
          context);
      std::unique_ptr<TargetMachine> target = createHostTargetMachine();
      if (!part || !target) {
        if (!part)
          consumeError(part.takeError());
        failed = true;
        return;
      }
      optimizeModule(**part, *target);
      if (mlir::failed(emitObjectFile(**part, *target, paths[i])))
        failed = true;
    });
  for (std::thread &thread : threads)
    thread.join();
  if (failed) {
    WithColor::error(errs(), "loomc") << "compiling the model's code failed\n";
    return mlir::failure();
  }
  return std::vector<std::string>(paths.begin(), paths.begin() + parts.size());
}
