//===- BenchOptions.cpp - loom-bench's flags and the cases they name ------===//

#include "BenchOptions.h"

#include "llvm/Support/Path.h"
#include <algorithm>
#include <cstdio>
#include <map>

using namespace loomc::bench;

#ifndef LOOM_SOURCE_DIR
#define LOOM_SOURCE_DIR "."
#endif

const std::string &loomc::bench::sourceDir() {
  static const std::string dir = LOOM_SOURCE_DIR;
  return dir;
}

double Gpt2Sizes::modelFlops() const {
  double tokens = static_cast<double>(batch) * seq, c = dim;
  double nonEmbedding = layers * (12 * c * c + 13 * c) + 2 * c;
  return 6 * nonEmbedding * tokens + 6.0 * vocab * c * tokens +
         6.0 * layers * batch * seq * seq * c;
}

std::vector<std::string> Gpt2Sizes::defines() const {
  return {"vocab=" + std::to_string(vocab), "layers=" + std::to_string(layers),
          "dim=" + std::to_string(dim),     "heads=" + std::to_string(heads),
          "seq=" + std::to_string(seq),     "batch=" + std::to_string(batch)};
}

static const std::map<std::string, Gpt2Sizes> &configs() {
  static const std::map<std::string, Gpt2Sizes> kConfigs = {
      {"mini", {4096, 4, 256, 4, 128, 8}},
      {"gpt2s", {50257, 12, 768, 12, 64, 4}},
  };
  return kConfigs;
}

void loomc::bench::printUsage(const char *program) {
  std::printf(
      "usage: %s [--config=mini,gpt2s] [--model=FILE] [-D NAME=VALUE]... "
      "[--sweep=NAME=V1,V2,...]\n"
      "          [--breakdown] [--products] [--remat] [--remat-blocks] "
      "[--unrolled] [--bf16] [--tuned] [--loomc=PATH] "
      "[benchmark flags]\n"
      "       %s --decode [--config=...] [--model=FILE] [-D NAME=VALUE]...\n"
      "Times the fused against the unfused training step (forward, backward "
      "and AdamW update).\n"
      "Without flags: the GPT-2 configs mini (vocab 4096, 4 layers, dim 256, "
      "4 heads, seq 128, batch 8)\nand gpt2s (vocab 50257, 12 layers, dim "
      "768, 12 heads, seq 64, batch 4) of %s/models/gpt2.loom,\nwith every "
      "matrix product shape against OpenBLAS (--products), a step broken "
      "down by\noperation (--breakdown) and the fused step built with --remat "
      "as well (--remat: its time\nand loomc's memory plan against the "
      "fused step's; --remat-blocks: the same for loomc --remat-blocks;\n"
      "--unrolled: the fused step with every layer compiled on its own, "
      "loomc --unroll-layers;\n--bf16: the step with bf16 products, fused "
      "and unfused, loomc --precision=bf16, where this CPU runs it;\n--tuned: the fused "
      "step, and with --products every product, also with the tilings loomc --tune "
      "measures\n(every other build tiles by the rules, loomc --no-tuning)).\n--model, -D "
      "and --sweep time other\nmodels; the other "
      "flags add their reports for them. Run it with "
      "OPENBLAS_CORETYPE unset, so that OpenBLAS uses its best kernel.\n"
      "Google Benchmark's flags (--benchmark_filter, --benchmark_repetitions, "
      "...) apply.\n"
      "--decode times the inference entry points instead (default: gpt2s): "
      "a prefill, a decode step\nat position 127, the same token without "
      "the cache, and a read of the weights from memory.\n",
      program, program, sourceDir().c_str());
}

// NAME=VALUE with both parts non-empty; loomc checks the rest.
static bool isDefinition(const std::string &text) {
  size_t equals = text.find('=');
  return equals != std::string::npos && equals > 0 && equals + 1 < text.size();
}

static std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  std::string rest = text + ",";
  for (size_t start = 0, comma;
       (comma = rest.find(',', start)) != std::string::npos; start = comma + 1)
    items.push_back(rest.substr(start, comma - start));
  return items;
}

