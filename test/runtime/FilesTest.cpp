//===- FilesTest.cpp - Unit tests of checkpoints and token files ----------===//
//
// Safetensors loading must refuse anything that is not exactly the model's
// parameters, naming the tensor, and leave the parameters untouched when it
// does; saving must round-trip. Token files must be read in both formats
// and batched in the documented sequential order.
//
//===----------------------------------------------------------------------===//

extern "C" {
#include "data.h"
#include "half_floats.h"
#include "safetensors.h"
#include "tokens.h"
}

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

std::string tempPath(const std::string &name) {
  return testing::TempDir() + "/loom-files-test-" + name;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

// A safetensors file: an 8-byte little-endian header length, the JSON
// header, then `data`.
std::string safetensors(const std::string &header, const std::string &data) {
  std::string bytes(8, '\0');
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>(size >> (8 * i));
  return bytes + header + data;
}

std::string floats(std::vector<float> values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(float));
}

// A model with two parameters, w f32[2, 3] and b f32[3].
struct TwoParameterModel {
  int64_t wShape[2] = {2, 3}, bShape[1] = {3};
  loom_tensor_info tensors[3] = {
      {"w", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, wShape, 0, 0, 0, -1},
      {"b", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 1, LOOM_INIT_ZEROS, bShape, 0, 0, 0, -1},
      {"w", LOOM_ROLE_GRAD, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, wShape, 0, 0, 0, -1},
  };
  loom_model_info info = {LOOM_ABI_VERSION, 3, tensors, "two\"params", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  loom_tensors buffers{};
  TwoParameterModel() { loom_tensors_alloc(&buffers, &info, -1); }
  ~TwoParameterModel() { loom_tensors_free(&buffers); }
  float *w() { return static_cast<float *>(buffers.buffers[0]); }
  float *b() { return static_cast<float *>(buffers.buffers[1]); }

  // Loads `bytes` written to a file; returns the error, empty on success.
  std::string load(const std::string &bytes) {
    std::string path = tempPath("load.safetensors");
    writeFile(path, bytes);
    char err[512] = {0};
    int status = loom_load_safetensors(&buffers, path.c_str(), nullptr, err, sizeof(err));
    std::string message = err;
    size_t colon = message.find(": ");
    return status == 0 ? "" : message.substr(colon + 2); // drop the path
  }
};

const char *kGoodHeader =
    R"({"__metadata__":{"format":"pt"},)"
    R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
    R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
const std::string kGoodData = floats({1, 2, 3, 4, 5, 6, 7, 8, 9});

TEST(Safetensors, LoadsByNameInAnyOrder) {
  TwoParameterModel model;
  ASSERT_EQ(model.load(safetensors(kGoodHeader, kGoodData)), "");
  EXPECT_EQ(model.w()[0], 1.0f);
  EXPECT_EQ(model.w()[5], 6.0f);
  EXPECT_EQ(model.b()[2], 9.0f);
}

TEST(Safetensors, SkipsGpt2CausalMaskBuffers) {
  TwoParameterModel model;
  std::string header =
      R"({"h.0.attn.bias":{"dtype":"BOOL","shape":[1,1,2,2],"data_offsets":[36,40]},)"
      R"("h.11.attn.masked_bias":{"dtype":"F32","shape":[],"data_offsets":[40,44]},)"
      R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
      R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  EXPECT_EQ(model.load(safetensors(header, kGoodData + std::string(8, '\0'))), "");
  EXPECT_EQ(model.b()[0], 7.0f);
}

TEST(Safetensors, RefusesWhatIsNotTheModelNamingTheTensor) {
  TwoParameterModel model;
  std::string w = R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
  std::string b = R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]})";
  EXPECT_EQ(model.load(safetensors("{" + w + "}", kGoodData)), "missing tensor 'b'");
  EXPECT_EQ(model.load(safetensors(
                "{" + w + "," + b + R"(,"h.0.mlp.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                kGoodData)),
            "unexpected tensor 'h.0.mlp.bias': the model has no parameter of that name");
  EXPECT_EQ(model.load(safetensors(
                "{" + w + R"(,"b":{"dtype":"I16","shape":[3],"data_offsets":[24,30]}})", kGoodData)),
            "tensor 'b' is I16; the model needs F32 (or BF16, F16)");
  EXPECT_EQ(model.load(safetensors(
                "{" + b + R"(,"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}})", kGoodData)),
            "tensor 'w' has shape [3, 2]; the model needs [2, 3]");
  EXPECT_EQ(model.load(safetensors(
                "{" + b + R"(,"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", kGoodData)),
            "tensor 'w': data_offsets [0, 20] do not hold 24 bytes");
  EXPECT_EQ(model.load(safetensors("{" + w + "," + b + "," + b + "}", kGoodData)),
            "tensor 'b' appears twice in the header");
  EXPECT_EQ(model.load(safetensors("{" + w + R"(,"b":{"dtype":"F32"}})", kGoodData)),
            "tensor 'b': malformed entry (needs dtype, shape and data_offsets)");
}

TEST(Safetensors, RefusesTruncatedAndMalformedFiles) {
  TwoParameterModel model;
  std::string whole = safetensors(kGoodHeader, kGoodData);
  EXPECT_EQ(model.load(whole.substr(0, whole.size() - 4)),
            "truncated: tensor 'b' needs bytes [24, 36) of the data, which has 32");
  EXPECT_EQ(model.load(whole.substr(0, 5)), "truncated: no 8-byte header length");
  EXPECT_NE(model.load(safetensors("{\"w\": [", "")).find("header:"), std::string::npos);
  EXPECT_EQ(model.load(safetensors("[1, 2]", "")), "header: not a JSON object");
  std::string huge = whole;
  huge[6] = 1; // a header length of 2^48
  EXPECT_NE(model.load(huge).find("malformed: the header claims"), std::string::npos);
}

TEST(Safetensors, RefusedFilesLeaveTheParametersAlone) {
  TwoParameterModel model;
  model.w()[0] = 42.0f;
  std::string w = R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
  EXPECT_NE(model.load(safetensors("{" + w + "}", kGoodData)), "");
  EXPECT_EQ(model.w()[0], 42.0f);
}

TEST(Safetensors, SavedFilesLoadBack) {
  TwoParameterModel saved;
  for (int i = 0; i < 6; ++i)
    saved.w()[i] = 0.5f * i;
  saved.b()[1] = -3.0f;
  std::string path = tempPath("saved.safetensors");
  char err[512] = {0};
  ASSERT_EQ(loom_save_safetensors(&saved.buffers, path.c_str(), 0, err, sizeof(err)), 0) << err;
  TwoParameterModel loaded;
  ASSERT_EQ(loom_load_safetensors(&loaded.buffers, path.c_str(), nullptr, err, sizeof(err)), 0) << err;
  EXPECT_EQ(std::memcmp(saved.w(), loaded.w(), 6 * sizeof(float)), 0);
  EXPECT_EQ(loaded.b()[1], -3.0f);
  // Written next to the target and renamed: no temporary is left behind.
  EXPECT_EQ(std::fopen((path + ".tmp").c_str(), "rb"), nullptr);
}

// 16-bit little-endian values, as a safetensors file stores them.
std::string halves(std::vector<uint16_t> values) {
  std::string bytes;
  for (uint16_t v : values) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>(v >> 8));
  }
  return bytes;
}

