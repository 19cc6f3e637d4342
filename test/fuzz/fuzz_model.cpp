//===- fuzz_model.cpp - libFuzzer target: .loom definitions, in process ---===//
//
// Any bytes as a model definition through the front end: lexer, parser,
// model builder and the loom dialect's verifiers. It must build a model
// that verifies or report an error, never crash, hang or read out of
// bounds. The front end is built here with the sanitizers and coverage; the
// dialect library and MLIR are the ordinary ones (their crashes are still
// caught, their branches do not guide the search).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ModelBuilder.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context for every input, as loomc has one per run: registering the
  // dialects costs more than most inputs.
  static mlir::MLIRContext *context = [] {
    auto *created = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    created->printOpOnDiagnostic(false);
    return created;
  }();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.loom"),
      llvm::SMLoc());
  // The errors are the expected outcome for most inputs: not printed.
  sourceMgr.setDiagHandler([](const llvm::SMDiagnostic &, void *) {});
  mlir::ScopedDiagnosticHandler quiet(context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  loomc::frontend::ModelOptions options;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loomc::frontend::loadModel(sourceMgr, *context, options);
  // loadModel returns only what verified; --emit=loom prints it.
  if (module)
    module->print(llvm::nulls());
  return 0;
}
