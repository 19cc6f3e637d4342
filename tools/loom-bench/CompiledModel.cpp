//===- CompiledModel.cpp - A model compiled by loomc, loaded for timing ---===//

#include "CompiledModel.h"

extern "C" {
#include "data.h"
#include "footprint.h"
}

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

using namespace loomc::bench;

// The compiled steps call this when an intermediate tensor cannot be
// allocated (abi.h); loom-bench exports it to the libraries it loads. It
// cannot return into the step, so it ends the run.
extern "C" void loom_out_of_memory(int64_t bytes) {
  std::fprintf(stderr, "loom-bench: error: out of memory: a training step "
                       "could not allocate %lld bytes\n",
               static_cast<long long>(bytes));
  std::exit(1);
}

// The backward pass says when each gradient is final, for a data-parallel
// runtime to start reducing it (abi.h); one process has nothing to reduce.
extern "C" void loom_gradient_ready(int32_t) {}

std::unique_ptr<CompiledModel>
CompiledModel::build(const std::string &loomc, const std::string &modelPath,
                     const std::vector<std::string> &loomcArgs,
                     const std::string &libraryPath, std::string &error) {
  llvm::SmallVector<llvm::StringRef> args = {loomc, modelPath, "--shared", "-o",
                                             libraryPath};
  for (const std::string &arg : loomcArgs)
    args.push_back(arg);
  // loomc's report (fusion, memory plan) goes to a log next to the
  // library, shown only if the build fails: it would interleave with the
  // benchmark's tables.
  std::string logPath = libraryPath + ".log";
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(logPath)};
  std::string message;
  if (llvm::sys::ExecuteAndWait(loomc, args, std::nullopt, redirects, 0, 0,
                                &message) != 0) {
    error = "loomc failed on " + modelPath + (message.empty() ? "" : ": " + message);
    if (auto log = llvm::MemoryBuffer::getFile(logPath); log && (*log)->getBufferSize())
      error += "\n" + (*log)->getBuffer().rtrim().str();
    return nullptr;
  }
  std::unique_ptr<CompiledModel> compiled(new CompiledModel());
  // RTLD_LOCAL: every variant defines the same symbols.
  compiled->handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!compiled->handle) {
    error = std::string("cannot load ") + libraryPath + ": " + dlerror();
    return nullptr;
  }
  compiled->model =
      static_cast<const loom_model_info *>(dlsym(compiled->handle, "loom_model"));
  compiled->forwardBackward = reinterpret_cast<double (*)(void *const *)>(
      dlsym(compiled->handle, "loom_forward_backward"));
  compiled->update = reinterpret_cast<decltype(compiled->update)>(
      dlsym(compiled->handle, "loom_update"));
  if (!compiled->model || !compiled->forwardBackward || !compiled->update ||
      compiled->model->abi_version != LOOM_ABI_VERSION) {
    error = libraryPath + " is not a Loom model library of ABI version " +
            std::to_string(LOOM_ABI_VERSION);
    return nullptr;
  }
  const loom_model_info &model = *compiled->model;
  for (int32_t o = 0; o < model.num_optimizers; ++o)
    if (std::strcmp(model.optimizers[o].name, "adamw") == 0)
      compiled->optimizer = o;
  if (compiled->optimizer < 0) {
    error = libraryPath + " has no AdamW update";
    return nullptr;
  }
  if (loom_tensors_alloc(&compiled->tensors, &model, compiled->optimizer) != 0) {
    error = "out of memory for the tensors of " + modelPath;
    return nullptr;
  }
  loom_tensors_init(&compiled->tensors, /*seed=*/0);

  char why[512];
  loom_data_layout layout;
  if (loom_data_layout_of(&model, &layout, why, sizeof(why)) != 0) {
    error = modelPath + ": " + why;
    return nullptr;
  }
  loom_data_spec synthetic = {};
  loom_dataset *data = nullptr, *validation = nullptr;
  if (loom_data_open(&synthetic, &layout, &data, &validation, why, sizeof(why)) != 0) {
    error = why;
    return nullptr;
  }
  loom_data_batch(data, 0, compiled->tensors.buffers[layout.features_index],
                  compiled->tensors.buffers[layout.target_index]);
  loom_data_free(data);
  loom_data_free(validation);

  // torch.optim.AdamW's defaults with a small learning rate, which keeps
  // the parameters finite over many timed steps.
  const loom_optimizer_info &adamw = model.optimizers[compiled->optimizer];
  for (int32_t i = 0; i < adamw.num_hyper; ++i) {
    llvm::StringRef name = adamw.hyper_names[i];
    compiled->hyper.push_back(name == "lr"      ? 1e-4f
                              : name == "beta1" ? 0.9f
                              : name == "beta2" ? 0.999f
                              : name == "eps"   ? 1e-8f
                                                : 0.01f);
  }
  return compiled;
}

CompiledModel::~CompiledModel() {
  loom_tensors_free(&tensors);
  if (handle)
    dlclose(handle);
}

int64_t CompiledModel::plannedBytes() const {
  return loom_planned_bytes(model, optimizer);
}

float CompiledModel::trainStep() {
  float loss = forwardBackward(tensors.buffers);
  update(optimizer, tensors.buffers, hyper.data(), /*grad_scale=*/1.0f, ++stepNumber,
         /*ranges=*/nullptr);
  return loss;
}
