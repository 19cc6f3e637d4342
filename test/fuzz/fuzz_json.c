/*===- fuzz_json.c - libFuzzer target: the runtime's JSON parser ---------===*
 *
 * json_parse reads checkpoints' metadata and GPT-2's encoder.json, both of
 * which may come from elsewhere: any bytes must give a value or an error,
 * never a read or write out of bounds, a leak or a hang.
 *
 *===----------------------------------------------------------------------===*/

#include "json.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  json_value *value = json_parse((const char *)data, size, err, sizeof err);
  if (value) {
    /* Walk what the readers look up. */
    const json_value *step = json_member(value, "step");
    if (step)
      (void)json_integer(step);
    json_free(value);
  }
  return 0;
}
