/*===- half_floats.c - bf16 and f16 to and from f32 ----------------------===*
 *
 * For checkpoints of other precisions (Hugging Face's Llama weights are
 * bf16; many others f16): read into Loom's f32 parameters, and parameters
 * written as bf16 for inference.
 *
 *===---------------------------------------------------------------------===*/

#include "half_floats.h"

#include <string.h>

static float from_bits(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

float loom_bf16_to_f32(uint16_t bits) { return from_bits((uint32_t)bits << 16); }

float loom_f16_to_f32(uint16_t bits) {
  uint32_t sign = (uint32_t)(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  if (exponent == 0x1f) /* infinity, NaN (payload kept) */
    return from_bits(sign | 0x7f800000 | (mantissa << 13));
  if (exponent != 0)
    return from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  /* Zero and subnormals: mantissa · 2^-24, exact in f32. */
  float magnitude = (float)mantissa * (1.0f / 16777216.0f);
  return sign ? -magnitude : magnitude;
}

uint16_t loom_f32_to_bf16(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x007fffff) != 0)
    return (uint16_t)((bits >> 16) | 0x0040); /* NaN, quiet */
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return (uint16_t)((bits + rounding) >> 16);
}

void loom_widen_in_place(void *buffer, size_t count, int bf16) {
  unsigned char *bytes = buffer;
  const unsigned char *narrow = bytes + 2 * count;
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    memcpy(&bits, narrow + 2 * i, sizeof bits);
    float value = bf16 ? loom_bf16_to_f32(bits) : loom_f16_to_f32(bits);
    memcpy(bytes + 4 * i, &value, sizeof value);
  }
}
