/*===- gradcheck.c - Gradients against finite differences of the loss ---===*/

#include "gradcheck.h"

#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Entries sampled per parameter, the step h, and the tolerance: an entry
 * passes when |fd − g| <= kAbsTol + kRelTol·max(|fd|, |g|). The losses are
 * f32, so the difference quotient carries an absolute error of about
 * 1e-7·|L| / h; kAbsTol is well above that. */
enum { kEntriesPerParam = 6 };
static const double kStep = 1e-2;
static const double kAbsTol = 2e-4;
static const double kRelTol = 3e-2;

int loom_grad_check(loom_tensors *tensors, uint64_t seed, FILE *out) {
  const loom_model_info *model = tensors->model;
  float loss = loom_forward_backward(tensors->buffers);
  fprintf(out, "gradient check at loss %.6f (h = %g, pass: |fd - g| <= %g + "
               "%g * max(|fd|, |g|))\n",
          loss, kStep, kAbsTol, kRelTol);

  loom_rng rng;
  loom_rng_seed(&rng, seed, "grad-check");
  int checked = 0, failures = 0;
  double worst = 0.0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    if (info->role != LOOM_ROLE_PARAM)
      continue;
    int g = loom_find_tensor(model, LOOM_ROLE_GRAD, info->name);
    if (g < 0)
      continue;
    float *param = tensors->buffers[i];
    const float *grad = tensors->buffers[g];
    int64_t n = loom_tensor_numel(info);
    int64_t samples = n < kEntriesPerParam ? n : kEntriesPerParam;
    for (int64_t s = 0; s < samples; ++s) {
      int64_t j = samples == n ? s : (int64_t)(loom_rng_next(&rng) % (uint64_t)n);
      float saved = param[j];
      float up = (float)(saved + kStep), down = (float)(saved - kStep);
      param[j] = up;
      double plus = loom_eval_loss(tensors->buffers);
      param[j] = down;
      double minus = loom_eval_loss(tensors->buffers);
      param[j] = saved;
      /* Divide by the f32 step actually taken, not the nominal one. */
      double fd = (plus - minus) / ((double)up - (double)down);
      double analytic = grad[j];
      double scale = fabs(fd) > fabs(analytic) ? fabs(fd) : fabs(analytic);
      double error = fabs(fd - analytic);
      int ok = error <= kAbsTol + kRelTol * scale;
      double relative = scale > 0 ? error / scale : 0.0;
      if (scale > kAbsTol && relative > worst)
        worst = relative;
      ++checked;
      failures += !ok;
      fprintf(out, "  %-40s [%8lld]  gradient % .6e  finite difference % .6e  %s\n",
              info->name, (long long)j, analytic, fd, ok ? "ok" : "MISMATCH");
    }
  }
  fprintf(out, "gradient check: %d of %d entries within tolerance (largest "
               "relative error %.2e)\n",
          checked - failures, checked, worst);
  return failures;
}
