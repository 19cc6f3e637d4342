//===- RuntimeTest.cpp - Unit tests of the training runtime ---------------===//

extern "C" {
#include "checkpoint.h"
#include "data.h"
#include "flags.h"
#include "footprint.h"
#include "npy.h"
#include "rng.h"
#include "sampler.h"
#include "tensors.h"
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

// Parses `args` (after the program name) and returns the result; messages
// go to a scratch file so that tests can read them.
struct FlagRun {
  loom_flags_result result;
  loom_options options;
  std::string err;
};

FlagRun parse(std::vector<std::string> args) {
  std::vector<char *> argv = {const_cast<char *>("prog")};
  for (std::string &arg : args)
    argv.push_back(arg.data());
  FlagRun run;
  loom_default_options(&run.options);
  FILE *out = tmpfile(), *err = tmpfile();
  run.result = loom_parse_flags(static_cast<int>(argv.size()), argv.data(),
                                &run.options, "prog", out, err);
  rewind(err);
  char buffer[512] = {0};
  size_t n = fread(buffer, 1, sizeof(buffer) - 1, err);
  run.err.assign(buffer, n);
  fclose(out);
  fclose(err);
  return run;
}

TEST(Flags, DefaultsAndBothValueForms) {
  FlagRun run = parse({"--steps", "12", "--lr=0.5", "--momentum", "0", "--seed=3"});
  ASSERT_EQ(run.result, LOOM_FLAGS_OK) << run.err;
  EXPECT_EQ(run.options.steps, 12);
  EXPECT_DOUBLE_EQ(run.options.lr, 0.5);
  EXPECT_DOUBLE_EQ(run.options.momentum, 0.0);
  EXPECT_EQ(run.options.seed, 3u);
  EXPECT_EQ(run.options.data_path, nullptr);
}

TEST(Flags, RejectsWithTheFlagNamed) {
  EXPECT_EQ(parse({"--steps", "1.5"}).err,
            "prog: error: --steps: '1.5' is not an integer\n");
  EXPECT_EQ(parse({"--lr", "1e400"}).err, "prog: error: --lr: '1e400' is not a number\n");
  EXPECT_EQ(parse({"--lr=-1"}).err, "prog: error: --lr: -1 is out of range [0, 1e+06]\n");
  EXPECT_EQ(parse({"--threads", "0"}).result, LOOM_FLAGS_ERROR);
  EXPECT_EQ(parse({"--data="}).err, "prog: error: --data needs a file name\n");
  EXPECT_EQ(parse({"-x"}).err, "prog: error: unexpected argument '-x' (see --help)\n");
}

TEST(Flags, Help) { EXPECT_EQ(parse({"--help"}).result, LOOM_FLAGS_HELP); }

TEST(Flags, SampleDefaultsAndRefusals) {
  FlagRun run = parse({"sample", "--prompt", "Once"});
  ASSERT_EQ(run.result, LOOM_FLAGS_OK) << run.err;
  EXPECT_EQ(run.options.subcommand, LOOM_SAMPLE);
  EXPECT_EQ(loom_max_tokens(&run.options), 256);
  EXPECT_DOUBLE_EQ(run.options.temperature, 1.0);
  EXPECT_EQ(run.options.top_k, 0);
  EXPECT_DOUBLE_EQ(run.options.top_p, 1.0);
  EXPECT_EQ(run.options.num_samples, 1);
  // train's samples are short unless --max-tokens says otherwise.
  FlagRun train = parse({"--sample-every", "10"});
  EXPECT_EQ(loom_max_tokens(&train.options), 64);
  FlagRun set = parse({"--max-tokens", "9"});
  EXPECT_EQ(loom_max_tokens(&set.options), 9);

  EXPECT_EQ(parse({"sample"}).err,
            "prog: error: sample needs a prompt: --prompt TEXT or "
            "--prompt-tokens IDS\n");
  EXPECT_EQ(parse({"sample", "--prompt", "a", "--prompt-tokens", "1"}).err,
            "prog: error: --prompt and --prompt-tokens: give the prompt one "
            "way\n");
  EXPECT_EQ(parse({"sample", "--prompt="}).err, "prog: error: --prompt needs a text\n");
  EXPECT_EQ(parse({"sample", "--prompt", "a", "--top-p", "0"}).err,
            "prog: error: --top-p: 0 is out of range (0, 1]\n");
  EXPECT_EQ(parse({"sample", "--prompt", "a", "--max-tokens", "0"}).result,
            LOOM_FLAGS_ERROR);
  EXPECT_EQ(parse({"sample", "--prompt", "a", "--steps", "3"}).err,
            "prog: error: sample does not take --steps (see prog sample "
            "--help)\n");
  EXPECT_EQ(parse({"--num-samples", "2"}).err,
            "prog: error: train does not take --num-samples (see prog train "
            "--help)\n");
}

void collectSetting(const char *flag, const char *, void *context) {
  static_cast<std::vector<std::string> *>(context)->push_back(flag);
}

// Sampling changes no training number: a run resumes with other samples.
TEST(Flags, SamplingIsNoRunSetting) {
  FlagRun run = parse({"--sample-every", "5", "--prompt", "x", "--top-k", "3"});
  ASSERT_EQ(run.result, LOOM_FLAGS_OK) << run.err;
  std::vector<std::string> flags;
  loom_each_run_setting(&run.options, collectSetting, &flags);
  for (const char *flag : {"--sample-every", "--prompt", "--max-tokens",
                           "--temperature", "--top-k", "--top-p"})
    EXPECT_EQ(std::count(flags.begin(), flags.end(), flag), 0) << flag;
}

TEST(Rng, SameSeedAndStreamRepeat) {
  loom_rng a, b, c;
  loom_rng_seed(&a, 42, "fc1.weight");
  loom_rng_seed(&b, 42, "fc1.weight");
  loom_rng_seed(&c, 42, "fc1.bias");
  for (int i = 0; i < 100; ++i) {
    uint64_t x = loom_rng_next(&a);
    EXPECT_EQ(x, loom_rng_next(&b));
    EXPECT_NE(x, loom_rng_next(&c));
  }
}

TEST(Rng, NormalHasUnitVariance) {
  loom_rng rng;
  loom_rng_seed(&rng, 1, "moments");
  const int n = 200000;
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    double x = loom_rng_normal(&rng);
    sum += x;
    squares += x * x;
  }
  // Standard errors: 1/sqrt(n) = 0.0022 for the mean, sqrt(2/n) for the
  // variance; five of them as tolerance.
  EXPECT_NEAR(sum / n, 0.0, 0.011);
  EXPECT_NEAR(squares / n, 1.0, 0.016);
}

