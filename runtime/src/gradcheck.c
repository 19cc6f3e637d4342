/*===- gradcheck.c - Gradients against finite differences of the loss ---===*/

#include "gradcheck.h"

#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Entries sampled per parameter, the step h (relative to the entry's
 * magnitude where that exceeds 1), and the tolerance: an entry passes when
 * |fd - g| <= kAbsTol + kRelTol * max(|fd|, |g|).
 *
 * The gradient is computed in f64 and rounded to f32 when it is stored:
 * 6e-8 relative, well inside kRelTol. The finite difference (below) is
 * exact to O(h^4) in the model's derivatives, about 1e-12, and carries the
 * loss's f64 rounding, about 1e-15 |L| / h: both far inside kAbsTol. A
 * wrong rule misses by far more: GELU's tanh form against its erf form,
 * the nearest wrong rule there is, differs by 1e-4 to 1e-3 relative. */
enum { kEntriesPerParam = 6 };
static const double kStep = 1e-3;
static const double kAbsTol = 1e-9;
static const double kRelTol = 1e-6;

/* The derivative of the loss along one entry from L(w + a), L(w) and
 * L(w - b), with a and b the steps the f32 entry actually takes (rounding
 * makes them differ a little, and the even formula would then be off by
 * (a - b) L''/2): exact for quadratics, off by (a b / 6) L''' + O(h^3). */
static double three_point(double plus, double loss, double minus, double a,
                          double b) {
  return (b * b * (plus - loss) + a * a * (loss - minus)) / (a * b * (a + b));
}

/* three_point at step h around entry j, which it leaves as it was;
 * `product` receives a b. */
static double difference(void *const *buffers, float *param, int64_t j,
                         double loss, double h, double *product) {
  float saved = param[j];
  float up = (float)(saved + h), down = (float)(saved - h);
  double a = (double)up - saved, b = (double)saved - down;
  param[j] = up;
  double plus = loom_eval_loss(buffers);
  param[j] = down;
  double minus = loom_eval_loss(buffers);
  param[j] = saved;
  *product = a * b;
  return three_point(plus, loss, minus, a, b);
}

/* Richardson's extrapolation of the differences at h and h/2: their
 * leading errors are proportional to a b, which it cancels. */
static double finite_difference(void *const *buffers, float *param, int64_t j,
                                double loss) {
  double h = kStep * (fabs(param[j]) > 1.0 ? fabs(param[j]) : 1.0);
  double coarse_ab, fine_ab;
  double coarse = difference(buffers, param, j, loss, h, &coarse_ab);
  double fine = difference(buffers, param, j, loss, h / 2, &fine_ab);
  return (coarse_ab * fine - fine_ab * coarse) / (coarse_ab - fine_ab);
}

const char *loom_grad_check_unavailable(const loom_model_info *model) {
  if (model->precision == LOOM_PRECISION_FP64)
    return NULL;
  return "this executable computes in f32, whose rounding finite differences "
         "cannot tell from a wrong gradient; build the model with loomc "
         "--precision=fp64 to check its gradients";
}

int loom_grad_check(loom_tensors *tensors, uint64_t seed, FILE *out) {
  const loom_model_info *model = tensors->model;
  loom_forward_backward(tensors->buffers);
  double at = loom_eval_loss(tensors->buffers);
  fprintf(out, "gradient check in f64 at loss %.12f (h = %g and h/2, "
               "extrapolated; pass: |fd - g| <= %g + %g * max(|fd|, |g|))\n",
          at, kStep, kAbsTol, kRelTol);

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
      double fd = finite_difference(tensors->buffers, param, j, at);
      double analytic = grad[j];
      double scale = fabs(fd) > fabs(analytic) ? fabs(fd) : fabs(analytic);
      double error = fabs(fd - analytic);
      int ok = error <= kAbsTol + kRelTol * scale;
      double relative = scale > 0 ? error / scale : 0.0;
      if (scale > kAbsTol && relative > worst)
        worst = relative;
      ++checked;
      failures += !ok;
      fprintf(out, "  %-40s [%8lld]  gradient % .9e  finite difference % .9e  %s\n",
              info->name, (long long)j, analytic, fd, ok ? "ok" : "MISMATCH");
    }
  }
  fprintf(out, "gradient check: %d of %d entries within tolerance (largest "
               "relative error %.2e)\n",
          checked - failures, checked, worst);
  return failures;
}
