//===- Tuner.cpp - Timing candidate tilings of a model's products ---------===//

#include "compiler/pipeline/Tuner.h"
#include "compiler/codegen/Linker.h"
#include "compiler/codegen/ParallelCodegen.h"
#include "compiler/codegen/TileAndVectorize.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <numeric>
#include <thread>

using namespace mlir;
using loomc::codegen::LoopNest;
using loomc::codegen::ProductTiling;
using loomc::codegen::TilePlan;
using loomc::codegen::TileTarget;

static bool samePlan(const TilePlan &a, const TilePlan &b) {
  return a.threadTiles == b.threadTiles && a.registerTiles == b.registerTiles &&
         a.matmulReductionStep == b.matmulReductionStep &&
         a.matmulReductionBlock == b.matmulReductionBlock;
}

// Variations of the rules' plan, one knob at a time: the k block (the
// slice of the right operand kept in L2), the thread block's rows and
// columns (how often each slice is reread, and the threads' balance), and
// register tiles with more accumulators (fewer loads per FMA, for hosts
// with two FMA ports) or fewer rows and more vectors.
std::vector<ProductTiling> loomc::candidateTilings(const LoopNest &nest,
                                                   const TileTarget &target) {
  TilePlan rules = codegen::planTiles(nest, target);
  ProductTiling base = codegen::tilingOf(nest, rules);
  std::vector<ProductTiling> candidates = {base};
  std::vector<TilePlan> plans = {rules};
  auto add = [&](ProductTiling t) {
    ProductTiling parsed;
    if (!codegen::parseTiling(t.sizes(), target.vectorWidth, parsed).empty())
      return;
    LoopNest chosen = nest;
    chosen.chosen = t;
    TilePlan plan = codegen::planTiles(chosen, target);
    if (llvm::any_of(plans, [&](const TilePlan &p) { return samePlan(p, plan); }))
      return;
    plans.push_back(plan);
    candidates.push_back(t);
  };
  int64_t m = nest.productRanges[0];
  for (int64_t block : {128, 256, 512, 1024, 0}) {
    ProductTiling t = base;
    t.reductionBlock = block;
    add(t);
  }
  for (int64_t rows : {base.blockRows / 2, base.blockRows * 2}) {
    ProductTiling t = base;
    t.blockRows = std::min(rows, m);
    add(t);
  }
  for (int64_t columns : {base.blockColumns / 2, base.blockColumns * 2}) {
    ProductTiling t = base;
    t.blockColumns = columns;
    add(t);
  }
  int64_t lanes = target.vectorWidth;
  struct Shape {
    int64_t rows, vectors;
  };
  for (Shape shape : {Shape{12, 2}, Shape{8, 3}, Shape{4, 4}}) {
    if (shape.rows == 12 && m % 12 != 0)
      continue; // a peeled remainder in every block
    ProductTiling t = base;
    t.registerRows = std::min(shape.rows, m);
    t.registerColumns = shape.vectors * lanes;
    // Blocks of whole register tiles.
    t.blockRows = std::max(t.registerRows, base.blockRows / t.registerRows * t.registerRows);
    t.blockColumns =
        std::max(t.registerColumns, base.blockColumns / t.registerColumns * t.registerColumns);
    add(t);
  }
  return candidates;
}

namespace {

// One candidate's kernel: a function of the library and the tiling it
// was built with (the first kernel of a shape: the rules', as a tiling).
struct Kernel {
  std::string symbol;
  ProductTiling tiling;
  double seconds = 1e30;
};

// The buffers a shape's kernels take, all alike: bytes and element type.
struct Arguments {
  std::vector<int64_t> bytes;
  std::vector<Type> elements;
};

struct Shape {
  std::string key;
  double flops = 0;
  Arguments arguments;
  std::vector<Kernel> kernels; // the rules' first
};

} // namespace

// Ops a kernel copies along with its product: what the tiling pass fuses
// into the product's tiles (packed copies of an operand, the accumulator's
// fill) and what they are made of.
static bool copiedIntoKernel(Operation *op) {
  return isa<tensor::EmptyOp, arith::ConstantOp, tensor::ExpandShapeOp,
             tensor::CollapseShapeOp>(op) ||
         op->hasAttr(mlir::loom::kPackAttr);
}

