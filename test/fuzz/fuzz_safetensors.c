/*===- fuzz_safetensors.c - libFuzzer target: the safetensors reader -----===*
 *
 * loom_safetensors_read on any bytes, asked for the tensors of a small
 * model (F32, with BF16 and F16 widened, as --init-from reads them): it
 * must load them or refuse the file with a message, never read or write
 * out of bounds, allocate more than the file justifies, or hang.
 *
 *===----------------------------------------------------------------------===*/

#include "fuzz_input_file.h"
#include "safetensors.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file("safetensors", data, size);
  if (!path)
    return 0;
  static const int64_t matrixShape[] = {2, 3}, vectorShape[] = {4};
  static const loom_tensor_info matrix = {"w", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, 0,
                                          matrixShape, 0, 0, 0, -1};
  static const loom_tensor_info vector = {"b", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 1, 0,
                                          vectorShape, 0, 0, 0, -1};
  float w[6], b[4];
  loom_named_tensor wanted[] = {{"w", &matrix, w}, {"b", &vector, b}};
  char err[512];
  int widened = 0;
  (void)loom_safetensors_read(path, wanted, 2, "parameter", NULL, NULL, /*widen=*/1,
                              &widened, err, sizeof err);
  return 0;
}