TEST(HalfFloats, WidenExactlyAndRoundToNearestEven) {
  EXPECT_EQ(loom_bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(loom_bf16_to_f32(0xc040), -3.0f);
  EXPECT_EQ(loom_bf16_to_f32(0x0001), std::ldexp(1.0f, -133)); // subnormal
  EXPECT_TRUE(std::isinf(loom_bf16_to_f32(0x7f80)));
  EXPECT_TRUE(std::isnan(loom_bf16_to_f32(0x7fc0)));
  EXPECT_EQ(loom_f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(loom_f16_to_f32(0xc500), -5.0f);
  EXPECT_EQ(loom_f16_to_f32(0x7bff), 65504.0f);               // largest
  EXPECT_EQ(loom_f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // subnormal
  EXPECT_EQ(loom_f16_to_f32(0x83ff), -std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(loom_f16_to_f32(0xfc00)));
  EXPECT_TRUE(std::isnan(loom_f16_to_f32(0x7e00)));
  EXPECT_EQ(loom_f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 lies halfway between bf16's 1 and 1 + 2^-7: to even (1).
  EXPECT_EQ(loom_f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  // 1 + 3·2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: to even (1 + 2^-6).
  EXPECT_EQ(loom_f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(loom_f32_to_bf16(1.0f + 5 * std::ldexp(1.0f, -9)), 0x3f81);
  EXPECT_EQ(loom_f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_TRUE(std::isnan(loom_bf16_to_f32(loom_f32_to_bf16(NAN))));
  // The largest finite floats round up to infinity, as IEEE rounding does.
  EXPECT_EQ(loom_f32_to_bf16(3.4028235e38f), 0x7f80);
}

TEST(Safetensors, WidensBf16AndF16Parameters) {
  TwoParameterModel model;
  std::string header =
      R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
      R"("b":{"dtype":"F16","shape":[3],"data_offsets":[12,18]}})";
  std::string data = halves({0x3f80, 0x4000, 0x4040, 0xbf80, 0x0000, 0x3e80}) +
                     halves({0x3c00, 0xc500, 0x0001});
  std::string path = tempPath("halves.safetensors");
  writeFile(path, safetensors(header, data));
  char err[512] = {0};
  int widened = 0;
  ASSERT_EQ(loom_load_safetensors(&model.buffers, path.c_str(), &widened, err,
                                  sizeof(err)), 0) << err;
  EXPECT_EQ(widened, 2);
  const float w[] = {1, 2, 3, -1, 0, 0.25f};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(model.w()[i], w[i]) << i;
  EXPECT_EQ(model.b()[0], 1.0f);
  EXPECT_EQ(model.b()[1], -5.0f);
  EXPECT_EQ(model.b()[2], std::ldexp(1.0f, -24));
}

TEST(Safetensors, RefusesOtherTypesAndSizes) {
  TwoParameterModel model;
  std::string b = R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]})";
  // A BF16 tensor whose offsets hold F32's bytes.
  EXPECT_EQ(model.load(safetensors(
                R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,24]},)" + b + "}",
                kGoodData)),
            "tensor 'w': data_offsets [0, 24] do not hold 12 bytes");
  EXPECT_EQ(model.load(safetensors(
                R"({"w":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]},)" + b + "}",
                kGoodData + kGoodData)),
            "tensor 'w' is F64; the model needs F32 (or BF16, F16)");
}