// Adds to `module` a function `symbol` computing `product` with `tiling`
// (none: the rules): the product, the packed copies and fill it reads, and
// every other value it reads as a buffer argument, the result's buffer
// last, which `arguments` receives. Fails for a product with dynamic
// shapes.
static LogicalResult buildKernel(ModuleOp module, Operation *product, StringRef symbol,
                                 std::optional<ProductTiling> tiling,
                                 Arguments &arguments) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = product->getLoc();
  SmallVector<Value> outside;
  SmallVector<Operation *> copied;
  llvm::DenseSet<Operation *> seen;
  llvm::DenseSet<Value> argumentSet;
  bool dynamic = false;
  auto asArgument = [&](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape()) {
      dynamic = true;
      return;
    }
    if (argumentSet.insert(value).second)
      outside.push_back(value);
  };
  std::function<void(Value)> visit = [&](Value value) {
    Operation *op = value.getDefiningOp();
    if (!op || !copiedIntoKernel(op)) {
      asArgument(value);
      return;
    }
    if (!seen.insert(op).second)
      return;
    for (Value operand : op->getOperands())
      visit(operand);
    for (Region &region : op->getRegions())
      region.walk([&](Operation *inner) {
        for (Value operand : inner->getOperands())
          if (operand.getParentRegion()->isProperAncestor(&region) ||
              !region.isAncestor(operand.getParentRegion()))
            visit(operand);
      });
    copied.push_back(op);
  };
  auto linalgProduct = cast<linalg::LinalgOp>(product);
  for (Value input : linalgProduct.getDpsInputs())
    visit(input);
  // The accumulator: a fill of an empty tensor, copied along; anything else
  // is read from the result's buffer, where the product adds to it.
  Value init = linalgProduct.getDpsInits()[0];
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (fill)
    visit(fill.getInputs()[0]), visit(fill.getOutputs()[0]);
  if (dynamic || product->getNumResults() != 1)
    return failure();
  auto resultType = dyn_cast<RankedTensorType>(product->getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape())
    return failure();

  // Arguments are buffers (bare pointers once lowered): the operands', then
  // the result's.
  auto bufferOf = [](Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  };
  SmallVector<Type> argumentTypes;
  for (Value value : outside)
    argumentTypes.push_back(bufferOf(value.getType()));
  argumentTypes.push_back(bufferOf(resultType));
  auto function =
      func::FuncOp::create(b, loc, symbol, b.getFunctionType(argumentTypes, {}));
  Block *body = function.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  arguments = {};
  for (BlockArgument argument : body->getArguments()) {
    auto buffer = cast<MemRefType>(argument.getType());
    arguments.bytes.push_back(buffer.getNumElements() *
                              int64_t(buffer.getElementTypeBitWidth() / 8));
    arguments.elements.push_back(buffer.getElementType());
  }
  for (auto [value, argument] : llvm::zip(outside, body->getArguments()))
    mapping.map(value, bufferization::ToTensorOp::create(
                           b, loc, value.getType(), argument,
                           /*restrict=*/true, /*writable=*/false));
  BlockArgument result = body->getArguments().back();
  for (Operation *op : copied)
    b.clone(*op, mapping);
  if (fill)
    b.clone(*fill.getOperation(), mapping);
  else
    mapping.map(init, bufferization::ToTensorOp::create(b, loc, resultType, result,
                                                         /*restrict=*/true,
                                                         /*writable=*/true));
  Operation *clone = b.clone(*product, mapping);
  clone->removeAttr(mlir::loom::kTilingAttr);
  clone->removeAttr(mlir::loom::kFusionGroupAttr);
  if (tiling)
    loomc::codegen::setChosenTiling(clone, *tiling);
  bufferization::MaterializeInDestinationOp::create(b, loc, TypeRange{}, clone->getResult(0),
                                                    result, /*restrict=*/true,
                                                    /*writable=*/true);
  func::ReturnOp::create(b, loc);
  return success();
}

// The loop nest the tiling pass plans for `product`: that of the part of
// whole thread blocks when the pass splits it (a vocabulary's 50257
// columns: the first 50176).
static LoopNest wholeBlockNest(linalg::LinalgOp product, int64_t vectorWidth) {
  LoopNest nest = loomc::codegen::loopNestOf(product, vectorWidth);
  auto [rows, columns] = loomc::codegen::wholeBlocksOf(nest);
  nest.chosen.reset();
  const int64_t blocks[] = {rows, columns};
  for (unsigned d = 0; d < 2; ++d) {
    int64_t range = nest.ranges[d];
    if (range > blocks[d] && range % blocks[d] != 0) {
      nest.ranges[d] = range - range % blocks[d];
      nest.productRanges[d] = nest.ranges[d];
    }
  }
  return nest;
}

// Values in the operands' range, the same every run; bf16 as the upper
// half of the f32's bits.
static void fillArgument(void *data, int64_t bytes, Type element) {
  auto value = [](int64_t i) { return float((i * 7919) % 23 - 11) * 0.01f; };
  if (element.isF32()) {
    auto *floats = static_cast<float *>(data);
    for (int64_t i = 0; i < bytes / 4; ++i)
      floats[i] = value(i);
  } else if (element.isF64()) {
    auto *doubles = static_cast<double *>(data);
    for (int64_t i = 0; i < bytes / 8; ++i)
      doubles[i] = value(i);
  } else if (element.isBF16()) {
    auto *halves = static_cast<uint16_t *>(data);
    for (int64_t i = 0; i < bytes / 2; ++i) {
      float f = value(i);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      halves[i] = uint16_t(bits >> 16);
    }
  } else {
    std::memset(data, 0, bytes);
  }
}

