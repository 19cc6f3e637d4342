/*===- main.c - The training executable's entry point -------------------===*/
/*
 * Parses the subcommand and its flags, loads the tokenizer and the data,
 * allocates the tensors and hands them to the trainer (trainer.c), the
 * evaluation, the sampler (generate.c, which needs no data), or the text
 * tools (text_tools.c).
 */

#define _POSIX_C_SOURCE 200809L

#include "checkpoint.h"
#include "cpu_check.h"
#include "data.h"
#include "distributed.h"
#include "flags.h"
#include "footprint.h"
#include "generate.h"
#include "gradcheck.h"
#include "safetensors.h"
#include "tensors.h"
#include "text_tools.h"
#include "tokenizer.h"
#include "trainer.h"

#include "loom/runtime/abi.h"

#include <malloc.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_info(const loom_model_info *model, FILE *out) {
  int64_t parameters = 0;
  int width = 0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    int length = (int)strlen(model->tensors[i].name);
    width = length > width ? length : width;
  }
  static const char *precisions[] = {
      "fp32", "bf16 (matrix products read bf16 operands, accumulate in f32)",
      "fp64 (the forward and backward passes in f64, for --grad-check)"};
  int32_t precision = model->precision;
  fprintf(out, "model %s (%s), precision %s\n", model->model_name,
          model->fused ? "fused" : "unfused",
          precision >= 0 && precision <= LOOM_PRECISION_FP64 ? precisions[precision]
                                                             : "unknown");
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    static const char *roles[] = {"parameter", "gradient", "state", "input",
                                  "cache"};
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
  const loom_inference_info *inference = &model->inference;
  if (inference->available)
    fprintf(out, "inference: batch %lld, context %lld, prefill %lld tokens, "
                 "%.3g GFLOP per decoded token\n",
            (long long)inference->batch, (long long)inference->context,
            (long long)inference->prefill_length,
            inference->decode_flops * 1e-9);
  else
    fprintf(out, "inference: unavailable (%s)\n",
            inference->unavailable ? inference->unavailable : "no reason");
  fprintf(out, "parameter files: --init-from reads F32, BF16 and F16 tensors "
               "(widened to these f32 parameters); --save writes F32, or BF16 "
               "with --save-dtype bf16\n");
  fprintf(out, "compiled for CPU features:");
  for (int32_t f = 0; f < model->num_cpu_features; ++f)
    fprintf(out, "%s %s", f ? "," : "", model->cpu_features[f]);
  fprintf(out, "%s\n", model->num_cpu_features ? "" : " none checked");
}

static int find_optimizer(const loom_model_info *model, const char *name) {
  for (int32_t o = 0; o < model->num_optimizers; ++o)
    if (strcmp(model->optimizers[o].name, name) == 0)
      return o;
  return -1;
}

static void describe_data(const loom_options *options,
                          const loom_data_layout *layout,
                          const loom_dataset *train, const loom_dataset *val,
                          const char *program) {
  const char *unit = layout->tokens ? "tokens" : "samples";
  if (loom_data_samples(train) > 0)
    printf("%s: training on %s (%lld %s, %s order), batch %lld", program,
           loom_data_name(train), (long long)loom_data_samples(train), unit,
           options->data_order, (long long)layout->batch);
  else
    printf("%s: training on synthetic data (seed %llu), batch %lld", program,
           (unsigned long long)options->seed, (long long)layout->batch);
  if (layout->tokens)
    printf(" x %lld tokens", (long long)layout->seq);
  if (options->accum > 1)
    printf(" x %lld micro-batches", (long long)options->accum);
  if (loom_dist_size() > 1)
    printf(" on each of %d ranks (%s)", loom_dist_size(),
           loom_dist_transport());
  printf(", %s at lr %g", options->optimizer, loom_learning_rate(options));
  if (strcmp(options->schedule, "constant") != 0 || options->warmup > 0)
    printf(" (%s, %lld warm-up steps, down to %g)", options->schedule,
           (long long)options->warmup, options->lr_min);
  printf("\n");
  if (val && loom_data_samples(val) > 0)
    printf("%s: validation on %s%s (%lld %s)\n", program, loom_data_name(val),
           options->val_data ? "" : "'s end", (long long)loom_data_samples(val),
           unit);
}

/* The tokenizer of --tokenizer, or bytes; refused unless its vocabulary is
 * the model's. */
