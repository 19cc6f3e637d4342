//===- StepProfile.cpp - Where a compiled step spends its time ------------===//

#include "StepProfile.h"

extern "C" {
#include "profile.h"
}

#include "llvm/ADT/StringRef.h"
#include <algorithm>

using namespace loomc::bench;
using llvm::StringRef;

// "h.3.mlp gpt2.loom:33 in forward_backward (M=256 N=768 K=768 rhsT)":
// the source without the instance, and the product's shape.
static void parseWhere(StringRef where, OpTime &op) {
  auto [place, shape] = where.split(" (M=");
  size_t file = place.find(".loom:");
  if (file != StringRef::npos) {
    size_t start = place.rfind(' ', file);
    place = place.drop_front(start == StringRef::npos ? 0 : start + 1);
  }
  op.source = place.str();
  if (shape.empty())
    return;
  long long m = 0, n = 0, k = 0;
  if (std::sscanf(shape.data(), "%lld N=%lld K=%lld", &m, &n, &k) != 3)
    return;
  ProductShape product;
  product.m = m;
  product.n = n;
  product.k = k;
  product.lhsT = shape.contains("lhsT");
  product.rhsT = shape.contains("rhsT");
  op.product = product;
}

// The time of every operation in one step of `model`, and how many times
// the step called it (once per layer in a repeated block's function).
static std::vector<double> timeOneStep(CompiledModel &model,
                                       std::vector<int64_t> &callsPerStep) {
  const loom_model_info &info = model.info();
  loom_profile_reset(&info);
  model.trainStep();
  std::vector<double> times;
  callsPerStep.clear();
  for (int32_t i = 0; i < info.num_profiled_ops; ++i) {
    double total = 0;
    int64_t calls = 0;
    loom_profile_get(i, &total, &calls);
    times.push_back(total);
    callsPerStep.push_back(calls);
  }
  return times;
}

std::vector<std::vector<OpTime>>
loomc::bench::profileInterleaved(const std::vector<CompiledModel *> &models,
                                 int rounds, Statistic statistic) {
  for (CompiledModel *model : models) {
    loom_profile_reset(&model->info());
    model->trainStep(); // first touches
  }
  // samples[model][op][round]
  std::vector<std::vector<std::vector<double>>> samples(models.size());
  std::vector<std::vector<int64_t>> calls(models.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t m = 0; m < models.size(); ++m) {
      std::vector<double> times = timeOneStep(*models[m], calls[m]);
      samples[m].resize(times.size());
      for (size_t op = 0; op < times.size(); ++op)
        samples[m][op].push_back(times[op]);
    }
  }
  std::vector<std::vector<OpTime>> results;
  for (size_t m = 0; m < models.size(); ++m) {
    const loom_model_info &info = models[m]->info();
    std::vector<OpTime> ops;
    for (int32_t i = 0; i < info.num_profiled_ops; ++i) {
      auto [kind, where] = StringRef(info.profiled_op_names[i]).split('\t');
      OpTime op;
      op.kind = kind.str();
      parseWhere(where, op);
      std::vector<double> &s = samples[m][i];
      std::sort(s.begin(), s.end());
      op.msPerStep = s.empty() ? 0.0
                     : statistic == Statistic::fastest ? s.front()
                                                       : s[s.size() / 2];
      double perStep = i < static_cast<int32_t>(calls[m].size()) ? calls[m][i] : 0;
      if (info.profiled_op_flops && info.profiled_op_bytes) {
        op.flops = info.profiled_op_flops[i] * perStep;
        op.bytes = info.profiled_op_bytes[i] * perStep;
      }
      ops.push_back(op);
    }
    results.push_back(std::move(ops));
  }
  return results;
}
