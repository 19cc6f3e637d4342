//===- RuntimeTest.cpp - Unit tests of the training runtime ---------------===//

extern "C" {
#include "data.h"
#include "flags.h"
#include "footprint.h"
#include "rng.h"
#include "tensors.h"
}

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
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
  loom_model_info info = {LOOM_ABI_VERSION, 5, tensors, "fake", 1, 0, nullptr, 0.0, 0, nullptr, 0};
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
  loom_model_info model = {LOOM_ABI_VERSION, 6, tensors, "m", 1, 2, nullptr, 0.0, 0, nullptr, 1 << 20};
  const int64_t table = 64 * 50 * 4;
  EXPECT_EQ(loom_planned_bytes(&model, 0), 3 * table + 200 + (1 << 20));
  EXPECT_EQ(loom_planned_bytes(&model, 1), 4 * table + 200 + (1 << 20));
  EXPECT_EQ(loom_planned_bytes(&model, -1), 2 * table + 200 + (1 << 20));
  EXPECT_GT(loom_peak_rss_bytes(), 0);
}

TEST(Data, SyntheticLabelsAreLearnableAndInRange) {
  int64_t featureShape[2] = {32, 6}, labelShape[1] = {32};
  loom_tensor_info tensors[2] = {
      {"x", LOOM_ROLE_INPUT, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, featureShape, 0, 0, 0, -1},
      {"labels", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 1, LOOM_INIT_ZEROS, labelShape, 0, 0, 4, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 2, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0};
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
  loom_model_info model = {LOOM_ABI_VERSION, 2, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0};
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
  loom_model_info model = {LOOM_ABI_VERSION, 1, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0};
  char err[256];
  loom_data_layout layout;
  EXPECT_EQ(loom_data_layout_of(&model, &layout, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("this model's 1 input fit neither"), std::string::npos) << err;
}

} // namespace
