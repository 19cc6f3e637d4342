/*===- gradcheck.h - Gradients against finite differences of the loss ---===*/

#ifndef LOOM_RUNTIME_GRADCHECK_H
#define LOOM_RUNTIME_GRADCHECK_H

#include "tensors.h"

#include <stdint.h>
#include <stdio.h>

/* With the current batch in the input buffers, computes every gradient with
 * the compiled forward and backward pass, then compares sampled entries of each
 * with the central difference (L(w + h) − L(w − h)) / 2h of the compiled
 * forward pass. Prints one line per entry and a summary; returns the number
 * of entries outside the tolerance. Parameters are left as they were. */
int loom_grad_check(loom_tensors *tensors, uint64_t seed, FILE *out);

#endif /* LOOM_RUNTIME_GRADCHECK_H */
