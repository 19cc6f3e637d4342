//===- TuningTable.cpp - Tilings measured per product shape ---------------===//

#include "compiler/codegen/TuningTable.h"
#include "compiler/codegen/HostCpu.h"
#include "compiler/codegen/LinalgBuilder.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"
#include <cstdlib>

using namespace mlir;
using namespace loomc::codegen;

// The op a value comes from, looking through reshapes and slices (a
// paired product reads its left operand as pairs; a split one a slice).
static Operation *producerThroughViews(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ExtractSliceOp>(op)) {
      value = op->getOperand(0);
      continue;
    }
    return op;
  }
  return nullptr;
}

// Whether a product reads its left operand transposed: through its map
// (Aᵀ·B) or as a transposed copy (a bf16 product's rounded left operand).
static bool readsLhsTransposed(linalg::LinalgOp product) {
  if (isa<linalg::MatmulOp>(product)) {
    AffineMap lhs = product.getIndexingMapsArray()[0];
    if (lhs.getNumResults() == 2 && lhs.getDimPosition(0) == 2)
      return true;
  }
  return isa_and_nonnull<linalg::TransposeOp>(
      producerThroughViews(product.getDpsInputs()[0]));
}

// Whether its right operand is a packed transposed copy (A·Bᵀ): a
// transpose, a rounding copy read through a permutation, or a copy into
// pairs read by column first.
static bool readsRhsTransposed(linalg::LinalgOp product) {
  Operation *pack = producerThroughViews(product.getDpsInputs()[1]);
  if (!pack || !pack->hasAttr(mlir::loom::kPackAttr))
    return false;
  if (isa<linalg::TransposeOp>(pack))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(pack);
  if (!generic || generic.getNumDpsInputs() != 1)
    return false;
  AffineMap read = generic.getIndexingMapsArray()[0];
  if (read.getNumResults() == 3)
    return read.getResult(0) == getAffineDimExpr(1, pack->getContext());
  return !read.isIdentity();
}

std::optional<std::string> loomc::codegen::productKey(Operation *op) {
  auto product = dyn_cast<linalg::LinalgOp>(op);
  if (!product || !LinalgBuilder::isProduct(op))
    return std::nullopt;
  SmallVector<int64_t> ranges = product.getStaticLoopRanges();
  if (ranges.size() < 3 || llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t k = LinalgBuilder::isPairedProduct(op) ? 2 * ranges[2] : ranges[2];
  std::string element;
  llvm::raw_string_ostream os(element);
  getElementTypeOrSelf(product.getDpsInputs()[0].getType()).print(os);
  return llvm::formatv("{0} {1}x{2}x{3} {4}.{5}", element, ranges[0], ranges[1], k,
                       readsLhsTransposed(product) ? "A^T" : "A",
                       readsRhsTransposed(product) ? "B^T" : "B")
      .str();
}

void loomc::codegen::forEachTunableProduct(Operation *module,
                                           llvm::function_ref<void(Operation *)> fn) {
  module->walk([&](func::FuncOp function) {
    if (function.isExternal())
      return;
    for (Operation &op : function.getBody().front())
      if (LinalgBuilder::isProduct(&op))
        fn(&op);
  });
}

void loomc::codegen::setChosenTiling(Operation *product, const ProductTiling &tiling) {
  product->setAttr(mlir::loom::kTilingAttr,
                   DenseI64ArrayAttr::get(product->getContext(), tiling.sizes()));
}

static constexpr llvm::StringLiteral kFormat = "loom-tuning-1";

bool loomc::codegen::readTuningTable(llvm::StringRef path, TuningTable &table,
                                     std::string &error) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file) {
    error = (path + ": " + file.getError().message()).str();
    return false;
  }
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse((*file)->getBuffer());
  if (!parsed) {
    error = (path + ": not JSON: " + llvm::toString(parsed.takeError())).str();
    return false;
  }
  auto fail = [&](const llvm::Twine &why) {
    error = (path + ": " + why).str();
    return false;
  };
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return fail("expected an object");
  std::optional<llvm::StringRef> format = root->getString("format");
  if (!format || *format != kFormat)
    return fail("\"format\" must be \"" + kFormat + "\"");
  table.cpu = root->getString("cpu").value_or("").str();
  table.features = root->getString("features").value_or("").str();
  const llvm::json::Object *products = root->getObject("products");
  if (!products)
    return fail("expected \"products\", an object of product shapes");
  for (const auto &[key, value] : *products) {
    const llvm::json::Object *entry = value.getAsObject();
    const llvm::json::Array *sizes = entry ? entry->getArray("tiling") : nullptr;
    if (!sizes)
      return fail("product \"" + key.str() + "\": expected {\"tiling\": [5 sizes], ...}");
    SmallVector<int64_t> values;
    for (const llvm::json::Value &size : *sizes) {
      std::optional<int64_t> number = size.getAsInteger();
      if (!number)
        return fail("product \"" + key.str() + "\": a tiling's sizes are integers");
      values.push_back(*number);
    }
    TunedProduct tuned;
    std::string why = parseTiling(values, /*vectorWidth=*/0, tuned.tiling);
    if (!why.empty())
      return fail("product \"" + key.str() + "\": " + why);
    tuned.gflops = entry->getNumber("gflops").value_or(0);
    tuned.defaultGflops = entry->getNumber("default_gflops").value_or(0);
    table.products[key.str()] = tuned;
  }
  return true;
}