static void callKernel(void *function, llvm::ArrayRef<void *> args) {
  switch (args.size()) {
  case 1: return reinterpret_cast<void (*)(void *)>(function)(args[0]);
  case 2: return reinterpret_cast<void (*)(void *, void *)>(function)(args[0], args[1]);
  case 3:
    return reinterpret_cast<void (*)(void *, void *, void *)>(function)(args[0], args[1],
                                                                       args[2]);
  case 4:
    return reinterpret_cast<void (*)(void *, void *, void *, void *)>(function)(
        args[0], args[1], args[2], args[3]);
  case 5:
    return reinterpret_cast<void (*)(void *, void *, void *, void *, void *)>(function)(
        args[0], args[1], args[2], args[3], args[4]);
  default:
    break;
  }
}

static std::string describe(const ProductTiling &t) {
  return llvm::formatv("blocks {0}x{1}, tiles {2}x{3}, k {4}", t.blockRows, t.blockColumns,
                       t.registerRows, t.registerColumns,
                       t.reductionBlock ? std::to_string(t.reductionBlock) : "whole")
      .str();
}

LogicalResult loomc::tuneProducts(ModuleOp module, const TunerSetup &setup,
                                  codegen::TuningTable &table, llvm::raw_ostream &log) {
  auto start = std::chrono::steady_clock::now();
  int64_t lanes = setup.target.vectorWidth;
  // One product of each shape, with its candidates.
  std::vector<Shape> shapes;
  std::map<std::string, Operation *> firstOfShape;
  codegen::forEachTunableProduct(module, [&](Operation *product) {
    std::optional<std::string> key = codegen::productKey(product);
    if (key && !firstOfShape.count(*key))
      firstOfShape[*key] = product;
  });
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
  for (auto &[key, product] : firstOfShape) {
    auto linalgProduct = cast<linalg::LinalgOp>(product);
    LoopNest nest = wholeBlockNest(linalgProduct, lanes);
    // AMX tiles have the hardware's shape; there is nothing to choose.
    if (nest.pairedReduction && setup.target.amxTiles)
      continue;
    Shape shape;
    shape.key = key;
    SmallVector<int64_t> mnk = nest.productRanges;
    shape.flops = 2.0 * double(linalgProduct.getStaticLoopRanges()[0]) *
                  double(linalgProduct.getStaticLoopRanges()[1]) * double(mnk[2]);
    std::vector<ProductTiling> candidates = candidateTilings(nest, setup.target);
    bool built = true;
    for (auto [index, tiling] : llvm::enumerate(candidates)) {
      std::string symbol = llvm::formatv("loom_tune_{0}_{1}", shapes.size(), index);
      // The first candidate is the rules' plan: built without a tiling.
      std::optional<ProductTiling> chosen;
      if (index > 0)
        chosen = tiling;
      if (failed(buildKernel(*kernels, product, symbol, chosen, shape.arguments))) {
        built = false;
        break;
      }
      shape.kernels.push_back({symbol, tiling});
    }
    if (built)
      shapes.push_back(std::move(shape));
  }
  if (shapes.empty()) {
    log << "loomc: tune: the model has no matrix product to tune\n";
    return success();
  }
  size_t kernelCount = 0;
  for (const Shape &shape : shapes)
    kernelCount += shape.kernels.size();
  log << "loomc: tune: " << shapes.size() << " product shapes, " << kernelCount
      << " candidate kernels\n";

  // One shared library of every kernel.
  if (failed(setup.lowerToLLVM(*kernels)))
    return module.emitError("--tune: the candidate kernels did not compile");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateKernelsToLLVMIR(*kernels, llvmContext, *setup.targetMachine);
  if (!llvmModule)
    return failure();
  unsigned parts = kCodegenParts;
  std::vector<std::string> objectPaths;
  std::vector<std::unique_ptr<llvm::FileRemover>> removers;
  auto temporary = [&](llvm::StringRef suffix) -> FailureOr<std::string> {
    llvm::SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("loom-tune", suffix, path)) {
      module.emitError("--tune: cannot create a temporary file: ") << ec.message();
      return failure();
    }
    removers.push_back(std::make_unique<llvm::FileRemover>(path));
    return std::string(path);
  };
  for (unsigned i = 0; i < parts; ++i) {
    FailureOr<std::string> path = temporary("o");
    if (failed(path))
      return failure();
    objectPaths.push_back(*path);
  }
  FailureOr<std::vector<std::string>> objects =
      compileInParallel(std::move(llvmModule), objectPaths, setup.targetSpec);
  if (failed(objects))
    return failure();
  FailureOr<std::string> libraryPath = temporary("so");
  if (failed(libraryPath) || failed(linkSharedLibrary(*objects, *libraryPath)))
    return failure();
  void *library = dlopen(libraryPath->c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return module.emitError("--tune: cannot load the candidate kernels: ") << dlerror();
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Each shape's kernels side by side, in rounds of one call each, the
  // fastest call of each counting. After each round a candidate more than
  // kHopeless times slower than the fastest so far drops out (1.5x after
  // the first, cold, round): no later round would bring it within 2 %, and
  // the rounds that decide are spent on the few that are close. A shape
  // stops after kMinRounds once its share of time is spent or only the
  // rules' plan and one other remain.
  using Clock = std::chrono::steady_clock;
  constexpr double kSecondsPerShape = 0.4, kHopelessCold = 1.5, kHopeless = 1.10;
  constexpr int kMinRounds = 4, kMaxRounds = 30;
  for (Shape &shape : shapes) {
    std::vector<void *> functions;
    for (const Kernel &kernel : shape.kernels) {
      void *function = dlsym(library, kernel.symbol.c_str());
      if (!function)
        return module.emitError("--tune: the library lacks ") << kernel.symbol;
      functions.push_back(function);
    }
    const Arguments &arguments = shape.arguments;
    if (arguments.bytes.size() > 5)
      return module.emitError("--tune: a kernel of ")
             << shape.key << " takes " << arguments.bytes.size() << " operands";
    std::vector<void *> buffers;
    for (auto [bytes, element] : llvm::zip(arguments.bytes, arguments.elements)) {
      void *buffer = std::aligned_alloc(64, llvm::alignTo(std::max<int64_t>(bytes, 64), 64));
      if (!buffer) {
        for (void *allocated : buffers)
          std::free(allocated);
        return module.emitError("--tune: out of memory for the operands of ") << shape.key;
      }
      fillArgument(buffer, bytes, element);
      buffers.push_back(buffer);
    }
    auto shapeStart = Clock::now();
    // The rules' plan (first) always stays: it is what the others must beat.
    std::vector<size_t> running(shape.kernels.size());
    std::iota(running.begin(), running.end(), 0);
    for (int round = 0; round < kMaxRounds; ++round) {
      for (size_t i : running) {
        auto callStart = Clock::now();
        callKernel(functions[i], buffers);
        shape.kernels[i].seconds =
            std::min(shape.kernels[i].seconds,
                     std::chrono::duration<double>(Clock::now() - callStart).count());
      }
      double fastest = shape.kernels[running.front()].seconds;
      for (size_t i : running)
        fastest = std::min(fastest, shape.kernels[i].seconds);
      double limit = (round == 0 ? kHopelessCold : kHopeless) * fastest;
      llvm::erase_if(running,
                     [&](size_t i) { return i != 0 && shape.kernels[i].seconds > limit; });
      double spent = std::chrono::duration<double>(Clock::now() - shapeStart).count();
      if (round + 1 >= kMinRounds && (spent >= kSecondsPerShape || running.size() <= 2))
        break;
    }
    for (void *buffer : buffers)
      std::free(buffer);

    // The fastest; the rules' plan unless another is at least 2 % faster
    // (closer is noise on a shared machine).
    const Kernel &rules = shape.kernels.front();
    const Kernel *best = &rules;
    for (const Kernel &kernel : shape.kernels)
      if (kernel.seconds < best->seconds)
        best = &kernel;
    if (best->seconds > rules.seconds / 1.02)
      best = &rules;
    codegen::TunedProduct tuned;
    tuned.tiling = best->tiling;
    tuned.gflops = shape.flops / best->seconds * 1e-9;
    tuned.defaultGflops = shape.flops / rules.seconds * 1e-9;
    table.products[shape.key] = tuned;
    log << llvm::formatv("loomc: tune: {0,-28} {1,2} candidates: {2} at {3:f1} GFLOP/s, "
                         "{4:f2}x the rules' ({5})\n",
                         shape.key, shape.kernels.size(),
                         best == &rules ? std::string("the rules'") : describe(tuned.tiling),
                         tuned.gflops, tuned.gflops / tuned.defaultGflops,
                         describe(rules.tiling));
  }
  double total = std::chrono::duration<double>(Clock::now() - start).count();
  log << llvm::formatv("loomc: tune: {0:f1} s ({1:f1} s compiling the candidates, "
                       "{2:f1} s timing them)\n",
                       total, compileSeconds, total - compileSeconds);
  return success();
}
