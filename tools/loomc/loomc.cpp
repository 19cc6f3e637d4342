//===- loomc.cpp - Compile a .loom model into a training executable -------===//

#include "compiler/codegen/Linker.h"
#include "compiler/codegen/NativeCode.h"
#include "compiler/codegen/ParallelCodegen.h"
#include "compiler/frontend/ModelBuilder.h"
#include "compiler/pipeline/Pipeline.h"
#include "dialects/loom/IR/LoomDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include <algorithm>
#include <thread>

using namespace llvm;

static cl::OptionCategory loomcCategory("loomc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.loom>"),
                                      cl::Required, cl::cat(loomcCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output executable"),
                                       cl::value_desc("file"),
                                       cl::cat(loomcCategory));
static cl::opt<std::string>
    emitStage("emit",
              cl::desc("Print the IR after a stage and stop: loom, grad, fused, "
                       "linalg, tiled, bufferized, llvm, llvm-ir, asm"),
              cl::value_desc("stage"), cl::cat(loomcCategory));
static cl::opt<std::string> dumpDir("dump-ir",
                                    cl::desc("Write the IR of every stage to "
                                             "files in this directory"),
                                    cl::value_desc("dir"),
                                    cl::cat(loomcCategory));
static cl::list<std::string>
    defines("D", cl::desc("Override a constant of the model"),
            cl::value_desc("NAME=VALUE"), cl::Prefix, cl::cat(loomcCategory));
static cl::opt<bool> noFuse("no-fuse",
                            cl::desc("Keep every op separate (no fusion)"),
                            cl::cat(loomcCategory));
static cl::opt<std::string>
    runtimeLibrary("runtime",
                   cl::desc("The runtime library to link (default: "
                            "../lib/libloom_runtime.a next to loomc)"),
                   cl::value_desc("file"), cl::cat(loomcCategory));
static cl::opt<bool> shared("shared",
                            cl::desc("Build a shared library with the training "
                                     "step and no runtime (see abi.h) instead "
                                     "of an executable"),
                            cl::cat(loomcCategory));
static cl::opt<bool> profile(
    "profile",
    cl::desc("Time every operation at run time: the executable prints where "
             "a training step spends its time"),
    cl::cat(loomcCategory));

static cl::opt<bool> remat(
    "remat",
    cl::desc("Recompute normalization and activation outputs in the backward "
             "pass instead of keeping them from the forward pass: less "
             "memory, a little more compute"),
    cl::cat(loomcCategory));

static cl::opt<bool> fusionReport("fusion-report",
                                  cl::desc("List every fused and unfused chain"),
                                  cl::cat(loomcCategory));

static int fail(const Twine &message) {
  WithColor::error(errs(), "loomc") << message << "\n";
  return 1;
}

// Collects the -D flags; the front end parses each value according to its
// constant's kind, integer or real.
static bool parseDefines(loomc::frontend::ModelOptions &options) {
  for (const std::string &define : defines) {
    auto [name, value] = StringRef(define).split('=');
    if (name.empty() || value.empty() || name.size() == define.size()) {
      fail("-D " + define + ": expected NAME=VALUE, e.g. -D hidden=512");
      return false;
    }
    options.constantOverrides[name] = value.str();
  }
  return true;
}

// Collects the fusion pass's remarks into the report printed after the build.
struct FusionReport {
  unsigned fused = 0;
  unsigned notFused = 0;
  std::vector<std::string> lines;

