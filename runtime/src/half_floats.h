/*===- half_floats.h - bf16 and f16 to and from f32 ----------------------===*/

#ifndef LOOM_RUNTIME_HALF_FLOATS_H
#define LOOM_RUNTIME_HALF_FLOATS_H

#include <stddef.h>
#include <stdint.h>

/* Exact: every bf16 and f16 value (subnormals, infinities, NaNs) is an f32. */
float loom_bf16_to_f32(uint16_t bits);
float loom_f16_to_f32(uint16_t bits);

/* Rounded to the nearest bf16, ties to even; NaNs stay NaNs (quiet). */
uint16_t loom_f32_to_bf16(float value);

/* Widens `count` 16-bit values, stored at the start of the upper half of
 * `buffer`'s 4·count bytes, into the f32s of the whole buffer, in place
 * (front to back: a value is read before its bytes are overwritten).
 * `bf16`: bf16, else f16. */
void loom_widen_in_place(void *buffer, size_t count, int bf16);

#endif /* LOOM_RUNTIME_HALF_FLOATS_H */