TEST(Safetensors, SavesBf16RoundedAndLoadsItBack) {
  TwoParameterModel saved;
  for (int i = 0; i < 6; ++i)
    saved.w()[i] = 1.0f + i * std::ldexp(1.0f, -9); // below bf16's precision
  saved.b()[0] = -3.0f;
  std::string path = tempPath("bf16.safetensors");
  char err[512] = {0};
  ASSERT_EQ(loom_save_safetensors(&saved.buffers, path.c_str(), 1, err, sizeof(err)), 0) << err;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in.tellg();
  TwoParameterModel loaded;
  int widened = 0;
  ASSERT_EQ(loom_load_safetensors(&loaded.buffers, path.c_str(), &widened, err,
                                  sizeof(err)), 0) << err;
  EXPECT_EQ(widened, 2);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(loaded.w()[i], loom_bf16_to_f32(loom_f32_to_bf16(saved.w()[i]))) << i;
  EXPECT_EQ(loaded.b()[0], -3.0f);
  // Half the data of F32: 9 values of 2 bytes after the header.
  uint64_t header = 0;
  std::ifstream again(path, std::ios::binary);
  unsigned char length[8];
  again.read(reinterpret_cast<char *>(length), 8);
  for (int i = 7; i >= 0; --i)
    header = (header << 8) | length[i];
  EXPECT_EQ(static_cast<uint64_t>(size), 8 + header + 9 * 2);
}