  void print(raw_ostream &os, bool details) const {
    os << "loomc: fusion: " << fused << " chain" << (fused == 1 ? "" : "s")
       << " fused, " << notFused << " left unfused\n";
    if (details || notFused > 0)
      for (const std::string &line : lines)
        os << "  " << line << "\n";
  }
};

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(loomcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "loomc: compile a .loom model definition into a native executable that "
      "trains it\n");

  std::optional<loomc::Stage> stopAt;
  if (!emitStage.empty()) {
    stopAt = loomc::parseStage(emitStage);
    if (!stopAt)
      return fail("--emit=" + emitStage + ": unknown stage; expected one of " +
                  loomc::stageNames());
  }
  if (!stopAt && outputFile.empty())
    return fail("nothing to do: give -o EXECUTABLE or --emit=STAGE");
  loomc::frontend::ModelOptions modelOptions;
  if (!parseDefines(modelOptions))
    return 1;

  std::string errorMessage;
  auto buffer = MemoryBuffer::getFile(inputFile, /*IsText=*/true);
  if (!buffer)
    return fail("cannot read '" + inputFile + "': " + buffer.getError().message());
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), SMLoc());

  mlir::MLIRContext context;
  context.getOrLoadDialect<mlir::loom::LoomDialect>();
  // Errors point at the definition; the IR of a whole model is no help there
  // (--emit shows it).
  context.printOpOnDiagnostic(false);
  FusionReport report;
  mlir::SourceMgrDiagnosticHandler sourceHandler(sourceMgr, &context);
  mlir::ScopedDiagnosticHandler fusionHandler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Remark)
      return mlir::failure(); // to the source manager's handler
    std::string message = diag.str();
    StringRef text(message);
    if (text.starts_with("fused"))
      ++report.fused;
    else if (text.starts_with("not fused"))
      ++report.notFused;
    else
      return mlir::failure();
    std::string line;
    raw_string_ostream os(line);
    if (auto fileLoc = diag.getLocation()->findInstanceOf<mlir::FileLineColLoc>())
      os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
         << fileLoc.getColumn();
    else
      os << diag.getLocation();
    os << ": " << message;
    // Ops built inside a block instance carry its name.
    if (auto instance = diag.getLocation()->findInstanceOf<mlir::NameLoc>())
      os << " in " << instance.getName().getValue();
    report.lines.push_back(line);
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      loomc::frontend::loadModel(sourceMgr, context, modelOptions);
  if (!module)
    return 1;

  if (!dumpDir.empty())
    if (std::error_code ec = sys::fs::create_directories(dumpDir))
      return fail("--dump-ir=" + dumpDir + ": " + ec.message());

  loomc::PipelineOptions options;
  options.fuse = !noFuse;
  options.profile = profile;
  options.remat = remat;
  unsigned stageIndex = 0;
  bool dumpFailed = false;
  options.afterStage = [&](loomc::Stage stage, mlir::ModuleOp op) {
    if (!dumpDir.empty()) {
      SmallString<128> path(dumpDir);
      sys::path::append(path, formatv("{0:d2}-{1}.mlir", stageIndex,
                                      loomc::stageName(stage))
                                  .str());
      std::error_code ec;
      raw_fd_ostream os(path, ec);
      if (ec) {
        dumpFailed = true;
        fail("cannot write '" + path + "': " + ec.message());
      } else {
        op.print(os);
      }
    }
    ++stageIndex;
    if (stopAt && *stopAt == stage)
      op.print(outs());
  };
  loomc::Stage lastMLIR =
      stopAt && *stopAt <= loomc::Stage::llvm ? *stopAt : loomc::Stage::llvm;
  std::unique_ptr<llvm::TargetMachine> target = loomc::createHostTargetMachine();
  if (!target)
    return 1;
  options.vectorWidth = loomc::hostVectorWidth();
  loomc::ModelDescription description;
  if (failed(loomc::runMLIRStages(*module, options, lastMLIR, &description)) ||
      dumpFailed)
    return 1;
  if (stopAt && *stopAt <= loomc::Stage::llvm) {
    if (fusionReport)
      report.print(errs(), true);
    return 0;
  }

  // 7. LLVM IR with the runtime's entry points, optimized at -O3.
  LLVMContext llvmContext;
  std::unique_ptr<Module> llvmModule =
      loomc::translateToLLVMIR(*module, llvmContext, description, *target);
  if (!llvmModule)
    return 1;
  auto dumpText = [&](StringRef stage, StringRef extension,
                      function_ref<void(raw_pwrite_stream &)> write) {
    if (dumpDir.empty())
      return;
    SmallString<128> path(dumpDir);
    sys::path::append(path, formatv("{0:d2}-{1}.{2}", stageIndex++, stage,
                                    extension)
                                .str());
    std::error_code ec;
    raw_fd_ostream os(path, ec);
    if (!ec)
      write(os);
  };
  // Printing the optimized module, or writing the IR of every stage, needs
  // it whole; an executable is compiled in parts, one per core.
  bool whole = stopAt || !dumpDir.empty();
  if (whole) {
    loomc::optimizeModule(*llvmModule, *target);
    dumpText("llvm-ir", "ll",
             [&](raw_pwrite_stream &os) { llvmModule->print(os, nullptr); });
    if (stopAt && *stopAt == loomc::Stage::llvmIR) {
      llvmModule->print(outs(), nullptr);
      return 0;
    }
    // 8. Assembly or an object file for the host.
    dumpText("asm", "s", [&](raw_pwrite_stream &os) {
      (void)loomc::emitAssembly(*llvmModule, *target, os);
    });
    if (stopAt && *stopAt == loomc::Stage::assembly)
      return failed(loomc::emitAssembly(*llvmModule, *target, outs())) ? 1 : 0;
  }

  // 9. The executable: the objects linked with the runtime.
  unsigned parts = whole ? 1 : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<std::string> objectPaths;
  std::vector<std::unique_ptr<FileRemover>> removers;
  for (unsigned i = 0; i < parts; ++i) {
    SmallString<128> path;
    if (std::error_code ec = sys::fs::createTemporaryFile(
            "loom-" + description.modelName, "o", path))
      return fail("cannot create a temporary object file: " + ec.message());
    objectPaths.push_back(std::string(path));
    removers.push_back(std::make_unique<FileRemover>(path));
  }
  std::vector<std::string> objects;
  if (whole) {
    if (failed(loomc::emitObjectFile(*llvmModule, *target, objectPaths[0])))
      return 1;
    objects = objectPaths;
  } else {
    mlir::FailureOr<std::vector<std::string>> written =
        loomc::compileInParallel(std::move(llvmModule), objectPaths);
    if (failed(written))
      return 1;
    objects = std::move(*written);
  }
  if (shared) {
    if (failed(loomc::linkSharedLibrary(objects, outputFile)))
      return 1;
  } else {
    std::string runtime = runtimeLibrary.empty()
                              ? loomc::defaultRuntimeLibrary(argv[0])
                              : std::string(runtimeLibrary);
    if (failed(loomc::linkExecutable(objects, runtime, outputFile)))
      return 1;
  }
  report.print(errs(), fusionReport);
  loomc::printMemoryPlan(description, errs());
  return 0;
}
