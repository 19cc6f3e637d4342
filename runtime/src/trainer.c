/*===- trainer.c - The training loop and the validation loss ------------===*/

#define _POSIX_C_SOURCE 200809L

#include "trainer.h"

#include "checkpoint.h"
#include "clock.h"
#include "data_parallel.h"
#include "distributed.h"
#include "footprint.h"
#include "generate.h"
#include "profile.h"
#include "progress.h"
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Fills the hyperparameter array in the order the compiled update reads it;
 * *lr_slot is where the learning rate goes. */
static int hyperparameters(const loom_optimizer_info *optimizer,
                           const loom_options *options, float *hyper,
                           int *lr_slot, const char *program) {
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
  *lr_slot = -1;
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
    if (k == 0)
      *lr_slot = i;
  }
  return 0;
}

double loom_evaluate(const loom_trainer *trainer, loom_dataset *data,
                     int64_t batches, int64_t *used) {
  int64_t available = loom_data_batches(data);
  int64_t n = batches;
  if (available > 0 && (n == 0 || n > available))
    n = available;
  if (n == 0)
    n = 20; /* synthetic data is endless */
  void *const *buffers = trainer->tensors->buffers;
  /* With several ranks, each evaluates every N-th batch. */
  double sum = 0;
  for (int64_t b = loom_dist_rank(); b < n; b += loom_dist_size()) {
    loom_data_batch(data, b, buffers[trainer->layout->features_index],
                    buffers[trainer->layout->target_index]);
    sum += loom_eval_loss(buffers);
  }
  *used = n;
  return loom_dist_sum_double(sum) / (double)n;
}

/* What every rank starts from is rank 0's: its parameters (initialized or
 * loaded) and, after --resume, its optimizer state (`whole`: each rank's
 * shard of it under ZeRO-1) and position. */
static void broadcast_run_state(const loom_trainer *t, loom_tensors *whole,
                                int resumed, loom_run_position *position) {
  const loom_model_info *model = t->model;
  for (int32_t i = 0; i < model->num_tensors; ++i)
    if (model->tensors[i].role == LOOM_ROLE_PARAM)
      loom_dist_broadcast(t->tensors->buffers[i],
                          (int64_t)loom_tensor_bytes(&model->tensors[i]));
  loom_dist_broadcast(position, sizeof(*position));
  if (!resumed)
    return;
  if (whole->buffers != t->tensors->buffers) {
    loom_dp_scatter_state(t->dp, whole);
    return;
  }
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    if (info->role == LOOM_ROLE_STATE && info->optimizer == t->optimizer)
      loom_dist_broadcast(t->tensors->buffers[i],
                          (int64_t)loom_tensor_bytes(info));
  }
}

typedef struct {
  const loom_trainer *trainer;
  /* The options checkpoints record and compare: --accum counts the
   * micro-batches of a step over all ranks (N ranks x --accum A record
   * N*A), so that a run resumes on another number of ranks when the global
   * batch stays the same. */
  loom_options recorded;
  loom_progress progress;
  loom_run_position position;
  char newest[4096]; /* the newest checkpoint written or resumed from */
} run;

/* Every rank takes part (under ZeRO-1 the optimizer state is gathered to
 * rank 0); rank 0 alone writes. */
static int save_checkpoint(run *r) {
  const loom_options *options = &r->recorded;
  char err[1024];
  loom_tensors whole;
  if (loom_dp_whole_state(r->trainer->dp, &whole) != 0) {
    fprintf(stderr, "%s: error: out of memory for the whole optimizer state "
                    "of a checkpoint\n",
            r->trainer->program);
    return -1;
  }
  loom_dp_gather_state(r->trainer->dp, &whole);
  int status = 0;
  if (loom_dist_rank() == 0) {
    loom_progress_break(&r->progress);
    status = loom_checkpoint_save(options->checkpoint_dir, &whole,
                                  r->trainer->optimizer, &r->position, options,
                                  options->keep_checkpoints, err, sizeof(err));
  }
  loom_dp_release_whole_state(r->trainer->dp, &whole);
  if (loom_dist_rank() != 0)
    return 0;
  if (status != 0) {
    fprintf(stderr, "%s: error: %s\n", r->trainer->program, err);
    return -1;
  }
  snprintf(r->newest, sizeof(r->newest), "%s/step-%08lld",
           options->checkpoint_dir, (long long)r->position.step);
  printf("%s: checkpoint %s\n", r->trainer->program, r->newest);
  return 0;
}

