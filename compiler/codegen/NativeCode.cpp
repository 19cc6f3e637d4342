//===- NativeCode.cpp - From the llvm dialect to an object file -----------===//

#include "compiler/codegen/NativeCode.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "loom/runtime/cpu_features.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

std::unique_ptr<TargetMachine> loomc::createTargetMachine(const TargetSpec &spec) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  std::string tripleName = sys::getDefaultTargetTriple();
  Triple triple(tripleName);
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    WithColor::error(errs(), "loomc") << "no LLVM target for " << tripleName
                                      << ": " << error << "\n";
    return nullptr;
  }
  bool host = spec.cpu.empty();
  std::string cpu = host ? sys::getHostCPUName().str() : spec.cpu;
  SubtargetFeatures features;
  if (host)
    for (const auto &feature : sys::getHostCPUFeatures())
      features.AddFeature(feature.getKey(), feature.getValue());
  // The names the target knows, to refuse a misspelt one rather than let
  // LLVM warn and ignore it.
  std::unique_ptr<MCSubtargetInfo> known(
      target->createMCSubtargetInfo(triple, "generic", ""));
  if (!host && !known->isCPUStringValid(cpu)) {
    WithColor::error(errs(), "loomc")
        << "--target-cpu=" << cpu << ": not a CPU LLVM knows for " << tripleName
        << " (e.g. znver4, sapphirerapids, x86-64-v3)\n";
    return nullptr;
  }
  for (StringRef item : split(spec.features, ',')) {
    item = item.trim();
    if (item.empty())
      continue;
    StringRef name = item.drop_front();
    bool named = llvm::any_of(known->getAllProcessorFeatures(),
                              [&](const SubtargetFeatureKV &kv) {
                                return name == kv.Key;
                              });
    if ((!item.starts_with("+") && !item.starts_with("-")) || !named) {
      WithColor::error(errs(), "loomc")
          << "--target-features: '" << item
          << "' is not +FEATURE or -FEATURE of a feature LLVM knows (e.g. "
             "+avx512bf16, -avx512f)\n";
      return nullptr;
    }
    features.AddFeature(item);
  }
  TargetOptions options;
  return std::unique_ptr<TargetMachine>(target->createTargetMachine(
      triple, cpu, features.getString(), options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
}

// Whether `target` has feature `name` (LLVM's spelling).
static bool hasFeature(const TargetMachine &target, StringRef name) {
  return target.getMCSubtargetInfo()->checkFeatures(("+" + name).str());
}

int64_t loomc::vectorWidth(const TargetMachine &target) {
  return hasFeature(target, "avx512f") ? 16 : 8;
}

bool loomc::hasAmxTiles(const TargetMachine &target) {
  return hasFeature(target, "amx-tile") && hasFeature(target, "amx-bf16");
}

std::string loomc::bf16ProductsUnavailable(const TargetMachine &target,
                                           bool amxTiles) {
  std::string cpu = target.getTargetCPU().str();
  for (StringRef needed : {"avx512bf16", "avx512bw", "avx512vl"})
    if (!hasFeature(target, needed))
      return ("the target CPU (" + cpu + ") lacks " + needed +
              ", which bf16 products need (vdpbf16ps, its operand shuffles "
              "and conversions)")
          .str();
  if (hasAmxTiles(target))
    return amxTiles
               ? ""
               : "the target CPU (" + cpu +
                     ") has AMX; Loom's AMX tile code is built and checked in "
                     "IR but has never run on an AMX CPU, so it is used only "
                     "when --amx-tiles asks for it (its vdpbf16ps alone runs at "
                     "half the f32 FMA rate there)";
  // Measured: Zen 4 issues one 512-bit vdpbf16ps per cycle per core, as
  // many as f32 FMAs and twice their work (loom-bench's bf16 peak).
  if (!StringRef(cpu).starts_with("znver"))
    return "the target CPU (" + cpu +
           ") has AVX512-BF16, but its vdpbf16ps rate against f32 FMAs is "
           "measured only on AMD Zen 4 (2x) and Intel with AMX (0.5x), not on "
           "this CPU, so Loom does not use it there";
  return "";
}

std::vector<std::string> loomc::requiredCpuFeatures(const TargetMachine &target) {
  std::vector<std::string> required;
#define LOOM_REQUIRE_FEATURE(name, leaf, subleaf, reg, bit, state)             \
  if (hasFeature(target, name))                                                \
    required.push_back(name);
  LOOM_CPU_FEATURES(LOOM_REQUIRE_FEATURE)
#undef LOOM_REQUIRE_FEATURE
  return required;
}

namespace {

// Builds the globals and wrappers of abi.h in an LLVM module.
class EntryPointBuilder {
public:
  EntryPointBuilder(Module &module, const loomc::ModelDescription &description,
                    std::vector<std::string> profiledOps,
                    std::vector<double> profiledCosts,
                    std::vector<std::string> cpuFeatures)
      : module(module), context(module.getContext()), description(description),
        profiledOps(std::move(profiledOps)), profiledCosts(std::move(profiledCosts)),
        cpuFeatures(std::move(cpuFeatures)),
        i32(Type::getInt32Ty(context)), i64(Type::getInt64Ty(context)),
        f32(Type::getFloatTy(context)), f64(Type::getDoubleTy(context)),
        ptr(PointerType::getUnqual(context)) {}

  LogicalResult build();

private:
  Constant *string(StringRef text, const Twine &name);
  Constant *tensorTable();
  Constant *optimizerTable();
  Constant *stringArray(ArrayRef<std::string> texts, const Twine &name);
  // The runtime's arguments an entry function may take besides buffers.
  struct RuntimeArgs {
    Value *buffers = nullptr, *hyper = nullptr, *gradScale = nullptr,
          *step = nullptr, *ranges = nullptr, *tokens = nullptr,
          *position = nullptr, *logits = nullptr;
  };
  Value *callEntry(IRBuilder<> &b, const loomc::EntryFunction &entry,
                   const RuntimeArgs &runtime);
  LogicalResult inferenceWrapper(StringRef name, const loomc::EntryFunction &entry);
  Constant *inferenceInfo();
  LogicalResult lossWrapper(StringRef name, const loomc::EntryFunction &entry);
  Value *rangesOrWhole(IRBuilder<> &b, Value *ranges);
  LogicalResult gradNormWrapper();
  LogicalResult updateWrapper();
  Constant *gradientReadyOrder();
  Constant *profiledCostArray(unsigned which, const Twine &name);
  void allocationFunctions();

  Module &module;
  LLVMContext &context;
  const loomc::ModelDescription &description;
  std::vector<std::string> profiledOps;
  // Flops and bytes of each profiled op, interleaved (kProfiledCostsAttr).
  std::vector<double> profiledCosts;
  std::vector<std::string> cpuFeatures;
  IntegerType *i32, *i64;
  Type *f32, *f64;
  PointerType *ptr;
};

} // namespace

Constant *EntryPointBuilder::string(StringRef text, const Twine &name) {
  Constant *data = ConstantDataArray::getString(context, text);
  auto *global = new GlobalVariable(module, data->getType(), /*isConstant=*/true,
                                    GlobalValue::PrivateLinkage, data, name);
  global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  return global;
}

// loom_tensor_info[]: {name, role, dtype, rank, init_kind, shape, a, b,
// index_bound, optimizer}
Constant *EntryPointBuilder::tensorTable() {
  StructType *infoType = StructType::get(
      context, {ptr, i32, i32, i32, i32, ptr, f64, f64, i64, i32});
  std::vector<Constant *> entries;
  for (auto [index, tensor] : llvm::enumerate(description.tensors)) {
    std::vector<Constant *> dims;
    for (int64_t dim : tensor.shape)
      dims.push_back(ConstantInt::get(i64, dim));
    ArrayType *shapeType = ArrayType::get(i64, dims.size());
    auto *shape = new GlobalVariable(
        module, shapeType, true, GlobalValue::PrivateLinkage,
        ConstantArray::get(shapeType, dims), "loom.shape." + Twine(index));
    entries.push_back(ConstantStruct::get(
        infoType,
        {string(tensor.name, "loom.name." + Twine(index)),
         ConstantInt::get(i32, tensor.role), ConstantInt::get(i32, tensor.dtype),
         ConstantInt::get(i32, tensor.shape.size()),
         ConstantInt::get(i32, tensor.init), shape,
         ConstantFP::get(f64, tensor.initA), ConstantFP::get(f64, tensor.initB),
         ConstantInt::get(i64, tensor.indexBound),
         ConstantInt::get(i32, tensor.optimizer)}));
  }
  ArrayType *tableType = ArrayType::get(infoType, entries.size());
  return new GlobalVariable(module, tableType, true, GlobalValue::PrivateLinkage,
                            ConstantArray::get(tableType, entries),
                            "loom.tensors");
}

// loom_optimizer_info[]: {name, num_hyper, hyper_names}
Constant *EntryPointBuilder::optimizerTable() {
  StructType *infoType = StructType::get(context, {ptr, i32, ptr});
  std::vector<Constant *> entries;
  for (auto [index, optimizer] : llvm::enumerate(description.optimizers)) {
    std::vector<Constant *> names;
    for (auto [h, name] : llvm::enumerate(optimizer.hyperNames))
      names.push_back(string(name, "loom.hyper." + Twine(index) + "." + Twine(h)));
    ArrayType *namesType = ArrayType::get(ptr, names.size());
    auto *namesGlobal = new GlobalVariable(
        module, namesType, true, GlobalValue::PrivateLinkage,
        ConstantArray::get(namesType, names), "loom.hyper_names." + Twine(index));
    entries.push_back(ConstantStruct::get(
        infoType, {string(optimizer.name, "loom.optimizer." + Twine(index)),
                   ConstantInt::get(i32, optimizer.hyperNames.size()), namesGlobal}));
  }
  ArrayType *tableType = ArrayType::get(infoType, entries.size());
  return new GlobalVariable(module, tableType, true, GlobalValue::PrivateLinkage,
                            ConstantArray::get(tableType, entries),
                            "loom.optimizers");
}

// Calls the compiled function of `entry` with its arguments gathered from
// the runtime's: buffers from the table (or the table itself, for a loop
// over the layers), hyperparameters from `hyper`.
// Compiled functions take one bare pointer per buffer.
Value *EntryPointBuilder::callEntry(IRBuilder<> &b, const loomc::EntryFunction &entry,
                                    const RuntimeArgs &runtime) {
  Function *callee = module.getFunction(entry.symbol);
  callee->setLinkage(GlobalValue::InternalLinkage);
  std::vector<Value *> args;
  for (const loomc::EntryArgument &arg : entry.args) {
    switch (arg.kind) {
    case loomc::EntryArgument::Kind::buffer:
      args.push_back(b.CreateLoad(
          ptr, b.CreateConstInBoundsGEP1_64(ptr, runtime.buffers, arg.index)));
      break;
    case loomc::EntryArgument::Kind::hyper:
      args.push_back(b.CreateLoad(
          f32, b.CreateConstInBoundsGEP1_64(f32, runtime.hyper, arg.index)));
      break;
    case loomc::EntryArgument::Kind::gradScale:
      args.push_back(runtime.gradScale);
      break;
    case loomc::EntryArgument::Kind::step:
      args.push_back(runtime.step);
      break;
    case loomc::EntryArgument::Kind::ranges:
      args.push_back(runtime.ranges);
      break;
    case loomc::EntryArgument::Kind::tokens:
      args.push_back(runtime.tokens);
      break;
    case loomc::EntryArgument::Kind::position:
      args.push_back(runtime.position);
      break;
    case loomc::EntryArgument::Kind::logits:
      args.push_back(runtime.logits);
      break;
    case loomc::EntryArgument::Kind::table:
      args.push_back(runtime.buffers);
      break;
    }
  }
  return b.CreateCall(callee, args);
}

// void NAME(void *const *buffers, const i32 *tokens, i64 position,
// float *logits): loom_prefill and loom_decode. Without inference entry
// points it traps: the runtime checks loom_model.inference.available first.
LogicalResult EntryPointBuilder::inferenceWrapper(StringRef name,
                                                  const loomc::EntryFunction &entry) {
  auto *wrapper = Function::Create(
      FunctionType::get(Type::getVoidTy(context), {ptr, ptr, i64, ptr}, false),
      GlobalValue::ExternalLinkage, name, module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  if (!description.inference.available) {
    b.CreateCall(Intrinsic::getOrInsertDeclaration(&module, Intrinsic::trap));
    b.CreateUnreachable();
    return success();
  }
  Function *callee = module.getFunction(entry.symbol);
  if (!callee || callee->arg_size() != entry.args.size())
    return failure();
  RuntimeArgs runtime;
  runtime.buffers = wrapper->getArg(0);
  runtime.tokens = wrapper->getArg(1);
  runtime.position = wrapper->getArg(2);
  runtime.logits = wrapper->getArg(3);
  callEntry(b, entry, runtime);
  b.CreateRetVoid();
  return success();
}

// loom_inference_info: {available, unavailable, batch, context,
// prefill_length, vocab, decode_flops}
Constant *EntryPointBuilder::inferenceInfo() {
  const loomc::InferenceDescription &inference = description.inference;
  StructType *type = StructType::get(context, {i32, ptr, i64, i64, i64, i64, f64});
  Constant *reason = inference.available
                         ? ConstantPointerNull::get(ptr)
                         : string(inference.unavailable, "loom.no_inference");
  return ConstantStruct::get(
      type, {ConstantInt::get(i32, inference.available ? 1 : 0), reason,
             ConstantInt::get(i64, inference.batch),
             ConstantInt::get(i64, inference.context),
             ConstantInt::get(i64, inference.prefillLength),
             ConstantInt::get(i64, inference.vocab),
             ConstantFP::get(f64, inference.decodeFlops)});
}

// float NAME(void *const *buffers)
LogicalResult EntryPointBuilder::lossWrapper(StringRef name,
                                             const loomc::EntryFunction &entry) {
  Function *callee = module.getFunction(entry.symbol);
  if (!callee || callee->arg_size() != entry.args.size())
    return failure();
  // The loss as double (abi.h): f32 losses widened exactly, an fp64
  // build's whole.
  auto *wrapper = Function::Create(FunctionType::get(f64, {ptr}, false),
                                   GlobalValue::ExternalLinkage, name, module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  RuntimeArgs runtime;
  runtime.buffers = wrapper->getArg(0);
  Value *loss = callEntry(b, entry, runtime);
  b.CreateRet(loss->getType() == f64 ? loss : b.CreateFPExt(loss, f64));
  return success();
}

// The runtime's element ranges, or, when it passes NULL, a constant table
// of every parameter's whole range: {0, numel} per parameter.
Value *EntryPointBuilder::rangesOrWhole(IRBuilder<> &b, Value *ranges) {
  std::vector<int64_t> whole;
  for (const loomc::TensorDescription &tensor : description.tensors) {
    if (tensor.role != LOOM_ROLE_PARAM)
      continue;
    int64_t elements = 1;
    for (int64_t dim : tensor.shape)
      elements *= dim;
    whole.insert(whole.end(), {0, elements});
  }
  if (whole.empty())
    whole = {0, 0};
  GlobalVariable *table = module.getGlobalVariable("loom.whole_ranges", true);
  if (!table)
    table = new GlobalVariable(
        module, ArrayType::get(i64, whole.size()), true,
        GlobalValue::PrivateLinkage,
        ConstantDataArray::get(context, ArrayRef<int64_t>(whole)),
        "loom.whole_ranges");
  return b.CreateSelect(b.CreateIsNull(ranges), table, ranges);
}

// float loom_grad_norm(void *const *buffers, const i64 *ranges)
LogicalResult EntryPointBuilder::gradNormWrapper() {
  const loomc::EntryFunction &entry = description.gradNorm;
  Function *callee = module.getFunction(entry.symbol);
  if (!callee || callee->arg_size() != entry.args.size())
    return failure();
  auto *wrapper = Function::Create(FunctionType::get(f32, {ptr, ptr}, false),
                                   GlobalValue::ExternalLinkage,
                                   "loom_grad_norm", module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  RuntimeArgs runtime;
  runtime.buffers = wrapper->getArg(0);
  runtime.ranges = rangesOrWhole(b, wrapper->getArg(1));
  b.CreateRet(callEntry(b, entry, runtime));
  return success();
}

// void loom_update(i32 optimizer, void *const *buffers, const float *hyper,
//                  float grad_scale, i64 step, const i64 *ranges): a switch
// over the optimizers.
LogicalResult EntryPointBuilder::updateWrapper() {
  auto *wrapper = Function::Create(
      FunctionType::get(Type::getVoidTy(context), {i32, ptr, ptr, f32, i64, ptr},
                        false),
      GlobalValue::ExternalLinkage, "loom_update", module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  Value *ranges = rangesOrWhole(b, wrapper->getArg(5));
  BasicBlock *done = BasicBlock::Create(context, "done", wrapper);
  SwitchInst *dispatch = b.CreateSwitch(wrapper->getArg(0), done);
  for (auto [index, optimizer] : llvm::enumerate(description.optimizers)) {
    Function *callee = module.getFunction(optimizer.update.symbol);
    if (!callee || callee->arg_size() != optimizer.update.args.size())
      return failure();
    BasicBlock *block = BasicBlock::Create(context, optimizer.name, wrapper);
    dispatch->addCase(ConstantInt::get(i32, index), block);
    IRBuilder<> cb(block);
    RuntimeArgs runtime;
    runtime.buffers = wrapper->getArg(1);
    runtime.hyper = wrapper->getArg(2);
    runtime.gradScale = wrapper->getArg(3);
    runtime.step = wrapper->getArg(4);
    runtime.ranges = ranges;
    callEntry(cb, optimizer.update, runtime);
    cb.CreateBr(done);
  }
  IRBuilder<>(done).CreateRetVoid();
  return success();
}

// const i32[]: loom_model_info.gradient_ready_order.
Constant *EntryPointBuilder::gradientReadyOrder() {
  std::vector<int32_t> order(description.gradientReadyOrder);
  if (order.empty())
    return ConstantPointerNull::get(ptr);
  return new GlobalVariable(
      module, ArrayType::get(i32, order.size()), true, GlobalValue::PrivateLinkage,
      ConstantDataArray::get(context, ArrayRef<int32_t>(order)),
      "loom.gradient_ready_order");
}

// double[] of the profiled ops' flops (`which` 0) or bytes (1), or null
// without profiled ops.
Constant *EntryPointBuilder::profiledCostArray(unsigned which, const Twine &name) {
  if (profiledOps.empty() || profiledCosts.size() != 2 * profiledOps.size())
    return ConstantPointerNull::get(ptr);
  std::vector<double> values;
  for (size_t op = 0; op < profiledOps.size(); ++op)
    values.push_back(profiledCosts[2 * op + which]);
  return new GlobalVariable(module, ArrayType::get(f64, values.size()), true,
                            GlobalValue::PrivateLinkage,
                            ConstantDataArray::get(context, ArrayRef<double>(values)),
                            name);
}

// const char *[] of `texts`, the global named `name` (its strings
// `name.0`, ...), or null when there are none.
Constant *EntryPointBuilder::stringArray(ArrayRef<std::string> texts,
                                         const Twine &name) {
  if (texts.empty())
    return ConstantPointerNull::get(ptr);
  std::vector<Constant *> strings;
  for (auto [index, text] : llvm::enumerate(texts))
    strings.push_back(string(text, name + "." + Twine(index)));
  ArrayType *type = ArrayType::get(ptr, strings.size());
  return new GlobalVariable(module, type, true, GlobalValue::PrivateLinkage,
                            ConstantArray::get(type, strings), name);
}

// The compiled functions allocate their intermediate tensors through
// _mlir_memref_to_llvm_alloc/free (finalize-memref-to-llvm with generic
// functions): malloc and free, except that out of memory `outOfMemory` is
// called -- with the size, if it takes one -- instead of a null pointer
// being written through.
static void defineAllocationFunctions(Module &module, FunctionCallee outOfMemory) {
  LLVMContext &context = module.getContext();
  Type *ptr = PointerType::getUnqual(context);
  Type *i64 = Type::getInt64Ty(context);
  FunctionCallee mallocFn =
      module.getOrInsertFunction("malloc", FunctionType::get(ptr, {i64}, false));
  FunctionCallee freeFn = module.getOrInsertFunction(
      "free", FunctionType::get(Type::getVoidTy(context), {ptr}, false));
  auto getOrDefine = [&](StringRef name, FunctionType *type) {
    Function *function = module.getFunction(name);
    if (!function)
      function = Function::Create(type, GlobalValue::InternalLinkage, name, module);
    function->setLinkage(GlobalValue::InternalLinkage);
    return function;
  };
  Function *alloc =
      getOrDefine("_mlir_memref_to_llvm_alloc", FunctionType::get(ptr, {i64}, false));
  if (alloc->isDeclaration()) {
    IRBuilder<> b(BasicBlock::Create(context, "entry", alloc));
    BasicBlock *fail = BasicBlock::Create(context, "out_of_memory", alloc);
    BasicBlock *done = BasicBlock::Create(context, "allocated", alloc);
    Value *memory = b.CreateCall(mallocFn, {alloc->getArg(0)});
    b.CreateCondBr(b.CreateIsNull(memory), fail, done);
    b.SetInsertPoint(fail);
    if (outOfMemory.getFunctionType()->getNumParams() == 1)
      b.CreateCall(outOfMemory, {alloc->getArg(0)});
    else
      b.CreateCall(outOfMemory);
    b.CreateUnreachable();
    b.SetInsertPoint(done);
    b.CreateRet(memory);
  }
  Function *release = getOrDefine(
      "_mlir_memref_to_llvm_free",
      FunctionType::get(Type::getVoidTy(context), {ptr}, false));
  if (release->isDeclaration()) {
    IRBuilder<> b(BasicBlock::Create(context, "entry", release));
    b.CreateCall(freeFn, {release->getArg(0)});
    b.CreateRetVoid();
  }
}

// The runtime's loom_out_of_memory reports the size and exits.
void EntryPointBuilder::allocationFunctions() {
  FunctionCallee outOfMemory = module.getOrInsertFunction(
      "loom_out_of_memory",
      FunctionType::get(Type::getVoidTy(context), {i64}, false));
  cast<Function>(outOfMemory.getCallee())->setDoesNotReturn();
  defineAllocationFunctions(module, outOfMemory);
}

LogicalResult EntryPointBuilder::build() {
  if (failed(lossWrapper("loom_forward_backward", description.forwardBackward)) ||
      failed(gradNormWrapper()) ||
      failed(lossWrapper("loom_eval_loss", description.evalLoss)) ||
      failed(updateWrapper()) ||
      failed(inferenceWrapper("loom_prefill", description.inference.prefill)) ||
      failed(inferenceWrapper("loom_decode", description.inference.decode)))
    return failure();
  allocationFunctions();
  // loom_model_info: {abi_version, num_tensors, tensors, model_name, fused,
  // num_optimizers, optimizers, train_step_flops, num_profiled_ops,
  // profiled_op_names, arena_bytes, inference, gradient_ready_order,
  // num_cpu_features, cpu_features, precision, profiled_op_flops,
  // profiled_op_bytes}
  Constant *inference = inferenceInfo();
  StructType *modelType = StructType::get(
      context, {i32, i32, ptr, ptr, i32, i32, ptr, f64, i32, ptr, i64,
                inference->getType(), ptr, i32, ptr, i32, ptr, ptr});
  Constant *model = ConstantStruct::get(
      modelType,
      {ConstantInt::get(i32, LOOM_ABI_VERSION),
       ConstantInt::get(i32, description.tensors.size()), tensorTable(),
       string(description.modelName, "loom.model_name"),
       ConstantInt::get(i32, description.fused ? 1 : 0),
       ConstantInt::get(i32, description.optimizers.size()), optimizerTable(),
       ConstantFP::get(f64, description.trainStepFlops),
       ConstantInt::get(i32, profiledOps.size()),
       stringArray(profiledOps, "loom.profiled"),
       ConstantInt::get(i64, description.largestArenaBytes()), inference,
       gradientReadyOrder(), ConstantInt::get(i32, cpuFeatures.size()),
       stringArray(cpuFeatures, "loom.cpu_feature"),
       ConstantInt::get(i32, description.precision),
       profiledCostArray(0, "loom.profiled_flops"),
       profiledCostArray(1, "loom.profiled_bytes")});
  new GlobalVariable(module, modelType, true, GlobalValue::ExternalLinkage,
                     model, "loom_model");
  return success();
}

// Drops the loom.* argument attributes, which mean nothing to LLVM.
static void dropModelAttributes(mlir::ModuleOp module) {
  module.walk([](mlir::LLVM::LLVMFuncOp function) {
    for (unsigned i = 0, e = function.getNumArguments(); i < e; ++i) {
      SmallVector<mlir::NamedAttribute> kept;
      mlir::DictionaryAttr attrs = function.getArgAttrDict(i);
      if (!attrs)
        continue;
      for (mlir::NamedAttribute attr : attrs)
        if (!attr.getName().getValue().starts_with("loom."))
          kept.push_back(attr);
      function.setArgAttrs(i, kept);
    }
  });
}

// A repeated block's function and an optimizer's kernel (loom.entry) are
// compiled once and called many times: never inlined by LLVM. (func.func's
// no_inline reaches the llvm dialect as a discardable attribute, which the
// translation ignores.)
static void keepCalledFunctionsOutOfLine(mlir::ModuleOp module) {
  module.walk([](mlir::LLVM::LLVMFuncOp function) {
    if (function->getDiscardableAttr(mlir::loom::kEntryAttr))
      function.setNoInline(true);
  });
}

// The module in LLVM IR, with the target's data layout and triple.
static std::unique_ptr<Module> translateForTarget(mlir::ModuleOp module,
                                                  LLVMContext &context,
                                                  TargetMachine &target) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "loom");
  if (!llvmModule)
    return nullptr;
  llvmModule->setDataLayout(target.createDataLayout());
  llvmModule->setTargetTriple(target.getTargetTriple());
  return llvmModule;
}

// Every function gets the target's CPU and features, so that LLVM uses its
// full vector width.
static void setTargetAttributes(Module &module, TargetMachine &target) {
  for (Function &function : module) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", target.getTargetCPU());
    function.addFnAttr("target-features", target.getTargetFeatureString());
  }
}

std::unique_ptr<Module>
loomc::translateToLLVMIR(mlir::ModuleOp module, LLVMContext &context,
                        const ModelDescription &description,
                        TargetMachine &target) {
  std::vector<std::string> profiledOps;
  if (auto names = module->getAttrOfType<mlir::ArrayAttr>(mlir::loom::kProfiledOpsAttr))
    for (mlir::Attribute name : names)
      profiledOps.push_back(mlir::cast<mlir::StringAttr>(name).str());
  std::vector<double> profiledCosts;
  if (auto costs =
          module->getAttrOfType<mlir::DenseF64ArrayAttr>(mlir::loom::kProfiledCostsAttr))
    profiledCosts.assign(costs.asArrayRef().begin(), costs.asArrayRef().end());
  keepCalledFunctionsOutOfLine(module);
  dropModelAttributes(module);
  std::unique_ptr<Module> llvmModule = translateForTarget(module, context, target);
  if (!llvmModule)
    return nullptr;
  if (failed(EntryPointBuilder(*llvmModule, description, std::move(profiledOps),
                               std::move(profiledCosts), requiredCpuFeatures(target))
                 .build())) {
    module.emitError("internal error: the lowered module lacks an entry "
                     "function with the expected arguments");
    return nullptr;
  }
  std::string problems;
  raw_string_ostream problemStream(problems);
  if (verifyModule(*llvmModule, &problemStream)) {
    module.emitError("internal error: invalid LLVM IR: ") << problems;
    return nullptr;
  }
  // The optimizer's entry points only call its kernels, once per parameter
  // (a GPT-2 of 48 layers: 580 calls each, with their ranges): compiled
  // without optimization (FastISel), their code grows with depth at a
  // fraction of the cost, and the kernels they call are optimized as ever.
  SmallVector<std::string> callers = {"loom_update", "loom_grad_norm",
                                      "grad_norm"};
  for (const OptimizerDescription &optimizer : description.optimizers)
    callers.push_back(optimizer.update.symbol);
  for (const std::string &name : callers)
    if (Function *caller = llvmModule->getFunction(name)) {
      caller->addFnAttr(Attribute::NoInline);
      caller->addFnAttr(Attribute::OptimizeNone);
    }
  setTargetAttributes(*llvmModule, target);
  return llvmModule;
}

std::unique_ptr<Module> loomc::translateKernelsToLLVMIR(mlir::ModuleOp module,
                                                       LLVMContext &context,
                                                       TargetMachine &target) {
  std::unique_ptr<Module> llvmModule = translateForTarget(module, context, target);
  if (!llvmModule)
    return nullptr;
  // Their temporaries (packed copies) come from malloc; out of memory, the
  // process aborts rather than writing through null (loomc has no
  // loom_out_of_memory of the runtime's).
  FunctionCallee abortFn = llvmModule->getOrInsertFunction(
      "abort", FunctionType::get(Type::getVoidTy(context), false));
  defineAllocationFunctions(*llvmModule, abortFn);
  std::string problems;
  raw_string_ostream problemStream(problems);
  if (verifyModule(*llvmModule, &problemStream)) {
    module.emitError("internal error: invalid LLVM IR: ") << problems;
    return nullptr;
  }
  setTargetAttributes(*llvmModule, target);
  return llvmModule;
}

void loomc::optimizeModule(Module &module, TargetMachine &target) {
  LoopAnalysisManager loops;
  FunctionAnalysisManager functions;
  CGSCCAnalysisManager cgscc;
  ModuleAnalysisManager modules;
  PassBuilder passBuilder(&target);
  passBuilder.registerModuleAnalyses(modules);
  passBuilder.registerCGSCCAnalyses(cgscc);
  passBuilder.registerFunctionAnalyses(functions);
  passBuilder.registerLoopAnalyses(loops);
  passBuilder.crossRegisterProxies(loops, functions, cgscc, modules);
  ModulePassManager pipeline =
      passBuilder.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  pipeline.run(module, modules);
}

static mlir::LogicalResult emit(Module &module, TargetMachine &target,
                                raw_pwrite_stream &os, CodeGenFileType type) {
  legacy::PassManager passes;
  if (target.addPassesToEmitFile(passes, os, nullptr, type)) {
    WithColor::error(errs(), "loomc") << "the target cannot emit this file type\n";
    return mlir::failure();
  }
  passes.run(module);
  return mlir::success();
}

mlir::LogicalResult loomc::emitObjectFile(Module &module, TargetMachine &target,
                                         StringRef path) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec) {
    WithColor::error(errs(), "loomc") << "cannot write '" << path
                                      << "': " << ec.message() << "\n";
    return mlir::failure();
  }
  return emit(module, target, os, CodeGenFileType::ObjectFile);
}

mlir::LogicalResult loomc::emitAssembly(Module &module, TargetMachine &target,
                                       raw_pwrite_stream &os) {
  return emit(module, target, os, CodeGenFileType::AssemblyFile);
}