static loom_tokenizer *open_tokenizer(const loom_options *options,
                                      const loom_data_layout *layout,
                                      const char *program) {
  char err[1024];
  loom_tokenizer *tokenizer =
      options->tokenizer ? loom_tokenizer_open(options->tokenizer, err,
                                               sizeof(err))
                         : loom_tokenizer_bytes();
  if (!tokenizer) {
    fprintf(stderr, "%s: error: --tokenizer: %s\n", program,
            options->tokenizer ? err : "out of memory");
    return NULL;
  }
  int64_t size = loom_tokenizer_vocab_size(tokenizer);
  if (!layout->tokens || size != layout->vocab) {
    if (layout->tokens)
      fprintf(stderr,
              "%s: error: %s: the tokenizer has %lld tokens, and the model's "
              "vocabulary %lld\n",
              program,
              options->tokenizer ? options->tokenizer : "the byte-level "
                                                        "tokenizer",
              (long long)size, (long long)layout->vocab);
    else
      fprintf(stderr, "%s: error: this model takes vectors, not tokens\n",
              program);
    loom_tokenizer_free(tokenizer);
    return NULL;
  }
  return tokenizer;
}

/* eval's and sample's parameters: those of the newest checkpoint in
 * --checkpoint-dir, or of the --init-from file. Returns 1 with the path
 * they came from in `source`, 0 when neither flag is given, -1 after
 * printing the error. */