/* --resume: the newest checkpoint's parameters and position, and its
 * optimizer state into `whole`; a directory without one starts the run
 * (*resumed stays 0). Without --resume, a directory that holds checkpoints
 * is refused, so that no run overwrites another's. */
static int start(run *r, loom_tensors *whole, int32_t *resumed) {
  const loom_trainer *t = r->trainer;
  const loom_options *options = &r->recorded;
  if (!options->checkpoint_dir)
    return 0;
  char err[1024];
  int found = loom_checkpoint_newest(options->checkpoint_dir, r->newest,
                                     sizeof(r->newest), err, sizeof(err));
  if (found < 0) {
    fprintf(stderr, "%s: error: %s\n", t->program, err);
    return -1;
  }
  if (!options->resume) {
    if (!found)
      return 0;
    fprintf(stderr,
            "%s: error: --checkpoint-dir %s already holds checkpoints (the "
            "newest is %s): --resume continues that run, another directory "
            "starts a new one\n",
            t->program, options->checkpoint_dir, r->newest);
    return -1;
  }
  if (!found) {
    printf("%s: no checkpoint in %s yet: starting at step 0\n", t->program,
           options->checkpoint_dir);
    r->newest[0] = '\0';
    return 0;
  }
  if (loom_checkpoint_load(r->newest, whole, t->optimizer, options,
                           &r->position, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: --resume: %s\n", t->program, err);
    return -1;
  }
  *resumed = 1;
  printf("%s: resumed from %s (step %lld)\n", t->program, r->newest,
         (long long)r->position.step);
  return 0;
}

/* --sample-every: what a sample of the model as it trains needs, set up
 * once. Samples draw from their own stream (seed, step) and write only the
 * inference cache, so the run's numbers are those of a run without them
 * (and a run may resume with another --sample-every). */
typedef struct {
  int on;
  loom_generator generator;
  int32_t *prompt;
  int64_t length;
  loom_sampler_settings settings;
  int64_t max_tokens;
} samples;

static int open_samples(samples *s, const loom_trainer *t) {
  const loom_options *options = t->options;
  memset(s, 0, sizeof(*s));
  if (options->sample_every == 0)
    return 0;
  if (loom_inference_refused(t->model, "--sample-every", t->program) ||
      loom_prompt_of(options, t->model, t->tokenizer, &s->prompt, &s->length,
                     t->program) != 0)
    return -1;
  char err[1024];
  s->max_tokens = loom_max_tokens(options);
  s->settings = loom_sampler_settings_of(options);
  if (loom_tensors_alloc_cache(t->tensors) != 0)
    snprintf(err, sizeof(err), "out of memory for the inference cache");
  else if (loom_generator_init(&s->generator, t->tensors, s->max_tokens, err,
                               sizeof(err)) == 0)
    s->on = 1;
  if (!s->on) {
    fprintf(stderr, "%s: error: --sample-every: %s\n", t->program, err);
    free(s->prompt);
    s->prompt = NULL;
    return -1;
  }
  return 0;
}

static void close_samples(samples *s) {
  if (s->on)
    loom_generator_free(&s->generator);
  free(s->prompt);
  memset(s, 0, sizeof(*s));
}

/* "step N sample: PROMPT CONTINUATION" on one line (the text's own
 * newlines aside). */
static void print_sample(samples *s, run *r, int64_t step) {
  const loom_trainer *t = r->trainer;
  loom_rng rng;
  loom_sampler_rng(&rng, t->options->seed, (uint64_t)step);
  loom_progress_break(&r->progress);
  printf("step %lld sample: ", (long long)step);
  loom_sample_one(&s->generator, t->tokenizer, s->prompt, s->length,
                  &s->settings, s->max_tokens, &rng, stdout);
  printf("\n");
  fflush(stdout);
}

static void evaluate(run *r) {
  const loom_trainer *t = r->trainer;
  int64_t used = 0;
  double loss = loom_evaluate(t, t->val, t->options->eval_batches, &used);
  loom_progress_eval(&r->progress, r->position.step, r->position.tokens, loss,
                     used);
}

int loom_train(const loom_trainer *t) {
  const loom_options *options = t->options;
  const loom_model_info *model = t->model;
  float hyper[16] = {0};
  int lr_slot = -1;
  if (model->optimizers[t->optimizer].num_hyper > 16 ||
      hyperparameters(&model->optimizers[t->optimizer], options, hyper,
                      &lr_slot, t->program) != 0)
    return 1;
  loom_schedule schedule = {LOOM_SCHEDULE_CONSTANT, loom_learning_rate(options),
                            options->lr_min, options->warmup, options->steps};
  loom_schedule_kind_of(options->schedule, &schedule.kind);

  int ranks = loom_dist_size(), rank = loom_dist_rank();
  run r = {.trainer = t, .recorded = *options};
  r.recorded.accum = options->accum * ranks;
  /* Rank 0 alone reads the checkpoint directory (it need not be shared);
   * the others learn whether it failed. */
  loom_tensors whole = {0};
  int32_t outcome[2] = {0, 0}; /* started, resumed */
  if (options->resume && loom_dp_whole_state(t->dp, &whole) != 0) {
    fprintf(stderr, "%s: error: out of memory for the optimizer state\n",
            t->program);
    outcome[0] = -1;
  } else if (rank == 0) {
    outcome[0] = start(&r, options->resume ? &whole : t->tensors, &outcome[1]);
  }
  loom_dist_broadcast(outcome, sizeof(outcome));
  if (outcome[0] == 0 && ranks > 1)
    broadcast_run_state(t, options->resume ? &whole : t->tensors, outcome[1],
                        &r.position);
  loom_dp_release_whole_state(t->dp, &whole);
  if (outcome[0] != 0)
    return 1;
  /* Until the steps begin, a rank that fails on its own (out of memory, a
   * metrics file it cannot open) is known to all before any waits for it. */
  samples sampling;
  int failed = open_samples(&sampling, t) != 0;
  int64_t accum = options->accum;
  int64_t rows = t->layout->batch * (t->layout->tokens ? t->layout->seq : 1);
  int64_t first = r.position.step + 1;
  int64_t stop = options->steps;
  if (options->stop_after > 0 && options->stop_after < stop)
    stop = options->stop_after;
  int64_t planned = stop >= first ? stop - first + 1 : 0;
  char err[1024];
  double *times = calloc((size_t)(planned > 0 ? planned : 1), sizeof(double));
  int status = 1;
  if (!failed && (!times || loom_profile_reset(model) != 0)) {
    fprintf(stderr, "%s: error: out of memory\n", t->program);
    failed = 1;
  }
  if (!failed &&
      loom_progress_open(&r.progress, rank == 0 ? options->metrics_path : NULL,
                         options->steps, options->print_every,
                         rows * accum * ranks, options->grad_clip > 0, err,
                         sizeof(err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", t->program, err);
    failed = 1;
  }
  if (!loom_dist_all_succeeded(failed))
    goto done;
  if (!t->layout->tokens)
    r.progress.unit = "samples";
  /* mpirun gives each rank a pseudo-terminal, whatever its own output is:
   * lines rewritten in place would reach a log as escape codes. */
  if (ranks > 1)
    r.progress.terminal = 0;
  void *const *buffers = t->tensors->buffers;
  void *inputs = buffers[t->layout->features_index];
  void *targets = buffers[t->layout->target_index];
  float first_loss = NAN, last_loss = NAN;
  double total_ms = 0;
  for (int64_t step = first; step <= stop; ++step) {
    double lr = loom_schedule_lr(&schedule, step);
    if (lr_slot >= 0)
      hyper[lr_slot] = (float)lr;
    double start_ms = loom_now_ms();
    float loss_sum = 0.0f;
    /* Micro-batch m of a step is global batch m: N*B rows, of which rank r
     * trains on rows r*B .. r*B + B - 1 (docs/distributed.md). */
    for (int64_t micro = 0; micro < accum; ++micro) {
      loom_data_batch(t->train, r.position.batches_read + micro * ranks + rank,
                      inputs, targets);
      loom_dp_before_backward(t->dp, micro);
      loss_sum += loom_forward_backward(buffers);
      loom_dp_after_backward(t->dp, micro);
    }
    r.position.batches_read += accum * ranks;
    if (ranks > 1)
      loom_dist_sum_floats(&loss_sum, 1);
    /* One rank of --accum N*A and N ranks of --accum A divide the same
     * sums by the same count. */
    int64_t micro_batches = accum * ranks;
    float loss = loss_sum / (float)micro_batches;
    float norm = loom_dp_grad_norm(t->dp) / (float)micro_batches;
    if (!isfinite(loss) || !isfinite(norm)) {
      loom_progress_break(&r.progress);
      fprintf(stderr,
              "%s: error: the %s is %f at step %lld; lower --lr? The "
              "parameters were not updated%s%s\n",
              t->program, isfinite(loss) ? "gradient norm" : "loss",
              isfinite(loss) ? norm : loss, (long long)step,
              r.newest[0] ? ", and the last good checkpoint is " : "",
              r.newest);
      goto done;
    }
    float scale = 1.0f / (float)micro_batches;
    if (options->grad_clip > 0) {
      /* torch.nn.utils.clip_grad_norm_'s rule. */
      double coefficient = options->grad_clip / ((double)norm + 1e-6);
      if (coefficient < 1.0)
        scale *= (float)coefficient;
    }
    loom_dp_update(t->dp, t->optimizer, hyper, scale, step);
    double elapsed = loom_now_ms() - start_ms;
    times[step - first] = elapsed;
    total_ms += elapsed;
    /* The first step pays for first touches of every buffer; the profile
     * covers the steps after it when there are any. */
    if (step == first && step < stop) {
      loom_profile_reset(model);
      loom_dp_reset_timing(t->dp);
      total_ms = 0;
    }
    if (step == first)
      first_loss = loss;
    last_loss = loss;
    r.position.step = step;
    r.position.tokens += rows * micro_batches;
    loom_progress_step(&r.progress, step, r.position.tokens, loss, norm, lr,
                       elapsed);
    int last = step == stop;
    if (t->val && ((options->eval_every && step % options->eval_every == 0) ||
                   last))
      evaluate(&r);
    if (sampling.on && rank == 0 && step % options->sample_every == 0)
      print_sample(&sampling, &r, step);
    if (options->checkpoint_dir &&
        ((options->checkpoint_every && step % options->checkpoint_every == 0) ||
         last) &&
        save_checkpoint(&r) != 0) {
      /* Rank 0 alone writes: the others would wait for it at the next
       * step. */
      if (ranks > 1)
        loom_dist_abort(1);
      goto done;
    }
  }
  loom_progress_break(&r.progress);
  if (planned > 0) {
    qsort(times, (size_t)planned, sizeof(double), compare_doubles);
    double median = times[planned / 2];
    printf("%s: %lld steps, loss %.6f -> %.6f, median %.3f ms/step (%.1f "
           "GFLOP/s in matrix products)\n",
           t->program, (long long)planned, first_loss, last_loss, median,
           model->train_step_flops * (double)(accum * ranks) /
               (median * 1e6));
    int64_t profiled = planned > 1 ? planned - 1 : 1;
    loom_profile_report(model, profiled, total_ms, 15, stdout);
    loom_dp_report(t->dp, profiled, stdout);
    loom_print_footprint(model, t->optimizer, loom_dp_state_bytes(t->dp),
                         stdout);
  }
  status = 0;
done:
  close_samples(&sampling);
  loom_progress_close(&r.progress);
  free(times);
  return status;
}