// A model table with one parameter of each initializer and an input.
struct FakeModel {
  int64_t shape[2] = {64, 50};
  loom_tensor_info tensors[5] = {
      {"normal", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_NORMAL, shape, 0.5, 0, 0, -1},
      {"uniform", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_UNIFORM, shape, -0.25, 0.75, 0, -1},
      {"ones", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_ONES, shape, 0, 0, 0, -1},
      {"normal", LOOM_ROLE_GRAD, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 0, -1},
      {"x", LOOM_ROLE_INPUT, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 0, -1},
  };
  loom_model_info info = {LOOM_ABI_VERSION, 5, tensors, "fake", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
};

TEST(Tensors, InitializersFollowTheTable) {
  FakeModel fake;
  loom_tensors tensors;
  ASSERT_EQ(loom_tensors_alloc(&tensors, &fake.info, -1), 0);
  loom_tensors_init(&tensors, 7);
  const int64_t n = 64 * 50;
  auto at = [&](int index) { return static_cast<float *>(tensors.buffers[index]); };
  double squares = 0;
  for (int64_t i = 0; i < n; ++i) {
    squares += at(0)[i] * at(0)[i];
    EXPECT_GE(at(1)[i], -0.25f);
    EXPECT_LT(at(1)[i], 0.75f);
    EXPECT_EQ(at(2)[i], 1.0f);
    EXPECT_EQ(at(3)[i], 0.0f);
  }
  EXPECT_NEAR(std::sqrt(squares / n), 0.5, 0.03);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(at(0)) % 64, 0u);
  // Same seed, same values; another seed, other values.
  std::vector<float> first(at(0), at(0) + n);
  loom_tensors_init(&tensors, 7);
  EXPECT_EQ(std::memcmp(first.data(), at(0), n * sizeof(float)), 0);
  loom_tensors_init(&tensors, 8);
  EXPECT_NE(std::memcmp(first.data(), at(0), n * sizeof(float)), 0);
  loom_tensors_free(&tensors);
}