static int load_parameters(loom_tensors *tensors, const loom_options *options,
                           char *source, size_t source_size,
                           const char *program) {
  char err[1024];
  if (options->checkpoint_dir) {
    int found = loom_checkpoint_newest(options->checkpoint_dir, source,
                                       source_size, err, sizeof(err));
    if (found <= 0) {
      if (found == 0)
        snprintf(err, sizeof(err), "%s holds no checkpoint",
                 options->checkpoint_dir);
      fprintf(stderr, "%s: error: --checkpoint-dir: %s\n", program, err);
      return -1;
    }
    if (loom_checkpoint_load(source, tensors, -1, NULL, NULL, err,
                             sizeof(err)) != 0) {
      fprintf(stderr, "%s: error: %s\n", program, err);
      return -1;
    }
    return 1;
  }
  if (!options->init_from)
    return 0;
  if (loom_load_safetensors(tensors, options->init_from, NULL, err,
                            sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: --init-from: %s\n", program, err);
    return -1;
  }
  snprintf(source, source_size, "%s", options->init_from);
  return 1;
}

/* eval: the loss of a checkpoint's (or a file's) parameters on the
 * validation split, or the whole data without one. */
static int evaluate_parameters(loom_trainer *trainer, const char *program) {
  const loom_options *options = trainer->options;
  char source[4096];
  /* Flag parsing made sure one of the two is given. */
  int loaded = load_parameters(trainer->tensors, options, source,
                               sizeof(source), program);
  loom_dataset *data = trainer->val ? trainer->val : trainer->train;
  if (!loom_dist_all_succeeded(loaded <= 0))
    return 1;
  int64_t used = 0;
  double loss = loom_evaluate(trainer, data, options->eval_batches, &used);
  printf("%s: %s: loss %.6f on %lld batches of %s%s\n", program, source, loss,
         (long long)used, loom_data_name(data),
         trainer->val ? " (validation)" : "");
  return 0;
}

/* sample: no data, no gradients and no optimizer state; the parameters of
 * a checkpoint or a file, or a random initialization to try the entry
 * points. */
static int sample(const loom_model_info *model, const loom_options *options,
                  const char *program) {
  if (loom_inference_refused(model, NULL, program))
    return 1;
  char err[1024];
  loom_data_layout layout;
  if (loom_data_layout_of(model, &layout, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, err);
    return 1;
  }
  /* Token ids in and out need no tokenizer, so a model whose vocabulary
   * is no tokenizer's can still be sampled. */
  loom_tokenizer *tokenizer = NULL;
  if (options->tokenizer || options->prompt || !options->print_tokens) {
    tokenizer = open_tokenizer(options, &layout, program);
    if (!tokenizer)
      return 1;
  }
  int status = 1;
  loom_tensors tensors = {0};
  if (loom_tensors_alloc_inference(&tensors, model) != 0) {
    fprintf(stderr, "%s: error: out of memory for the model's parameters and "
                    "inference cache\n",
            program);
    goto done;
  }
  loom_tensors_init(&tensors, options->seed);
  char source[4096];
  int loaded = load_parameters(&tensors, options, source, sizeof(source),
                               program);
  if (loaded < 0)
    goto done;
  /* Standard error: standard output holds the samples alone. */
  if (loaded)
    fprintf(stderr, "%s: parameters from %s\n", program, source);
  else
    fprintf(stderr,
            "%s: note: sampling from randomly initialized parameters (no "
            "--init-from or --checkpoint-dir)\n",
            program);
  status = loom_sample(model, &tensors, options, tokenizer, stdout, program);
done:
  loom_tensors_free(&tensors);
  loom_tokenizer_free(tokenizer);
  return status;
}

/* A step allocates the same intermediate tensors every time. glibc would
 * map the large ones fresh from the kernel and unmap them at every step,
 * paying a page fault and a zeroed page per 4 KB; kept in the heap, they
 * are reused from the second step on. */
static void keep_freed_memory(void) {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
}

/* What runs on one process only. */
static const char *single_process_only(const loom_options *options) {
  if (options->grad_check)
    return "--grad-check";
  switch (options->subcommand) {
  case LOOM_SAMPLE:
    return "sample";
  case LOOM_TOKENIZE:
    return "tokenize";
  case LOOM_DETOKENIZE:
    return "detokenize";
  default:
    return NULL;
  }
}

static int run(int argc, char **argv, const loom_model_info *model,
               const char *program) {
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
  if (options.subcommand == LOOM_INFO) {
    print_info(model, stdout);
    return 0;
  }
  const char *alone = single_process_only(&options);
  if (alone && loom_dist_size() > 1) {
    fprintf(stderr, "%s: error: %s runs on one process: start it without "
                    "mpirun\n",
            program, alone);
    return 1;
  }
  const char *unchecked = loom_grad_check_unavailable(model);
  if (options.grad_check && unchecked) {
    fprintf(stderr, "%s: error: --grad-check: %s\n", program, unchecked);
    return 1;
  }
  if (options.threads > 0)
    omp_set_num_threads(options.threads);
  if (options.subcommand == LOOM_SAMPLE)
    return sample(model, &options, program);
  char err[1024];
  loom_data_layout layout;
  if (loom_data_layout_of(model, &layout, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, err);
    return 1;
  }
  loom_tokenizer *tokenizer = NULL;
  if (options.text_path || options.tokenizer ||
      options.subcommand == LOOM_TOKENIZE ||
      options.subcommand == LOOM_DETOKENIZE) {
    tokenizer = open_tokenizer(&options, &layout, program);
    if (!tokenizer) {
      /* The check the other ranks reach after opening their data. */
      loom_dist_all_succeeded(1);
      return 1;
    }
  }
  if (options.subcommand == LOOM_TOKENIZE ||
      options.subcommand == LOOM_DETOKENIZE) {
    int status = options.subcommand == LOOM_TOKENIZE
                     ? loom_tokenize_text(tokenizer, options.text_path, program)
                     : loom_detokenize_ids(tokenizer, program);
    loom_tokenizer_free(tokenizer);
    return status;
  }
  int32_t optimizer = find_optimizer(model, options.optimizer);
  if (optimizer < 0) {
    fprintf(stderr, "%s: error: --optimizer: this executable has no %s update\n",
            program, options.optimizer);
    loom_tokenizer_free(tokenizer);
    return 1;
  }

  /* eval reads its data in order: the rows it averages are the split's. */
  loom_data_spec spec = {options.data_path, options.text_path, tokenizer,
                         options.val_data,  options.val_fraction,
                         options.subcommand == LOOM_TRAIN &&
                             strcmp(options.data_order, "random") == 0,
                         options.seed};
  loom_dataset *train = NULL, *val = NULL;
  int status = 1;
  loom_tensors tensors = {0};
  loom_data_parallel *dp = NULL;
  int checked = 0;
  if (loom_data_open(&spec, &layout, &train, &val, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, err);
    goto done;
  }
  /* Synthetic data always has a validation split; it is evaluated when
   * asked for. */
  if (!options.data_path && !options.text_path && options.eval_every == 0 &&
      options.subcommand == LOOM_TRAIN) {
    loom_data_free(val);
    val = NULL;
  }
  /* Refused with the figures before anything is allocated, rather than
   * failing in the middle of a step (or being killed). With ZeRO-1 the
   * optimizer's state is sharded over the ranks: it is left out. */
  if (options.subcommand == LOOM_TRAIN) {
    int64_t planned = loom_planned_bytes(
        model, options.grad_check || options.zero ? -1 : optimizer);
    if (loom_check_plan_fits(planned, loom_machine_memory_bytes(), err,
                             sizeof(err)) != 0) {
      fprintf(stderr, "%s: error: %s\n", program, err);
      goto done;
    }
  }
  /* Training lays its tensors out for the reduction of gradients over
   * ranks and micro-batches. */
  if (options.subcommand == LOOM_TRAIN && !options.grad_check) {
    loom_dp_settings settings = {(int)options.zero,
                                 strcmp(options.overlap, "on") == 0,
                                 options.bucket_mib, options.accum};
    if (!(dp = loom_dp_create(model, optimizer, &settings, err, sizeof(err)))) {
      fprintf(stderr, "%s: error: %s\n", program, err);
      goto done;
    }
  }
  if ((dp ? loom_tensors_alloc_laid_out(&tensors, model, optimizer,
                                        loom_dp_layout(dp))
          : loom_tensors_alloc(&tensors, model,
                               options.grad_check ? -1 : optimizer)) != 0) {
    fprintf(stderr, "%s: error: out of memory for the model's tensors\n",
            program);
    goto done;
  }
  if (dp && loom_dp_start(dp, &tensors, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, err);
    goto done;
  }
  loom_tensors_init(&tensors, options.seed);
  loom_trainer trainer = {model,     &tensors, &layout, train,     val,
                          optimizer, &options, program, tokenizer, dp};
  if (options.subcommand == LOOM_EVAL) {
    status = evaluate_parameters(&trainer, program);
    goto done;
  }
  int widened = 0;
  if (options.init_from &&
      loom_load_safetensors(&tensors, options.init_from, &widened, err,
                            sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: --init-from: %s\n", program, err);
    goto done;
  }
  if (options.init_from && widened)
    printf("%s: parameters from %s (%d tensors BF16 or F16, widened to the "
           "model's f32)\n",
           program, options.init_from, widened);
  else if (options.init_from)
    printf("%s: parameters from %s\n", program, options.init_from);
  /* Each rank has opened its data and allocated its tensors on its own. */
  checked = 1;
  if (!loom_dist_all_succeeded(0))
    goto done;

  if (options.grad_check) {
    loom_data_batch(train, 0, tensors.buffers[layout.features_index],
                    tensors.buffers[layout.target_index]);
    status = loom_grad_check(&tensors, options.seed, stdout) == 0 ? 0 : 1;
    goto done;
  }
  describe_data(&options, &layout, train, val, program);
  status = loom_train(&trainer);
  if (status == 0 && options.save_path && loom_dist_rank() == 0) {
    int bf16 = strcmp(options.save_dtype, "bf16") == 0;
    if (loom_save_safetensors(&tensors, options.save_path, bf16, err,
                              sizeof(err)) != 0) {
      fprintf(stderr, "%s: error: --save: %s\n", program, err);
      status = 1;
    } else {
      printf("%s: parameters saved to %s%s\n", program, options.save_path,
             bf16 ? " (BF16, rounded to nearest even: for inference)" : "");
    }
  }
done:
  /* A rank that failed before the check tells the others there. */
  if (!checked)
    loom_dist_all_succeeded(1);
  loom_dp_free(dp);
  loom_tensors_free(&tensors);
  loom_data_free(train);
  loom_data_free(val);
  loom_tokenizer_free(tokenizer);
  return status;
}

int main(int argc, char **argv) {
  const loom_model_info *model = &loom_model;
  keep_freed_memory();
  if (model->abi_version != LOOM_ABI_VERSION) {
    fprintf(stderr, "%s: error: compiled for runtime ABI %d, linked with %d\n",
            model->model_name, model->abi_version, LOOM_ABI_VERSION);
    return 1;
  }
  /* Before any generated code runs: never SIGILL on another CPU. */
  char missing[512];
  if (loom_cpu_check(model, missing, sizeof missing) > 0) {
    fprintf(stderr,
            "%s: error: this executable was compiled for CPU features this "
            "CPU lacks: %s (compile the model on this machine, or with "
            "loomc --target-cpu/--target-features for it)\n",
            model->model_name, missing);
    return 1;
  }
  if (loom_dist_init(argc, argv, model->model_name) != 0) {
    loom_dist_finalize();
    return 1;
  }
  int status = run(argc, argv, model, loom_dist_program());
  loom_dist_finalize();
  return status;
}
