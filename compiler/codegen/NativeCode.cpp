//===- NativeCode.cpp - From the llvm dialect to an object file -----------===//

#include "compiler/codegen/NativeCode.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

std::unique_ptr<TargetMachine> loom::createHostTargetMachine() {
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
  SubtargetFeatures features;
  for (const auto &feature : sys::getHostCPUFeatures())
    features.AddFeature(feature.getKey(), feature.getValue());
  TargetOptions options;
  return std::unique_ptr<TargetMachine>(target->createTargetMachine(
      triple, sys::getHostCPUName(), features.getString(), options,
      Reloc::PIC_, std::nullopt, CodeGenOptLevel::Aggressive));
}

int64_t loom::hostVectorWidth() {
  StringMap<bool> features = sys::getHostCPUFeatures();
  return features.lookup("avx512f") ? 16 : 8;
}

namespace {

// Builds the globals and wrappers of abi.h in an LLVM module.
class EntryPointBuilder {
public:
  EntryPointBuilder(Module &module, const loom::ModelDescription &description)
      : module(module), context(module.getContext()), description(description),
        i32(Type::getInt32Ty(context)), i64(Type::getInt64Ty(context)),
        f32(Type::getFloatTy(context)), f64(Type::getDoubleTy(context)),
        ptr(PointerType::getUnqual(context)) {}

  LogicalResult build();

private:
  Constant *string(StringRef text, const Twine &name);
  Constant *tensorTable();
  Constant *hyperNames();
  LogicalResult trainStepWrapper();
  LogicalResult evalLossWrapper();
  void allocationFunctions();

  Module &module;
  LLVMContext &context;
  const loom::ModelDescription &description;
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

// loom_tensor_info[]: {name, role, dtype, rank, init_kind, shape, a, b, bound}
Constant *EntryPointBuilder::tensorTable() {
  StructType *infoType = StructType::get(
      context, {ptr, i32, i32, i32, i32, ptr, f64, f64, i64});
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
         ConstantInt::get(i64, tensor.indexBound)}));
  }
  ArrayType *tableType = ArrayType::get(infoType, entries.size());
  return new GlobalVariable(module, tableType, true, GlobalValue::PrivateLinkage,
                            ConstantArray::get(tableType, entries),
                            "loom.tensors");
}

Constant *EntryPointBuilder::hyperNames() {
  std::vector<Constant *> names;
  for (auto [i, name] : llvm::enumerate(description.hyperNames))
    names.push_back(string(name, "loom.hyper." + Twine(i)));
  ArrayType *type = ArrayType::get(ptr, names.size());
  return new GlobalVariable(module, type, true, GlobalValue::PrivateLinkage,
                            ConstantArray::get(type, names), "loom.hyper_names");
}