Parsed loomc::bench::parseOptions(int &argc, char **argv, Options &options) {
  int kept = 1;
  bool custom = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--model=", 0) == 0) {
      options.model = arg.substr(8);
      options.modelGiven = custom = true;
    } else if (arg.rfind("--loomc=", 0) == 0) {
      options.loomc = arg.substr(8);
    } else if (arg == "-D" || arg.rfind("-D", 0) == 0) {
      std::string definition =
          arg == "-D" ? (i + 1 < argc ? argv[++i] : "") : arg.substr(2);
      if (!isDefinition(definition)) {
        std::fprintf(stderr, "loom-bench: error: -D %s: expected NAME=VALUE\n",
                     definition.c_str());
        return Parsed::error;
      }
      options.defines.push_back(definition);
      custom = true;
    } else if (arg.rfind("--sweep=", 0) == 0) {
      std::string sweep = arg.substr(8);
      options.sweepValues.clear();
      if (isDefinition(sweep)) {
        size_t equals = sweep.find('=');
        options.sweepName = sweep.substr(0, equals);
        options.sweepValues = splitList(sweep.substr(equals + 1));
      }
      if (options.sweepValues.empty() ||
          std::find(options.sweepValues.begin(), options.sweepValues.end(),
                    "") != options.sweepValues.end()) {
        std::fprintf(stderr,
                     "loom-bench: error: --sweep=%s: expected "
                     "NAME=V1,V2,...\n",
                     sweep.c_str());
        return Parsed::error;
      }
      custom = true;
    } else if (arg.rfind("--config=", 0) == 0) {
      for (const std::string &name : splitList(arg.substr(9))) {
        if (!configs().count(name)) {
          std::fprintf(stderr,
                       "loom-bench: error: --config: unknown config "
                       "'%s' (the configs: mini, gpt2s)\n",
                       name.c_str());
          return Parsed::error;
        }
        options.configs.push_back(name);
      }
    } else if (arg == "--breakdown") {
      options.breakdown = true;
    } else if (arg == "--products") {
      options.products = true;
    } else if (arg == "--remat") {
      options.remat = true;
    } else if (arg == "--unrolled") {
      options.unrolled = true;
    } else if (arg == "--remat-blocks") {
      options.rematBlocks = true;
    } else if (arg == "--bf16") {
      options.bf16 = true;
    } else if (arg == "--tuned") {
      options.tuned = true;
    } else if (arg == "--decode") {
      options.decode = true;
    } else if (arg == "--help") {
      return Parsed::help;
    } else if (arg.rfind("--benchmark_", 0) != 0) {
      std::fprintf(stderr,
                   "loom-bench: error: unknown flag '%s' (see --help)\n",
                   arg.c_str());
      return Parsed::error;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (options.decode) {
    if (!custom && options.configs.empty())
      options.configs = {"gpt2s"};
    return Parsed::run;
  }
  if (!custom && options.configs.empty()) {
    options.configs = {"mini", "gpt2s"};
    options.breakdown = options.products = options.remat = true;
    options.unrolled = options.rematBlocks = options.bf16 = true;
  }
  return Parsed::run;
}

std::vector<Case> loomc::bench::casesOf(const Options &options) {
  std::vector<Case> cases;
  for (const std::string &name : options.configs) {
    const Gpt2Sizes &sizes = configs().at(name);
    cases.push_back(
        {name, sourceDir() + "/models/gpt2.loom", sizes.defines(), sizes});
  }
  if (!options.modelGiven && options.defines.empty() &&
      options.sweepName.empty())
    return cases;
  std::string stem = llvm::sys::path::stem(options.model).str();
  std::vector<std::string> sweep = options.sweepValues;
  if (sweep.empty())
    sweep.push_back("");
  for (const std::string &value : sweep) {
    Case c{stem, options.model, options.defines, std::nullopt};
    for (const std::string &definition : options.defines)
      c.name += "_" + definition.substr(0, definition.find('=')) +
                definition.substr(definition.find('=') + 1);
    if (!options.sweepName.empty()) {
      c.name += "_" + options.sweepName + value;
      c.defines.push_back(options.sweepName + "=" + value);
    }
    cases.push_back(c);
  }
  return cases;
}
