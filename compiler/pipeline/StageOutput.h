//===- StageOutput.h - Where the IR of each stage goes ----------*- C++ -*-===//

#ifndef LOOM_COMPILER_PIPELINE_STAGEOUTPUT_H
#define LOOM_COMPILER_PIPELINE_STAGEOUTPUT_H

#include "compiler/pipeline/Pipeline.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace loomc {

// Writes the IR after each stage: to DIR/NN-STAGE.EXT for --dump-ir=DIR,
// and to the emit stream for the stage of --emit. A file that cannot be
// written is an error naming it.
class StageOutput {
public:
  StageOutput(llvm::StringRef dumpDirectory, std::optional<Stage> emit,
              llvm::raw_pwrite_stream &emitStream)
      : dumpDirectory(dumpDirectory), emit(emit), emitStream(emitStream) {}

  // Creates the dump directory.
  mlir::LogicalResult prepare();
  // Writes a textual stage (MLIR or LLVM IR) where asked.
  mlir::LogicalResult
  write(Stage stage, llvm::function_ref<void(llvm::raw_ostream &)> print);
  // Writes a stage that an LLVM code generator writes (assembly), which
  // needs a seekable stream.
  mlir::LogicalResult writeBinary(
      Stage stage,
      llvm::function_ref<mlir::LogicalResult(llvm::raw_pwrite_stream &)> print);
  // Whether compilation stops after `stage` (the one --emit names).
  bool done(Stage stage) const { return emit == stage; }

private:
  std::string pathOf(Stage stage) const;

  std::string dumpDirectory;
  std::optional<Stage> emit;
  llvm::raw_pwrite_stream &emitStream;
};

} // namespace loomc

#endif // LOOM_COMPILER_PIPELINE_STAGEOUTPUT_H