// float loom_train_step(void *const *buffers, const float *hyper, i64 step)
// calls train_step(buffer..., hyper..., step) under the bare-pointer
// calling convention: one pointer per buffer.
LogicalResult EntryPointBuilder::trainStepWrapper() {
  Function *trainStep = module.getFunction("train_step");
  size_t buffers = description.tensors.size();
  size_t hypers = description.hyperNames.size();
  if (!trainStep || trainStep->arg_size() != buffers + hypers + 1)
    return failure();
  trainStep->setLinkage(GlobalValue::InternalLinkage);
  auto *wrapper = Function::Create(
      FunctionType::get(f32, {ptr, ptr, i64}, false),
      GlobalValue::ExternalLinkage, "loom_train_step", module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  std::vector<Value *> args;
  for (size_t i = 0; i < buffers; ++i)
    args.push_back(b.CreateLoad(
        ptr, b.CreateConstInBoundsGEP1_64(ptr, wrapper->getArg(0), i)));
  for (size_t i = 0; i < hypers; ++i)
    args.push_back(b.CreateLoad(
        f32, b.CreateConstInBoundsGEP1_64(f32, wrapper->getArg(1), i)));
  args.push_back(wrapper->getArg(2));
  b.CreateRet(b.CreateCall(trainStep, args));
  return success();
}

// float loom_eval_loss(void *const *buffers) calls eval_loss(params,
// inputs) with its arguments picked from the table.
LogicalResult EntryPointBuilder::evalLossWrapper() {
  Function *forward = module.getFunction("eval_loss");
  if (!forward || forward->arg_size() != description.forwardArguments.size())
    return failure();
  forward->setLinkage(GlobalValue::InternalLinkage);
  auto *wrapper =
      Function::Create(FunctionType::get(f32, {ptr}, false),
                       GlobalValue::ExternalLinkage, "loom_eval_loss", module);
  IRBuilder<> b(BasicBlock::Create(context, "entry", wrapper));
  std::vector<Value *> args;
  for (unsigned index : description.forwardArguments)
    args.push_back(b.CreateLoad(
        ptr, b.CreateConstInBoundsGEP1_64(ptr, wrapper->getArg(0), index)));
  b.CreateRet(b.CreateCall(forward, args));
  return success();
}

// The compiled functions allocate their intermediate tensors through
// _mlir_memref_to_llvm_alloc/free (finalize-memref-to-llvm with generic
// functions). Out of memory, the runtime's loom_out_of_memory reports the
// size and exits instead of a null pointer being written through.
void EntryPointBuilder::allocationFunctions() {
  FunctionCallee mallocFn =
      module.getOrInsertFunction("malloc", FunctionType::get(ptr, {i64}, false));
  FunctionCallee freeFn = module.getOrInsertFunction(
      "free", FunctionType::get(Type::getVoidTy(context), {ptr}, false));
  FunctionCallee outOfMemory = module.getOrInsertFunction(
      "loom_out_of_memory",
      FunctionType::get(Type::getVoidTy(context), {i64}, false));
  cast<Function>(outOfMemory.getCallee())->setDoesNotReturn();

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
    b.CreateCall(outOfMemory, {alloc->getArg(0)});
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

LogicalResult EntryPointBuilder::build() {
  if (failed(trainStepWrapper()) || failed(evalLossWrapper()))
    return failure();
  allocationFunctions();
  // loom_model_info: {abi_version, num_tensors, tensors, model_name,
  // optimizer, num_hyper, hyper_names, fused, train_step_flops}
  StructType *modelType =
      StructType::get(context, {i32, i32, ptr, ptr, ptr, i32, ptr, i32, f64});
  Constant *model = ConstantStruct::get(
      modelType,
      {ConstantInt::get(i32, LOOM_ABI_VERSION),
       ConstantInt::get(i32, description.tensors.size()), tensorTable(),
       string(description.modelName, "loom.model_name"),
       string(description.optimizer, "loom.optimizer"),
       ConstantInt::get(i32, description.hyperNames.size()), hyperNames(),
       ConstantInt::get(i32, description.fused ? 1 : 0),
       ConstantFP::get(f64, description.trainStepFlops)});
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

std::unique_ptr<Module>
loom::translateToLLVMIR(mlir::ModuleOp module, LLVMContext &context,
                        const ModelDescription &description,
                        TargetMachine &target) {
  dropModelAttributes(module);
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
  if (failed(EntryPointBuilder(*llvmModule, description).build())) {
    module.emitError("the lowered module lacks train_step or eval_loss with "
                     "the expected arguments");
    return nullptr;
  }
  std::string problems;
  raw_string_ostream problemStream(problems);
  if (verifyModule(*llvmModule, &problemStream)) {
    module.emitError("internal error: invalid LLVM IR: ") << problems;
    return nullptr;
  }
  // Every function gets the host's CPU and features, so that LLVM uses its
  // full vector width.
  for (Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", target.getTargetCPU());
    function.addFnAttr("target-features", target.getTargetFeatureString());
  }
  return llvmModule;
}

void loom::optimizeModule(Module &module, TargetMachine &target) {
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

mlir::LogicalResult loom::emitObjectFile(Module &module, TargetMachine &target,
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

mlir::LogicalResult loom::emitAssembly(Module &module, TargetMachine &target,
                                       raw_pwrite_stream &os) {
  return emit(module, target, os, CodeGenFileType::AssemblyFile);
}
