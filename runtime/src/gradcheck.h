/*===- gradcheck.h - Gradients against finite differences of the loss ---===*/

#ifndef LOOM_RUNTIME_GRADCHECK_H
#define LOOM_RUNTIME_GRADCHECK_H

#include "tensors.h"

#include <stdint.h>
#include <stdio.h>

/* Why `model` cannot be checked, or NULL when it can: the check needs an
 * fp64 build (loomc --precision=fp64), whose losses and gradients are
 * computed in f64. Finite differences of an f32 loss measure its rounding
 * and its curvature as much as its gradient (torch.autograd.gradcheck
 * insists on double for the same reason), so no tolerance separates a
 * wrong gradient rule from them. */
const char *loom_grad_check_unavailable(const loom_model_info *model);

/* With the current batch in the input buffers, computes every gradient with
 * the compiled forward and backward pass, then compares sampled entries of each
 * with a finite difference of the compiled forward pass (three-point
 * differences at two steps, extrapolated; gradcheck.c). Prints one line per
 * entry and a summary; returns the number of entries outside the tolerance.
 * Parameters are left as they were. Call it only when
 * loom_grad_check_unavailable says it can run. */
int loom_grad_check(loom_tensors *tensors, uint64_t seed, FILE *out);

#endif /* LOOM_RUNTIME_GRADCHECK_H */
