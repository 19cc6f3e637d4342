/*===- main.c - The training executable's entry point -------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "data.h"
#include "flags.h"
#include "footprint.h"
#include "gradcheck.h"
#include "profile.h"
#include "safetensors.h"
#include "tensors.h"

#include "loom/runtime/abi.h"

#include <malloc.h>
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
  int width = 0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    int length = (int)strlen(model->tensors[i].name);
    width = length > width ? length : width;
  }
  fprintf(out, "model %s (%s)\n", model->model_name,
          model->fused ? "fused" : "unfused");
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    static const char *roles[] = {"parameter", "gradient", "state", "input"};
    char type[96];
    loom_format_type(info, type, sizeof(type));
    fprintf(out, "  %-10s %-*s %s\n", roles[info->role], width, info->name,
            type);
    if (info->role == LOOM_ROLE_PARAM)
      parameters += loom_tensor_numel(info);
  }
  for (int32_t o = 0; o < model->num_optimizers; ++o) {
    const loom_optimizer_info *optimizer = &model->optimizers[o];
    fprintf(out, "optimizer %s:", optimizer->name);
    for (int32_t h = 0; h < optimizer->num_hyper; ++h)
      fprintf(out, " %s", optimizer->hyper_names[h]);
    fprintf(out, "\n");
  }
  fprintf(out, "%lld parameters; %.3f GFLOP per training step in matrix "
               "products; %.1f MiB of intermediates (loomc's memory plan)\n",
          (long long)parameters, model->train_step_flops * 1e-9,
          (double)model->arena_bytes / (1 << 20));
}

static int find_optimizer(const loom_model_info *model, const char *name) {
  for (int32_t o = 0; o < model->num_optimizers; ++o)
    if (strcmp(model->optimizers[o].name, name) == 0)
      return o;
  return -1;
}

/* Fills the hyperparameter array in the order the compiled update reads it. */
static int hyperparameters(const loom_optimizer_info *optimizer,
                           const loom_options *options, float *hyper,
                           const char *program) {
  const struct {
    const char *name;
    double value;
  } known[] = {
      {"lr", loom_learning_rate(options)},
      {"momentum", options->momentum},
      {"beta1", options->beta1},
      {"beta2", options->beta2},
      {"eps", options->eps},
      {"weight_decay", options->weight_decay},
  };
  for (int32_t i = 0; i < optimizer->num_hyper; ++i) {
    const char *name = optimizer->hyper_names[i];
    size_t k = 0;
    while (k < sizeof(known) / sizeof(known[0]) &&
           strcmp(known[k].name, name) != 0)
      ++k;
    if (k == sizeof(known) / sizeof(known[0])) {
      fprintf(stderr, "%s: error: the compiled %s update needs hyperparameter "
                      "'%s', which this runtime does not know\n",
              program, optimizer->name, name);
      return -1;
    }
    hyper[i] = (float)known[k].value;
  }
  return 0;
}

