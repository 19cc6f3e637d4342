/*===- main.c - The training executable's entry point -------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "data.h"
#include "flags.h"
#include "gradcheck.h"
#include "tensors.h"

#include "loom/runtime/abi.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void print_info(const loom_model_info *model, FILE *out) {
  int64_t parameters = 0;
  fprintf(out, "model %s (%s, %s)\n", model->model_name,
          model->fused ? "fused" : "unfused", model->optimizer);
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    static const char *roles[] = {"parameter", "gradient", "state", "input"};
    char type[96];
    loom_format_type(info, type, sizeof(type));
    fprintf(out, "  %-10s %-36s %s\n", roles[info->role], info->name, type);
    if (info->role == LOOM_ROLE_PARAM)
      parameters += loom_tensor_numel(info);
  }
  fprintf(out, "%lld parameters; %.3f GFLOP per training step in matrix "
               "products\n",
          (long long)parameters, model->train_step_flops * 1e-9);
}

/* Fills the hyperparameter array in the order the compiled step reads it. */
static int hyperparameters(const loom_model_info *model,
                           const loom_options *options, float *hyper,
                           const char *program) {
  for (int32_t i = 0; i < model->num_hyper; ++i) {
    const char *name = model->hyper_names[i];
    if (strcmp(name, "lr") == 0) {
      hyper[i] = (float)options->lr;
    } else if (strcmp(name, "momentum") == 0) {
      hyper[i] = (float)options->momentum;
    } else {
      fprintf(stderr, "%s: error: the compiled step needs hyperparameter '%s', "
                      "which this runtime does not know\n",
              program, name);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  const loom_model_info *model = &loom_model;
  const char *program = model->model_name;
  if (model->abi_version != LOOM_ABI_VERSION) {
    fprintf(stderr, "%s: error: compiled for runtime ABI %d, linked with %d\n",
            program, model->abi_version, LOOM_ABI_VERSION);
    return 1;
  }
  loom_options options;
  loom_default_options(&options);
  switch (loom_parse_flags(argc, argv, &options, program, stdout, stderr)) {
  case LOOM_FLAGS_HELP:
    return 0;
  case LOOM_FLAGS_ERROR:
    return 1;
  case LOOM_FLAGS_OK:
    break;
  }
  if (options.info) {
    print_info(model, stdout);
    return 0;
  }
  if (options.threads > 0)
    omp_set_num_threads(options.threads);

  char err[512];
  loom_data_layout layout;
  if (loom_data_layout_of(model, &layout, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, err);
    return 1;
  }
  loom_dataset *data =
      options.data_path
          ? loom_data_open(options.data_path, &layout, err, sizeof(err))
          : loom_data_synthetic(&layout, options.seed);
  if (!data) {
    fprintf(stderr, "%s: error: %s\n", program,
            options.data_path ? err : "out of memory");
    return 1;
  }

  loom_tensors tensors;
  if (loom_tensors_alloc(&tensors, model) != 0) {
    fprintf(stderr, "%s: error: out of memory for the model's tensors\n",
            program);
    return 1;
  }
  loom_tensors_init(&tensors, options.seed);
  void *features = tensors.buffers[layout.features_index];
  void *targets = tensors.buffers[layout.target_index];

  if (options.grad_check) {
    loom_data_next_batch(data, features, targets);
    int failures = loom_grad_check(&tensors, options.seed, stdout);
    loom_tensors_free(&tensors);
    loom_data_free(data);
    return failures == 0 ? 0 : 1;
  }

  float *hyper = calloc((size_t)(model->num_hyper > 0 ? model->num_hyper : 1),
                        sizeof(float));
  double *times = calloc((size_t)(options.steps > 0 ? options.steps : 1),
                         sizeof(double));
  if (!hyper || !times || hyperparameters(model, &options, hyper, program) != 0)
    return 1;
  if (options.data_path)
    printf("%s: training on %s (%lld samples), batch %lld\n", program,
           options.data_path, (long long)loom_data_samples(data),
           (long long)layout.batch);
  else
    printf("%s: training on synthetic data (seed %llu), batch %lld\n", program,
           (unsigned long long)options.seed, (long long)layout.batch);

  float first = NAN, last = NAN;
  for (int64_t step = 1; step <= options.steps; ++step) {
    loom_data_next_batch(data, features, targets);
    double start = now_ms();
    float loss = loom_train_step(tensors.buffers, hyper, step);
    double elapsed = now_ms() - start;
    times[step - 1] = elapsed;
    if (!isfinite(loss)) {
      fprintf(stderr, "%s: error: the loss is %f at step %lld; lower --lr?\n",
              program, loss, (long long)step);
      return 1;
    }
    if (step == 1)
      first = loss;
    last = loss;
    if (step % options.print_every == 0 || step == options.steps)
      printf("step %lld loss %.6f (%.3f ms)\n", (long long)step, loss, elapsed);
  }
  if (options.steps > 0) {
    qsort(times, (size_t)options.steps, sizeof(double), compare_doubles);
    double median = times[options.steps / 2];
    printf("%s: %lld steps, loss %.6f -> %.6f, median %.3f ms/step (%.1f "
           "GFLOP/s in matrix products)\n",
           program, (long long)options.steps, first, last, median,
           model->train_step_flops / (median * 1e6));
  }
  free(times);
  free(hyper);
  loom_tensors_free(&tensors);
  loom_data_free(data);
  return 0;
}