bool loomc::codegen::writeTuningTable(llvm::StringRef path, const TuningTable &table,
                                      std::string &error) {
  llvm::json::Object products;
  for (const auto &[key, tuned] : table.products) {
    std::array<int64_t, 5> sizes = tuned.tiling.sizes();
    products[key] = llvm::json::Object{
        {"tiling", llvm::json::Array(llvm::ArrayRef<int64_t>(sizes))},
        {"gflops", std::round(tuned.gflops * 10) / 10},
        {"default_gflops", std::round(tuned.defaultGflops * 10) / 10}};
  }
  llvm::json::Object root{{"format", kFormat},
                          {"cpu", table.cpu},
                          {"features", table.features},
                          {"tiling_order", llvm::json::Array{"block rows", "block columns",
                                                             "register rows",
                                                             "register columns",
                                                             "reduction block"}},
                          {"products", std::move(products)}};
  llvm::StringRef directory = llvm::sys::path::parent_path(path);
  if (!directory.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(directory)) {
      error = (directory + ": " + ec.message()).str();
      return false;
    }
  std::string temporary = (path + ".tmp").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(temporary, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      error = temporary + ": " + ec.message();
      return false;
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    os.close();
    if (os.has_error()) {
      error = temporary + ": " + os.error().message();
      llvm::sys::fs::remove(temporary);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    error = (path + ": " + ec.message()).str();
    llvm::sys::fs::remove(temporary);
    return false;
  }
  return true;
}

std::string loomc::codegen::hostTuningKey(std::string &cpu, std::string &features) {
  CpuIdentity identity = identifyHostCpu();
  cpu = llvm::formatv("{0} (family {1}, model {2}, stepping {3})",
                      identity.name.empty() ? "unnamed CPU" : identity.name,
                      identity.family, identity.model, identity.stepping)
            .str();
  SmallVector<std::string> enabled;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    if (feature.second)
      enabled.push_back("+" + feature.first().str());
  llvm::sort(enabled);
  features = llvm::join(enabled, ",");
  std::string name;
  for (char c : identity.name)
    name += llvm::isAlnum(c) ? c : '-';
  return llvm::formatv("{0}-{1}-{2}-{3}-{4:x-16}", name.empty() ? "cpu" : name,
                       identity.family, identity.model, identity.stepping,
                       llvm::xxh3_64bits(features))
      .str();
}

std::string loomc::codegen::defaultTuningPath() {
  llvm::SmallString<256> path;
  if (const char *cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
    path = cache;
  else if (const char *home = std::getenv("HOME"); home && *home)
    llvm::sys::path::append(path, home, ".cache");
  else
    return "";
  std::string cpu, features;
  llvm::sys::path::append(path, "loom", "tuning", hostTuningKey(cpu, features) + ".json");
  return std::string(path);
}