/* The training loop; returns the process's exit status. */
static int train(const loom_model_info *model, loom_tensors *tensors,
                 loom_dataset *data, const loom_data_layout *layout,
                 int32_t optimizer, const loom_options *options,
                 const char *program) {
  float hyper[16] = {0};
  if (model->optimizers[optimizer].num_hyper > 16 ||
      hyperparameters(&model->optimizers[optimizer], options, hyper,
                      program) != 0)
    return 1;
  double *times = calloc((size_t)(options->steps > 0 ? options->steps : 1),
                         sizeof(double));
  if (!times) {
    fprintf(stderr, "%s: error: out of memory\n", program);
    return 1;
  }
  void *inputs = tensors->buffers[layout->features_index];
  void *targets = tensors->buffers[layout->target_index];
  if (loom_profile_reset(model) != 0) {
    fprintf(stderr, "%s: error: out of memory\n", program);
    free(times);
    return 1;
  }
  float first = NAN, last = NAN;
  double total_ms = 0;
  for (int64_t step = 1; step <= options->steps; ++step) {
    loom_data_next_batch(data, inputs, targets);
    double start = now_ms();
    float loss = loom_forward_backward(tensors->buffers);
    float norm = NAN, scale = 1.0f;
    if (options->grad_clip > 0) {
      /* torch.nn.utils.clip_grad_norm_'s rule. */
      norm = loom_grad_norm(tensors->buffers);
      double coefficient = options->grad_clip / ((double)norm + 1e-6);
      if (coefficient < 1.0)
        scale = (float)coefficient;
    }
    loom_update(optimizer, tensors->buffers, hyper, scale, step);
    double elapsed = now_ms() - start;
    times[step - 1] = elapsed;
    total_ms += elapsed;
    /* The first step pays for first touches of every buffer; the profile
     * covers the steps after it when there are any. */
    if (step == 1 && options->steps > 1) {
      loom_profile_reset(model);
      total_ms = 0;
    }
    if (!isfinite(loss)) {
      fprintf(stderr, "%s: error: the loss is %f at step %lld; lower --lr?\n",
              program, loss, (long long)step);
      free(times);
      return 1;
    }
    if (step == 1)
      first = loss;
    last = loss;
    if (step % options->print_every == 0 || step == options->steps) {
      if (options->grad_clip > 0)
        printf("step %lld loss %.6f grad norm %.6f (%.3f ms)\n",
               (long long)step, loss, norm, elapsed);
      else
        printf("step %lld loss %.6f (%.3f ms)\n", (long long)step, loss,
               elapsed);
    }
  }
  if (options->steps > 0) {
    qsort(times, (size_t)options->steps, sizeof(double), compare_doubles);
    double median = times[options->steps / 2];
    printf("%s: %lld steps, loss %.6f -> %.6f, median %.3f ms/step (%.1f "
           "GFLOP/s in matrix products)\n",
           program, (long long)options->steps, first, last, median,
           model->train_step_flops / (median * 1e6));
    int64_t profiled = options->steps > 1 ? options->steps - 1 : 1;
    loom_profile_report(model, profiled, total_ms, 15, stdout);
    loom_print_footprint(model, optimizer, stdout);
  }
  free(times);
  return 0;
}

static void describe_data(const loom_options *options,
                          const loom_data_layout *layout,
                          const loom_dataset *data, const char *optimizer,
                          const char *program) {
  const char *unit = layout->tokens ? "tokens" : "samples";
  if (options->data_path)
    printf("%s: training on %s (%lld %s), batch %lld", program,
           options->data_path, (long long)loom_data_samples(data), unit,
           (long long)layout->batch);
  else
    printf("%s: training on synthetic data (seed %llu), batch %lld", program,
           (unsigned long long)options->seed, (long long)layout->batch);
  if (layout->tokens)
    printf(" x %lld tokens", (long long)layout->seq);
  printf(", %s at lr %g\n", optimizer, loom_learning_rate(options));
}

/* A step allocates the same intermediate tensors every time. glibc would
 * map the large ones fresh from the kernel and unmap them at every step,
 * paying a page fault and a zeroed page per 4 KB; kept in the heap, they
 * are reused from the second step on. */
static void keep_freed_memory(void) {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
}

int main(int argc, char **argv) {
  const loom_model_info *model = &loom_model;
  keep_freed_memory();
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
  int32_t optimizer = find_optimizer(model, options.optimizer);
  if (optimizer < 0) {
    fprintf(stderr, "%s: error: --optimizer: this executable has no %s update\n",
            program, options.optimizer);
    return 1;
  }

  char err[1024];
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

  int status = 1;
  loom_tensors tensors;
  if (loom_tensors_alloc(&tensors, model,
                         options.grad_check ? -1 : optimizer) != 0) {
    fprintf(stderr, "%s: error: out of memory for the model's tensors\n",
            program);
    goto done;
  }
  loom_tensors_init(&tensors, options.seed);
  if (options.init_from &&
      loom_load_safetensors(&tensors, options.init_from, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: --init-from: %s\n", program, err);
    goto done;
  }
  if (options.init_from)
    printf("%s: parameters from %s\n", program, options.init_from);

  if (options.grad_check) {
    loom_data_next_batch(data, tensors.buffers[layout.features_index],
                         tensors.buffers[layout.target_index]);
    status = loom_grad_check(&tensors, options.seed, stdout) == 0 ? 0 : 1;
    goto done;
  }
  describe_data(&options, &layout, data, options.optimizer, program);
  status = train(model, &tensors, data, &layout, optimizer, &options, program);
  if (status == 0 && options.save_path) {
    if (loom_save_safetensors(&tensors, options.save_path, err, sizeof(err)) != 0) {
      fprintf(stderr, "%s: error: --save: %s\n", program, err);
      status = 1;
    } else {
      printf("%s: parameters saved to %s\n", program, options.save_path);
    }
  }
done:
  loom_tensors_free(&tensors);
  loom_data_free(data);
  return status;
}