TEST(Safetensors, AFailedSaveKeepsTheOldFile) {
  TwoParameterModel model;
  char err[512] = {0};
  std::string path = tempPath("no-such-directory/out.safetensors");
  EXPECT_EQ(loom_save_safetensors(&model.buffers, path.c_str(), 0, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("cannot write"), std::string::npos) << err;
}

std::string uint16s(std::vector<uint16_t> values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(uint16_t));
}

TEST(Tokens, RawAndHeaderedFilesReadAlike) {
  std::vector<uint16_t> tokens = {5, 1, 4, 1, 5, 9, 2, 6};
  std::string raw = tempPath("raw.bin"), headered = tempPath("headered.bin");
  writeFile(raw, uint16s(tokens));
  std::vector<int32_t> header(256, 0);
  header[0] = 20240520;
  header[1] = 1;
  header[2] = static_cast<int32_t>(tokens.size());
  writeFile(headered, std::string(reinterpret_cast<const char *>(header.data()), 1024) +
                          uint16s(tokens));
  for (const std::string &path : {raw, headered}) {
    loom_token_file file;
    char err[512] = {0};
    ASSERT_EQ(loom_tokens_read(path.c_str(), 10, &file, err, sizeof(err)), 0) << err;
    EXPECT_EQ(file.count, 8);
    EXPECT_EQ(file.headered, path == headered);
    EXPECT_EQ(file.tokens[5], 9);
    loom_tokens_free(&file);
  }
}

// A language model of batch 3 and sequence 3 fed from a token file.
struct TokenModel {
  int64_t shape[2] = {3, 3};
  loom_tensor_info tensors[2] = {
      {"tokens", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 100, -1},
      {"targets", LOOM_ROLE_INPUT, LOOM_DTYPE_I32, 2, LOOM_INIT_ZEROS, shape, 0, 0, 100, -1},
  };
  loom_model_info model = {LOOM_ABI_VERSION, 2, tensors, "m", 1, 0, nullptr, 0.0, 0, nullptr, 0, {}, nullptr, 0, nullptr};
  loom_data_layout layout;
  TokenModel() {
    char err[256];
    EXPECT_EQ(loom_data_layout_of(&model, &layout, err, sizeof(err)), 0) << err;
  }
};

std::vector<uint16_t> iota(int count) {
  std::vector<uint16_t> values(count);
  for (int i = 0; i < count; ++i)
    values[i] = static_cast<uint16_t>(i);
  return values;
}