// The plan counts the tensor table (only the chosen optimizer's state) and
// the largest arena of intermediates.
TEST(Footprint, PlanCountsTheTableAndTheArena) {
  int64_t matrix[2] = {64, 50}, vector[1] = {50};
  loom_tensor_info tensors[] = {
      {"w", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, -1},
      {"w", LOOM_ROLE_GRAD, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, -1},
      {"w.momentum_buffer", LOOM_ROLE_STATE, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, 0},
      {"w.exp_avg", LOOM_ROLE_STATE, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, 1},
      {"w.exp_avg_sq", LOOM_ROLE_STATE, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, 1},
      {"labels", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 1, LOOM_INIT_ZEROS, vector, 0, 0, 64, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 6, tensors, "m", 1, 2, nullptr, 0.0, 0, nullptr, 1 << 20, {}, nullptr, 0, nullptr};
  const int64_t table = 64 * 50 * 4;
  EXPECT_EQ(loom_planned_bytes(&model, 0), 3 * table + 200 + (1 << 20));
  EXPECT_EQ(loom_planned_bytes(&model, 1), 4 * table + 200 + (1 << 20));
  EXPECT_EQ(loom_planned_bytes(&model, -1), 2 * table + 200 + (1 << 20));
  EXPECT_GT(loom_peak_rss_bytes(), 0);
}

// Training never needs the inference cache: loom_tensors_alloc leaves it
// NULL (and loom_tensors_init skips it); inference needs no gradients.
TEST(Tensors, CacheOnlyWhenAskedFor) {
  int64_t matrix[2] = {4, 3}, cache[3] = {2, 8, 3};
  loom_tensor_info tensors[] = {
      {"w", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_ONES, matrix, 0, 0, 0, -1},
      {"w", LOOM_ROLE_GRAD, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, matrix, 0, 0, 0, -1},
      {"cache.0.key", LOOM_ROLE_CACHE, LOOM_DTYPE_F32, 3, LOOM_INIT_ZEROS, cache, 0, 0, 0, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 3, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  loom_tensors training;
  ASSERT_EQ(loom_tensors_alloc(&training, &model, -1), 0);
  EXPECT_NE(training.buffers[1], nullptr);
  EXPECT_EQ(training.buffers[2], nullptr);
  loom_tensors_init(&training, 1);
  ASSERT_EQ(loom_tensors_alloc_cache(&training), 0);
  ASSERT_NE(training.buffers[2], nullptr);
  const float *keys = static_cast<const float *>(training.buffers[2]);
  EXPECT_TRUE(std::all_of(keys, keys + 48, [](float x) { return x == 0.0f; }));
  loom_tensors_free(&training);

  loom_tensors inference;
  ASSERT_EQ(loom_tensors_alloc_inference(&inference, &model), 0);
  EXPECT_NE(inference.buffers[0], nullptr);
  EXPECT_EQ(inference.buffers[1], nullptr);
  EXPECT_NE(inference.buffers[2], nullptr);
  loom_tensors_init(&inference, 1);
  EXPECT_EQ(static_cast<const float *>(inference.buffers[0])[11], 1.0f);
  loom_tensors_free(&inference);
}

TEST(Data, SyntheticLabelsAreLearnableAndInRange) {
  int64_t featureShape[2] = {32, 6}, labelShape[1] = {32};
  loom_tensor_info tensors[2] = {
      {"x", LOOM_ROLE_INPUT, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, featureShape, 0, 0, 0, -1},
      {"labels", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 1, LOOM_INIT_ZEROS, labelShape, 0, 0, 4, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 2, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  char err[256];
  loom_data_layout layout;
  ASSERT_EQ(loom_data_layout_of(&model, &layout, err, sizeof(err)), 0) << err;
  EXPECT_TRUE(layout.classification);
  EXPECT_EQ(layout.classes, 4);
  loom_data_spec spec = {};
  spec.seed = 3;
  loom_dataset *data = nullptr, *validation = nullptr;
  ASSERT_EQ(loom_data_open(&spec, &layout, &data, &validation, err, sizeof(err)), 0) << err;
  std::vector<float> x(32 * 6);
  std::vector<int32_t> labels(32);
  std::vector<int> counts(4);
  for (int batch = 0; batch < 20; ++batch) {
    loom_data_batch(data, batch, x.data(), labels.data());
    for (int32_t label : labels) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, 4);
      ++counts[label];
    }
  }
  // Every class occurs: the teacher is not degenerate.
  for (int count : counts)
    EXPECT_GT(count, 0);
  loom_data_free(data);
  loom_data_free(validation);
}

TEST(Data, LanguageModelsGetTokenWindows) {
  // Token ids bounded by an embedding of 50 rows, targets by 40 classes:
  // a token is both, so it must fit the smaller.
  int64_t shape[2] = {3, 7};
  loom_tensor_info tensors[2] = {
      {"tokens", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 50, -1},
      {"targets", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 40, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 2, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  char err[256];
  loom_data_layout layout;
  ASSERT_EQ(loom_data_layout_of(&model, &layout, err, sizeof(err)), 0) << err;
  EXPECT_TRUE(layout.tokens);
  EXPECT_EQ(layout.batch, 3);
  EXPECT_EQ(layout.seq, 7);
  EXPECT_EQ(layout.vocab, 40);
  loom_data_spec spec = {};
  spec.seed = 5;
  loom_dataset *data = nullptr, *validation = nullptr;
  ASSERT_EQ(loom_data_open(&spec, &layout, &data, &validation, err, sizeof(err)), 0) << err;
  std::vector<int32_t> ids(21), targets(21);
  for (int batch = 0; batch < 10; ++batch) {
    loom_data_batch(data, batch, ids.data(), targets.data());
    for (int i = 0; i < 21; ++i) {
      ASSERT_GE(ids[i], 0);
      ASSERT_LT(ids[i], 40);
      ASSERT_GE(targets[i], 0);
      ASSERT_LT(targets[i], 40);
      // Targets are the next tokens of one walk per row.
      if (i % 7 != 6)
        EXPECT_EQ(targets[i], ids[i + 1]);
    }
  }
  loom_data_free(data);
  loom_data_free(validation);
}

TEST(Data, LayoutRefusesModelsItCannotFeed) {
  int64_t shape[1] = {8};
  loom_tensor_info tensors[1] = {
      {"x", LOOM_ROLE_INPUT, LOOM_DTYPE_F32, 1, LOOM_INIT_ZEROS, shape, 0, 0, 0, -1}};
  loom_model_info model = {LOOM_ABI_VERSION, 1, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  char err[256];
  loom_data_layout layout;
  EXPECT_EQ(loom_data_layout_of(&model, &layout, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("this model's 1 input fit neither"), std::string::npos) << err;
}

// Sampler: a choice from logits, settings and u alone.
struct Sampler {
  std::vector<float> logits;
  std::vector<double> scratch;
  explicit Sampler(std::vector<float> values) : logits(std::move(values)) {
    scratch.resize(loom_sampler_scratch_bytes(logits.size()) / sizeof(double) + 1);
  }
  int32_t choose(double temperature, int64_t topK, double topP, double u) {
    loom_sampler_settings settings = {temperature, topK, topP};
    return loom_sampler_choose(logits.data(), static_cast<int64_t>(logits.size()),
                               &settings, u, scratch.data());
  }
  // How often each token is chosen over n evenly spaced u in [0, 1).
  std::vector<double> frequencies(double temperature, int64_t topK, double topP,
                                  int n = 10000) {
    std::vector<double> counts(logits.size());
    for (int i = 0; i < n; ++i)
      counts[choose(temperature, topK, topP, (i + 0.5) / n)] += 1.0 / n;
    return counts;
  }
};

std::vector<double> softmax(const std::vector<float> &logits, double temperature) {
  double max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p;
  for (float x : logits)
    p.push_back(std::exp((x - max) / temperature));
  double sum = std::accumulate(p.begin(), p.end(), 0.0);
  for (double &x : p)
    x /= sum;
  return p;
}

const double kSweep[] = {0.0, 1e-9, 0.1, 0.37, 0.5, 0.75, 0.999, 1 - 1e-12};

TEST(Sampler, TemperatureZeroIsArgmaxLowestIdOnTies) {
  Sampler sampler({1.0f, 3.0f, -2.0f, 3.0f, 2.5f});
  for (double u : kSweep)
    EXPECT_EQ(sampler.choose(0.0, 0, 1.0, u), 1) << u;
}

TEST(Sampler, TopKOneIsArgmax) {
  Sampler sampler({0.2f, -1.0f, 0.7f, 0.7f, 0.1f});
  for (double u : kSweep)
    EXPECT_EQ(sampler.choose(1.0, 1, 1.0, u), 2) << u;
}

TEST(Sampler, TinyTopPIsArgmax) {
  Sampler sampler({0.2f, -1.0f, 0.6f, 0.7f, 0.1f});
  for (double u : kSweep)
    EXPECT_EQ(sampler.choose(1.0, 0, 1e-9, u), 3) << u;
  // Equal logits: the nucleus is the first of them, by id.
  Sampler uniform(std::vector<float>(1000, 0.5f));
  for (double u : kSweep)
    EXPECT_EQ(uniform.choose(1.0, 0, 1e-9, u), 0) << u;
}

// 10000 evenly spaced u put each token's frequency within 1e-4 of the
// probability the inverse distribution gives it; 1e-3 leaves room.
TEST(Sampler, FrequenciesMatchTheSoftmax) {
  Sampler sampler({0.5f, -1.0f, 2.0f});
  for (double temperature : {1.0, 0.5, 3.0}) {
    std::vector<double> expected = softmax(sampler.logits, temperature);
    std::vector<double> got = sampler.frequencies(temperature, 0, 1.0);
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_NEAR(got[i], expected[i], 1e-3) << "token " << i << " at T " << temperature;
  }
}

TEST(Sampler, TopKTwoNeverPicksTheThird) {
  Sampler sampler({1.0f, 0.0f, 0.5f});
  std::vector<double> got = sampler.frequencies(1.0, 2, 1.0);
  EXPECT_EQ(got[1], 0.0);
  // The two kept, renormalized.
  double e = std::exp(-0.5);
  EXPECT_NEAR(got[0], 1 / (1 + e), 1e-3);
  EXPECT_NEAR(got[2], e / (1 + e), 1e-3);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingIt) {
  // Probabilities 0.5, 0.3, 0.2: a nucleus of 0.75 holds the first two.
  Sampler sampler({std::log(0.3f), std::log(0.5f), std::log(0.2f)});
  std::vector<double> got = sampler.frequencies(1.0, 0, 0.75);
  EXPECT_NEAR(got[1], 0.5 / 0.8, 1e-3);
  EXPECT_NEAR(got[0], 0.3 / 0.8, 1e-3);
  EXPECT_EQ(got[2], 0.0);
}

// Against a nucleus computed by sorting the whole vocabulary: the cut
// before sorting must not change the set.
TEST(Sampler, TopPOfALargeVocabularyIsTheSortedPrefix) {
  loom_rng rng;
  loom_rng_seed(&rng, 4, "logits");
  std::vector<float> logits(1000);
  for (float &x : logits)
    x = static_cast<float>(2.0 * loom_rng_normal(&rng));
  Sampler sampler(logits);
  for (double topP : {0.05, 0.5, 0.9, 0.999}) {
    std::vector<double> p = softmax(logits, 1.0);
    std::vector<int> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    std::set<int> nucleus;
    double cumulative = 0;
    for (int id : order) {
      if (!nucleus.empty() && cumulative >= topP)
        break;
      nucleus.insert(id);
      cumulative += p[id];
    }
    std::vector<double> got = sampler.frequencies(1.0, 0, topP, 2000);
    for (size_t id = 0; id < got.size(); ++id)
      if (got[id] > 0)
        EXPECT_TRUE(nucleus.count(static_cast<int>(id))) << id << " at top-p " << topP;
    // The most likely token keeps its renormalized share.
    EXPECT_NEAR(got[order[0]], p[order[0]] / cumulative, 1e-3) << topP;
  }
}

TEST(Sampler, NanLogitsAreNeverChosen) {
  Sampler sampler({NAN, 1.0f, NAN, 0.0f});
  for (double u : kSweep) {
    int32_t id = sampler.choose(1.0, 0, 1.0, u);
    EXPECT_TRUE(id == 1 || id == 3) << u;
  }
}

// The same seed and sample index give the same tokens; another index,
// other ones.
TEST(Sampler, ReproducibleFromSeedAndIndex) {
  loom_rng rng;
  loom_rng_seed(&rng, 9, "logits");
  std::vector<float> logits(50);
  for (float &x : logits)
    x = static_cast<float>(loom_rng_normal(&rng));
  Sampler sampler(logits);
  auto draw = [&](uint64_t index) {
    loom_rng stream;
    loom_sampler_rng(&stream, 1234, index);
    std::vector<int32_t> ids;
    for (int i = 0; i < 64; ++i)
      ids.push_back(sampler.choose(0.8, 20, 0.95, loom_rng_uniform(&stream)));
    return ids;
  };
  EXPECT_EQ(draw(0), draw(0));
  EXPECT_EQ(draw(3), draw(3));
  EXPECT_NE(draw(0), draw(1));
}

// A [2, 3] array written row 1 first reads back as NumPy would read it.
TEST(Npy, HeaderAndRowsInAnyOrder) {
  std::string path = testing::TempDir() + "/loom-runtime-test.npy";
  int64_t shape[2] = {2, 3};
  char err[256];
  loom_npy_writer writer;
  ASSERT_EQ(loom_npy_open(&writer, path.c_str(), shape, 2, err, sizeof(err)), 0) << err;
  float second[3] = {4, 5, 6}, first[3] = {1, 2, 3};
  ASSERT_EQ(loom_npy_write(&writer, 3, second, 3, err, sizeof(err)), 0) << err;
  ASSERT_EQ(loom_npy_write(&writer, 0, first, 3, err, sizeof(err)), 0) << err;
  EXPECT_EQ(loom_npy_write(&writer, 4, first, 3, err, sizeof(err)), -1);
  ASSERT_EQ(loom_npy_commit(&writer, err, sizeof(err)), 0) << err;
  std::ifstream file(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t header = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + header) % 64, 0u);
  ASSERT_EQ(bytes.size(), 10 + header + 6 * sizeof(float));
  std::string dict = bytes.substr(10, header);
  EXPECT_EQ(dict.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), 0u) << dict;
  EXPECT_EQ(dict.back(), '\n');
  std::vector<float> data(6);
  std::memcpy(data.data(), bytes.data() + 10 + header, 6 * sizeof(float));
  EXPECT_EQ(data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  std::remove(path.c_str());
}

} // namespace

TEST(Resources, AStepThatDoesNotFitIsRefusedWithTheFigures) {
  char err[512] = "";
  // 3 GiB on a 2 GiB machine: both figures in the message.
  EXPECT_EQ(loom_check_plan_fits(int64_t(3) << 30, int64_t(2) << 30, err, sizeof err), -1);
  EXPECT_NE(std::string(err).find("needs 3.00 GiB"), std::string::npos) << err;
  EXPECT_NE(std::string(err).find("the 2.00 GiB of memory this machine has"),
            std::string::npos)
      << err;
  // What fits, or an unknown machine, passes.
  EXPECT_EQ(loom_check_plan_fits(int64_t(1) << 30, int64_t(2) << 30, err, sizeof err), 0);
  EXPECT_EQ(loom_check_plan_fits(int64_t(3) << 30, 0, err, sizeof err), 0);
  // This machine's memory is known (Linux: /proc/meminfo).
  EXPECT_GT(loom_machine_memory_bytes(), int64_t(64) << 20);
}

TEST(Resources, ACheckpointThatDoesNotFitIsRefusedWithTheFigures) {
  char err[512] = "";
  EXPECT_EQ(loom_checkpoint_space(int64_t(300) << 20, int64_t(100) << 20, "ckpt", err,
                                  sizeof err),
            -1);
  EXPECT_NE(std::string(err).find("--checkpoint-dir: ckpt: a checkpoint needs 300.0 MiB "
                                   "and the file system has 100.0 MiB free"),
            std::string::npos)
      << err;
  EXPECT_EQ(loom_checkpoint_space(int64_t(100) << 20, int64_t(300) << 20, "ckpt", err,
                                  sizeof err),
            0);
  EXPECT_EQ(loom_checkpoint_space(int64_t(100) << 20, -1, "ckpt", err, sizeof err), 0);
}
