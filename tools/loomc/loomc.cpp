//===- loomc.cpp - Compile a .loom model into a training executable -------===//
//
// Flags to pipeline options, and the reports a build prints; the stages
// themselves are compiler/pipeline's.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Linker.h"
#include "compiler/codegen/TuningTable.h"
#include "compiler/frontend/ModelBuilder.h"
#include "compiler/pipeline/Pipeline.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "dialects/loom/IR/LoomDialect.h"
#include "dialects/loom/IR/RepeatInstances.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/WithColor.h"
#include <chrono>

using namespace llvm;

static cl::OptionCategory category("loomc options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.loom>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output executable"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
static cl::opt<std::string>
    emitStage("emit", cl::value_desc("stage"), cl::cat(category),
              cl::desc("Print the IR after a stage and stop: loom, grad, "
                       "fused, linalg, tiled, "
                       "bufferized, llvm, llvm-ir, asm"));
static cl::opt<std::string>
    fromStage("from", cl::value_desc("stage"), cl::cat(category),
              cl::desc("The input is IR that --emit printed after this stage "
                       "(loom or grad), perhaps edited: go on from there"));
static cl::opt<std::string>
    dumpDir("dump-ir", cl::value_desc("dir"), cl::cat(category),
            cl::desc("Write the IR of every stage to files in this directory"));
static cl::list<std::string>
    defines("D", cl::desc("Override a constant of the model"),
            cl::value_desc("NAME=VALUE"), cl::Prefix, cl::cat(category));
static cl::opt<bool> noFuse("no-fuse",
                            cl::desc("Keep every op separate (no fusion)"),
                            cl::cat(category));
static cl::opt<std::string>
    runtimeLibrary("runtime", cl::value_desc("file"), cl::cat(category),
                   cl::desc("The runtime library to link (default: "
                            "../lib/libloom_runtime.a next to loomc)"));
static cl::opt<bool> sanitizeRuntime(
    "sanitize-runtime", cl::cat(category),
    cl::desc("Link the runtime built with AddressSanitizer and "
             "UndefinedBehaviorSanitizer (../lib/libloom_runtime_sanitized.a "
             "next to loomc, or --runtime): to check the runtime on your "
             "data, checkpoints and flags; the generated code is not "
             "instrumented"));
static cl::opt<bool>
    shared("shared", cl::cat(category),
           cl::desc("Build a shared library with the training step and no "
                    "runtime (see abi.h) instead of an executable"));
static cl::opt<bool>
    profile("profile", cl::cat(category),
            cl::desc("Time every operation at run time: the executable prints "
                     "where a training step spends its time"));
static cl::opt<bool>
    remat("remat", cl::cat(category),
          cl::desc("Recompute normalization and activation outputs in the "
                   "backward pass instead of keeping them from the forward "
                   "pass: less memory, a little more compute"));
static cl::opt<bool> rematBlocks(
    "remat-blocks", cl::cat(category),
    cl::desc("Recompute each repeated block's forward pass from its input in "
             "the backward pass: one block input kept per layer, about a "
             "third more compute"));
static cl::opt<int64_t>
    sampleBatch("sample-batch", cl::init(1), cl::value_desc("n"),
                cl::cat(category),
                cl::desc("Sequences the inference entry points (sample) "
                         "decode side by side"));
static cl::opt<int64_t>
    inferenceContext("context", cl::init(0), cl::value_desc("positions"),
                     cl::cat(category),
                     cl::desc("Positions the key/value cache holds (default: "
                              "the model's ctx constant)"));
static cl::opt<int64_t>
    prefillLength("prefill-length", cl::init(0), cl::value_desc("tokens"),
                  cl::cat(category),
                  cl::desc("Prompt tokens one prefill call takes (default: "
                           "the training window, at most the context)"));
static cl::opt<bool>
    fusionReport("fusion-report",
                 cl::desc("List every fused and unfused chain"),
                 cl::cat(category));
static cl::opt<bool>
    unrollLayers("unroll-layers", cl::cat(category),
                 cl::desc("Compile every instance of a repeated block on its "
                          "own instead of once (slower to compile; for "
                          "comparison)"));
static cl::opt<std::string>
    targetCpu("target-cpu", cl::cat(category), cl::value_desc("cpu"),
              cl::desc("Generate code for this CPU (LLVM's names: znver4, "
                       "sapphirerapids, x86-64-v3, ...) instead of the one "
                       "loomc runs on"));
static cl::opt<std::string>
    targetFeatures("target-features", cl::cat(category),
                   cl::value_desc("+f1,-f2"),
                   cl::desc("CPU features to add (+) or remove (-), LLVM's "
                            "names (+avx512bf16, -avx512f), on top of the "
                            "host's or --target-cpu's"));
static cl::opt<loomc::Precision> precision(
    "precision", cl::cat(category), cl::init(loomc::Precision::fp32),
    cl::desc("What the step computes in (tensors in buffers are f32 in every build)"),
    cl::values(clEnumValN(loomc::Precision::fp32, "fp32", "f32 (the default)"),
               clEnumValN(loomc::Precision::bf16, "bf16",
                          "matrix products with bf16 operands, f32 accumulation "
                          "(needs AVX512-BF16 at twice the f32 FMA rate: AMD "
                          "Zen 4/5)"),
               clEnumValN(loomc::Precision::fp64, "fp64",
                          "the forward and backward passes in f64, for "
                          "--grad-check (slow: for checking, not training)")));
static cl::opt<bool> amxTiles(
    "amx-tiles", cl::cat(category),
    cl::desc("With --precision=bf16 on a CPU with AMX: the products on AMX "
             "tiles (experimental: built and checked in IR, never run on an "
             "AMX CPU)"));
static cl::opt<bool> tune(
    "tune", cl::cat(category),
    cl::desc("Time candidate tilings of every matrix product shape of the "
             "model on this CPU, keep the fastest of each in this CPU's "
             "tuning cache (or --tuning FILE), and build with them"));
static cl::opt<std::string> tuningFile(
    "tuning", cl::cat(category), cl::value_desc("FILE"),
    cl::desc("Read the products' tilings from this tuning table (docs/tuning.md) "
             "instead of this CPU's cache; with --tune, write them there"));
static cl::opt<bool> noTuning(
    "no-tuning", cl::cat(category),
    cl::desc("Tile every product by the rules, not by the tuning cache"));
static cl::opt<bool>
    timing("timing", cl::cat(category),
           cl::desc("Print the wall time of every step of the compilation: "
                    "front end, each stage, LLVM's optimization, code "
                    "generation, link"));
static cl::opt<bool>
    printPipeline("print-pipeline", cl::cat(category),
                  cl::desc("Print the pass pipeline of every stage, as "
                           "loom-opt --pass-pipeline= takes it"));

static int fail(const Twine &message) {
  WithColor::error(errs(), "loomc") << message << "\n";
  return 1;
}

// A line of the fusion report: "FILE:LINE:COL: MESSAGE", and the block
// instance the chain is in ("h.3.attn"), if any.
struct FusionLine {
  std::string text;
  std::string instance;
};

static FusionLine reportLine(mlir::Diagnostic &diag) {
  FusionLine line;
  raw_string_ostream os(line.text);
  if (auto fileLoc = diag.getLocation()->findInstanceOf<mlir::FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else
    os << diag.getLocation();
  os << ": " << diag.str();
  // Ops built inside a block instance carry its name.
  if (auto instance = diag.getLocation()->findInstanceOf<mlir::NameLoc>())
    line.instance = instance.getName().getValue().str();
  return line;
}

// "h.*.attn" for "h.3.attn" when "h" is a repeat's scope: the name of the
// chain in every instance of the block.
static std::string everyInstance(StringRef name, ArrayRef<StringRef> scopes) {
  std::optional<mlir::loom::RepeatInstance> instance =
      mlir::loom::parseRepeatInstance(name, scopes);
  return instance ? (instance->scope + ".*" + instance->rest).str() : name.str();
}

// The report's lines; a chain of a repeated block (of one of `scopes`)
// once, with the number of instances.
static void printFusionLines(ArrayRef<FusionLine> lines,
                             ArrayRef<StringRef> scopes, raw_ostream &os) {
  std::vector<std::pair<std::string, unsigned>> grouped;
  llvm::StringMap<size_t> index;
  for (const FusionLine &line : lines) {
    std::string key = line.text;
    if (!line.instance.empty())
      key += " in " + everyInstance(line.instance, scopes);
    auto [it, added] = index.try_emplace(key, grouped.size());
    if (added)
      grouped.push_back({key, 0});
    ++grouped[it->second].second;
  }
  for (const auto &[text, count] : grouped) {
    os << "  " << text;
    if (count > 1)
      os << " (" << count << " instances)";
    os << "\n";
  }
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "loomc: compile a .loom model definition into a "
                              "native executable that trains it\n");

  loomc::PipelineOptions options;
  options.fuse = !noFuse;
  options.profile = profile;
  options.remat = remat;
  options.unrollLayers = unrollLayers;
  options.targetCpu = targetCpu;
  options.targetFeatures = targetFeatures;
  options.precision = precision;
  options.amxTiles = amxTiles;
  if (amxTiles && precision != loomc::Precision::bf16)
    return fail("--amx-tiles: only bf16 products use AMX tiles; add --precision=bf16");
  if (noTuning && (tune || !tuningFile.empty()))
    return fail(Twine("--no-tuning contradicts ") + (tune ? "--tune" : "--tuning"));
  if (tune && !targetCpu.empty())
    return fail("--tune times kernels on this CPU; it cannot tune for --target-cpu " +
                targetCpu);
  options.tune = tune;
  if (!tuningFile.empty()) {
    if (!tune && !sys::fs::exists(tuningFile))
      return fail("--tuning " + tuningFile +
                  ": no such file (loomc --tune --tuning FILE writes one)");
    options.tuningFile = tuningFile;
  } else if (!noTuning && targetCpu.empty()) {
    // This CPU's cache, used where it has the model's shapes.
    options.tuningFile = loomc::codegen::defaultTuningPath();
    if (tune && options.tuningFile.empty())
      return fail("--tune: neither XDG_CACHE_HOME nor HOME is set for the tuning "
                  "cache; name a file with --tuning FILE");
  }
  options.rematBlocks = rematBlocks;
  if (rematBlocks && unrollLayers)
    return fail("--remat-blocks recomputes the function a repeated block is "
                "compiled into; it cannot be combined with --unroll-layers");
  if (sampleBatch < 1)
    return fail("--sample-batch=" + Twine(sampleBatch.getValue()) +
                ": must be at least 1");
  if (inferenceContext < 0 || prefillLength < 0)
    return fail(inferenceContext < 0 ? "--context: must be positive"
                                     : "--prefill-length: must be positive");
  options.sampleBatch = sampleBatch;
  options.context = inferenceContext;
  options.prefillLength = prefillLength;
  mlir::MLIRContext context;
  if (printPipeline) {
    return failed(loomc::printPipelines(context, options, outs())) ? 1 : 0;
  }
  if (inputFile.empty())
    return fail("no model given: loomc MODEL.loom -o EXECUTABLE");
  if (!emitStage.empty() && !(options.emit = loomc::parseStage(emitStage)))
    return fail("--emit=" + emitStage + ": unknown stage; expected one of " +
                loomc::stageNames());
  if (!options.emit && outputFile.empty())
    return fail("nothing to do: give -o EXECUTABLE or --emit=STAGE");
  options.outputPath = outputFile;
  options.sharedLibrary = shared;
  if (shared && sanitizeRuntime)
    return fail("--sanitize-runtime: a --shared library has no runtime");
  options.sanitizeRuntime = sanitizeRuntime;
  options.runtimeLibrary =
      runtimeLibrary.empty()
          ? loomc::defaultRuntimeLibrary(argv[0], sanitizeRuntime)
          : std::string(runtimeLibrary);
  options.dumpDirectory = dumpDir;
  if (!fromStage.empty()) {
    options.resumeAfter = loomc::parseStage(fromStage);
    if (!options.resumeAfter || !loomc::canResumeAfter(*options.resumeAfter))
      return fail("--from=" + fromStage +
                  ": IR can be read back after the loom or grad stage");
    if (!defines.empty())
      return fail("-D: constants are those of a .loom definition; --from "
                  "reads IR whose shapes are already fixed");
  }

  // The front end parses each -D value according to its constant's kind.
  loomc::frontend::ModelOptions modelOptions;
  for (StringRef define : defines) {
    auto [name, value] = define.split('=');
    if (name.empty() || value.empty() || name.size() == define.size())
      return fail("-D " + define + ": expected NAME=VALUE, e.g. -D hidden=512");
    modelOptions.constantOverrides[name] = value.str();
  }
  auto buffer = MemoryBuffer::getFile(inputFile, /*IsText=*/true);
  if (!buffer)
    return fail("cannot read '" + inputFile +
                "': " + buffer.getError().message());
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), SMLoc());

  context.getOrLoadDialect<mlir::loom::LoomDialect>();
  // Errors point at the definition; the IR of a whole model is no help
  // there (--emit shows it).
  context.printOpOnDiagnostic(false);
  mlir::SourceMgrDiagnosticHandler sourceHandler(sourceMgr, &context);
  // Remarks are the fusion pass's, one per chain: the report's lines.
  std::vector<FusionLine> fusionLines;
  mlir::ScopedDiagnosticHandler fusionHandler(
      &context, [&](mlir::Diagnostic &diag) {
        if (diag.getSeverity() != mlir::DiagnosticSeverity::Remark)
          return mlir::failure(); // to the source manager's handler
        fusionLines.push_back(reportLine(diag));
        return mlir::success();
      });

  auto start = std::chrono::steady_clock::now();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (options.resumeAfter) {
    loomc::loadDialects(context);
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  } else {
    module = loomc::frontend::loadModel(sourceMgr, context, modelOptions);
  }
  if (!module)
    return 1;
  loomc::CompilationReport report;
  report.times.push_back(
      {options.resumeAfter ? "reading IR" : "front end",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
           .count()});
  if (failed(loomc::compileModel(*module, options, report, outs())))
    return 1;
  bool built = !options.emit;
  if (built || fusionReport) {
    unsigned fused = report.fusion.fused,
             unfused = report.fusion.unfusedTotal();
    errs() << "loomc: fusion: " << fused << " chain" << (fused == 1 ? "" : "s")
           << " fused, " << unfused << " left unfused\n";
    // Every instance on its own with --unroll-layers.
    SmallVector<StringRef> scopes;
    if (auto repeats =
            (*module)->getAttrOfType<mlir::ArrayAttr>(mlir::loom::kRepeatsAttr);
        repeats && !options.unrollLayers)
      scopes = llvm::to_vector(repeats.getAsValueRange<mlir::StringAttr>());
    if (fusionReport || unfused > 0)
      printFusionLines(fusionLines, scopes, errs());
  }
  if (rematBlocks && !(*module)->hasAttr(mlir::loom::kRepeatsAttr))
    WithColor::warning(errs(), "loomc")
        << "--remat-blocks: the model repeats no block; nothing is "
           "recomputed\n";
  if (built || tune)
    errs() << "loomc: tiling: " << report.tiling << "\n";
  if (built)
    loomc::printMemoryPlan(report.model, errs());
  if (timing) {
    double total = 0;
    for (const loomc::StepTime &step : report.times) {
      errs() << format("loomc: time: %6.2f s  %s\n", step.seconds,
                       step.name.c_str());
      total += step.seconds;
    }
    errs() << format("loomc: time: %6.2f s  in all\n", total);
  }
  return 0;
}