TEST(Tokens, SequentialOrderWrapsAround) {
  // 13 tokens hold (13 - 1) / 3 = 4 windows of 3 (with their targets).
  TokenModel m;
  std::string path = tempPath("order.bin");
  writeFile(path, uint16s(iota(13)));
  loom_data_spec spec = {};
  spec.data_path = path.c_str();
  loom_dataset *train = nullptr, *val = nullptr;
  char err[512] = {0};
  ASSERT_EQ(loom_data_open(&spec, &m.layout, &train, &val, err, sizeof(err)), 0) << err;
  EXPECT_EQ(val, nullptr);
  EXPECT_EQ(loom_data_batches(train), 1);
  // Batch 1 takes windows 3, 4, 5, that is 3, 0, 1.
  std::vector<int32_t> inputs(9), targets(9);
  loom_data_batch(train, 1, inputs.data(), targets.data());
  EXPECT_EQ(inputs, (std::vector<int32_t>{9, 10, 11, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(targets, (std::vector<int32_t>{10, 11, 12, 1, 2, 3, 4, 5, 6}));
  loom_data_free(train);
}

TEST(Tokens, RowsDependOnTheirNumberAlone) {
  // Batch k of B rows holds rows kB .. kB + B - 1, in either order, so two
  // batches of 3 rows are one batch of 6 (what --accum relies on), and a
  // batch reads the same whenever it is read (what --resume relies on).
  TokenModel m;
  std::string path = tempPath("rows.bin");
  writeFile(path, uint16s(iota(100)));
  for (int random : {0, 1}) {
    loom_data_spec spec = {};
    spec.data_path = path.c_str();
    spec.random_order = random;
    spec.seed = 7;
    loom_dataset *train = nullptr, *val = nullptr;
    char err[512] = {0};
    ASSERT_EQ(loom_data_open(&spec, &m.layout, &train, &val, err, sizeof(err)), 0) << err;
    std::vector<int32_t> a(9), b(9), again(9), targets(9);
    loom_data_batch(train, 4, a.data(), targets.data());
    loom_data_batch(train, 5, b.data(), targets.data());
    loom_data_batch(train, 4, again.data(), targets.data());
    EXPECT_EQ(a, again);
    EXPECT_NE(a, b);
    for (int i = 0; i < 9; ++i)
      EXPECT_EQ(targets[i], again[i] + 1); // windows of consecutive tokens
    if (!random) // rows 12, 13, 14 of 33 windows
      EXPECT_EQ(a[0], 36);
    loom_data_free(train);
  }
}

TEST(Tokens, TheValidationSplitIsTheEnd) {
  TokenModel m;
  std::string path = tempPath("split.bin");
  writeFile(path, uint16s(iota(100)));
  loom_data_spec spec = {};
  spec.data_path = path.c_str();
  spec.val_fraction = 0.2;
  spec.random_order = 1;
  loom_dataset *train = nullptr, *val = nullptr;
  char err[512] = {0};
  ASSERT_EQ(loom_data_open(&spec, &m.layout, &train, &val, err, sizeof(err)), 0) << err;
  EXPECT_EQ(loom_data_samples(train), 80);
  EXPECT_EQ(loom_data_samples(val), 20);
  std::vector<int32_t> ids(9), targets(9);
  for (int batch = 0; batch < 50; ++batch) {
    loom_data_batch(train, batch, ids.data(), targets.data());
    for (int32_t target : targets)
      ASSERT_LT(target, 80); // training never sees a held-out token
  }
  loom_data_batch(val, 0, ids.data(), targets.data()); // in order
  EXPECT_EQ(ids, (std::vector<int32_t>{80, 81, 82, 83, 84, 85, 86, 87, 88}));
  loom_data_free(train);
  loom_data_free(val);
  // A split shorter than a batch is refused with both numbers.
  spec.val_fraction = 0.05;
  EXPECT_EQ(loom_data_open(&spec, &m.layout, &train, &val, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("the validation split (--val-fraction) holds 5 tokens, "
                                  "fewer than one batch: 3 windows of 3 tokens and a last "
                                  "target need 10"),
            std::string::npos)
      << err;
}

TEST(Tokens, RefusesBadFiles) {
  char err[512] = {0};
  loom_token_file file;
  std::string path = tempPath("bad.bin");
  writeFile(path, uint16s({1, 2, 300, 4}));
  EXPECT_EQ(loom_tokens_read(path.c_str(), 256, &file, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("token 300 at position 2 is outside the model's "
                                  "vocabulary [0, 256)"),
            std::string::npos)
      << err;
  writeFile(path, uint16s({1, 2}) + "x");
  EXPECT_EQ(loom_tokens_read(path.c_str(), 256, &file, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("5 bytes is not a whole number of uint16 tokens"),
            std::string::npos)
      << err;
  std::vector<int32_t> header(256, 0);
  header[0] = 20240520;
  header[1] = 1;
  header[2] = 100; // more than the file holds
  writeFile(path, std::string(reinterpret_cast<const char *>(header.data()), 1024) +
                      uint16s({1, 2}));
  EXPECT_EQ(loom_tokens_read(path.c_str(), 256, &file, err, sizeof(err)), -1);
  EXPECT_NE(std::string(err).find("truncated or malformed"), std::string::npos) << err;
}

} // namespace
