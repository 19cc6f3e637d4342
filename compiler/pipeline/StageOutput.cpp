//===- StageOutput.cpp - Where the IR of each stage goes ------------------===//

#include "compiler/pipeline/StageOutput.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

static mlir::LogicalResult fail(const Twine &message) {
  WithColor::error(errs(), "loomc") << message << "\n";
  return mlir::failure();
}

mlir::LogicalResult loomc::StageOutput::prepare() {
  if (dumpDirectory.empty())
    return mlir::success();
  if (std::error_code ec = sys::fs::create_directories(dumpDirectory))
    return fail("--dump-ir=" + dumpDirectory + ": " + ec.message());
  return mlir::success();
}

// 00-loom.mlir ... 06-llvm.mlir, 07-llvm-ir.ll, 08-asm.s.
std::string loomc::StageOutput::pathOf(Stage stage) const {
  StringRef extension = stage == Stage::llvmIR     ? "ll"
                        : stage == Stage::assembly ? "s"
                                                   : "mlir";
  SmallString<128> path(dumpDirectory);
  sys::path::append(path, formatv("{0:d2}-{1}.{2}", static_cast<int>(stage),
                                  stageName(stage), extension)
                              .str());
  return std::string(path);
}

mlir::LogicalResult loomc::StageOutput::writeBinary(
    Stage stage, function_ref<mlir::LogicalResult(raw_pwrite_stream &)> print) {
  if (!dumpDirectory.empty()) {
    std::string path = pathOf(stage);
    std::error_code ec;
    raw_fd_ostream os(path, ec);
    if (ec)
      return fail("cannot write '" + path + "': " + ec.message());
    if (failed(print(os)))
      return mlir::failure();
    os.close();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      return fail("cannot write '" + path + "': " + message);
    }
  }
  if (emit == stage)
    return print(emitStream);
  return mlir::success();
}

mlir::LogicalResult
loomc::StageOutput::write(Stage stage,
                          function_ref<void(raw_ostream &)> print) {
  return writeBinary(stage, [&](raw_pwrite_stream &os) {
    print(os);
    return mlir::success();
  });
}
