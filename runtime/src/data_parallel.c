/*===- data_parallel.c - N ranks training as one ------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "data_parallel.h"

#include "clock.h"
#include "distributed.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* DDP's first bucket: small (at most this), so that the first reduction
 * starts as soon as the last layer's gradients are ready. */
static const double kFirstBucketMiB = 1.0;

typedef struct {
  int64_t begin, length; /* elements of the regions; length = N parts */
  int32_t gradients;     /* how many gradients it holds */
} bucket;

struct loom_data_parallel {
  const loom_model_info *model;
  int32_t optimizer;
  loom_dp_settings settings;
  int ranks, rank;
  int32_t params;
  /* The layout: where each parameter (and its gradient) lies, the elements
   * of it whose optimizer state this rank holds, and the buckets. */
  int64_t *offset, *state_range;
  loom_tensor_layout layout;
  int32_t *bucket_of; /* per gradient */
  bucket *buckets;
  int32_t num_buckets;
  int64_t largest_part; /* elements of the largest bucket part */
  /* The optimizer's state tensors (table indices) and their parameters. */
  int32_t num_state, *state_tensor, *state_param;
  int64_t *counts; /* per rank: its shard of a state tensor */
  /* Bound by loom_dp_start. */
  loom_tensors *tensors;
  float *param_region, *grad_region;
  float *sums;    /* --accum: the step's earlier micro-batches, summed */
  float *scratch; /* ZeRO-1: a reduce-scattered part */
  /* The step's last backward pass and the communication thread. Buckets
   * [done, ready) wait for the thread; `pending` counts each bucket's
   * gradients not yet ready (the main thread's alone). */
  int32_t *pending;
  unsigned char *is_ready;
  int add_sums;
  int thread_started, quit;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake, finished;
  int32_t ready, done;
  /* Milliseconds since the last reset: in collectives, and of those the
   * part the step waited for. */
  double comm_ms, exposed_ms;
};

/* The run whose backward pass is reporting ready gradients, if any. */
static loom_data_parallel *g_reporting;

static int64_t round_up(int64_t value, int64_t unit) {
  return (value + unit - 1) / unit * unit;
}

/*===------------------------------------------------------------------===*/
/* The layout                                                             */
/*===------------------------------------------------------------------===*/

/* The elements [*lo, *hi) of parameter p that rank `owner` holds the state
 * of: its part of p's bucket, as a range of p's elements. */
static void owned_range(const loom_data_parallel *dp, int32_t p, int owner,
                        int64_t *lo, int64_t *hi) {
  int64_t numel = loom_tensor_numel(&dp->model->tensors[p]);
  if (!dp->settings.zero) {
    *lo = 0;
    *hi = owner == dp->rank ? numel : 0;
    return;
  }
  const bucket *k = &dp->buckets[dp->bucket_of[p]];
  int64_t part = k->length / dp->ranks;
  int64_t begin = k->begin + owner * part - dp->offset[p];
  int64_t end = begin + part;
  *lo = begin < 0 ? 0 : begin > numel ? numel : begin;
  *hi = end < *lo ? *lo : end > numel ? numel : end;
  if (*lo == *hi)
    *lo = *hi = 0;
}

/* Lays the gradients out in the order they become ready, each 16-aligned,
 * and cuts them into buckets of whole gradients. */
static int plan_buckets(loom_data_parallel *dp, char *err, size_t err_size) {
  const int32_t *order = dp->model->gradient_ready_order;
  int64_t unit = 16 * (dp->settings.zero ? dp->ranks : 1);
  int64_t cursor = 0, start = 0;
  int32_t count = 0;
  for (int32_t k = 0; k < dp->params; ++k) {
    int32_t g = order[k];
    int64_t numel = loom_tensor_numel(&dp->model->tensors[g]);
    int64_t at = round_up(cursor, 16);
    double cap = dp->settings.bucket_mib;
    if (dp->num_buckets == 0 && kFirstBucketMiB < cap)
      cap = kFirstBucketMiB;
    if (count > 0 && (double)(at + numel - start) * 4 > cap * 1048576.0) {
      bucket *closed = &dp->buckets[dp->num_buckets++];
      closed->begin = start;
      closed->length = round_up(cursor - start, unit);
      closed->gradients = count;
      start = cursor = at = start + closed->length;
      count = 0;
    }
    dp->offset[g] = at;
    dp->bucket_of[g] = dp->num_buckets;
    cursor = at + numel;
    ++count;
  }
  bucket *last = &dp->buckets[dp->num_buckets++];
  last->begin = start;
  last->length = round_up(cursor - start, unit);
  last->gradients = count;
  dp->layout.region_elements = start + last->length;
  for (int32_t b = 0; b < dp->num_buckets; ++b) {
    int64_t part = dp->buckets[b].length / dp->ranks;
    if (part > INT32_MAX) {
      snprintf(err, err_size,
               "a gradient bucket of %lld elements is too large for one "
               "MPI message per rank",
               (long long)dp->buckets[b].length);
      return -1;
    }
    if (part > dp->largest_part)
      dp->largest_part = part;
  }
  return 0;
}

loom_data_parallel *loom_dp_create(const loom_model_info *model,
                                   int32_t optimizer,
                                   const loom_dp_settings *settings, char *err,
                                   size_t err_size) {
  loom_data_parallel *dp = calloc(1, sizeof(*dp));
  if (!dp) {
    snprintf(err, err_size, "out of memory");
    return NULL;
  }
  dp->model = model;
  dp->optimizer = optimizer;
  dp->settings = *settings;
  dp->ranks = loom_dist_size();
  dp->rank = loom_dist_rank();
  dp->params = loom_num_params(model);
  size_t params = (size_t)(dp->params > 0 ? dp->params : 1);
  dp->offset = calloc(params, sizeof(int64_t));
  dp->state_range = calloc(2 * params, sizeof(int64_t));
  dp->bucket_of = calloc(params, sizeof(int32_t));
  dp->buckets = calloc(params, sizeof(bucket));
  dp->pending = calloc(params, sizeof(int32_t));
  dp->is_ready = calloc(params, 1);
  dp->state_tensor = calloc((size_t)model->num_tensors, sizeof(int32_t));
  dp->state_param = calloc((size_t)model->num_tensors, sizeof(int32_t));
  dp->counts = calloc((size_t)dp->ranks, sizeof(int64_t));
  if (!dp->offset || !dp->state_range || !dp->bucket_of || !dp->buckets ||
      !dp->pending || !dp->is_ready || !dp->state_tensor || !dp->state_param ||
      !dp->counts) {
    snprintf(err, err_size, "out of memory");
    loom_dp_free(dp);
    return NULL;
  }
  /* The ready order must name every gradient once. */
  const int32_t *order = model->gradient_ready_order;
  for (int32_t k = 0; order && k < dp->params; ++k) {
    int32_t g = order[k];
    if (g < 0 || g >= dp->params || dp->is_ready[g]) {
      order = NULL;
      break;
    }
    dp->is_ready[g] = 1;
  }
  memset(dp->is_ready, 0, params);
  if (dp->params == 0 || !order) {
    snprintf(err, err_size,
             "the model's table lists no order in which its gradients "
             "become ready (rebuild it with this version of loomc)");
    loom_dp_free(dp);
    return NULL;
  }
  if (plan_buckets(dp, err, err_size) != 0) {
    loom_dp_free(dp);
    return NULL;
  }
  for (int32_t p = 0; p < dp->params; ++p)
    owned_range(dp, p, dp->rank, &dp->state_range[2 * p],
                &dp->state_range[2 * p + 1]);
  if (!dp->settings.zero)
    for (int32_t p = 0; p < dp->params; ++p)
      dp->state_range[2 * p + 1] = loom_tensor_numel(&model->tensors[p]);
  dp->layout.offset = dp->offset;
  dp->layout.state_range = dp->state_range;
  /* State tensors come slot by slot, each slot's in parameter order
   * (abi.h), as loom_tensors_alloc_laid_out reads them too. */
  for (int32_t i = 0; i < model->num_tensors; ++i)
    if (model->tensors[i].role == LOOM_ROLE_STATE &&
        model->tensors[i].optimizer == optimizer) {
      dp->state_tensor[dp->num_state] = i;
      dp->state_param[dp->num_state] = dp->num_state % dp->params;
      ++dp->num_state;
    }
  return dp;
}

const loom_tensor_layout *loom_dp_layout(const loom_data_parallel *dp) {
  return &dp->layout;
}

/*===------------------------------------------------------------------===*/
/* Reducing the gradients                                                 */
/*===------------------------------------------------------------------===*/

static void add_into(float *into, const float *values, int64_t count) {
  for (int64_t j = 0; j < count; ++j)
    into[j] += values[j];
}

/* Bucket b of the step's last micro-batch: the earlier micro-batches'
 * gradients added, then the sum over ranks (ZeRO-1: this rank's part of
 * it, in place). Returns the milliseconds spent in the collective. */
static double reduce_bucket(loom_data_parallel *dp, int32_t b) {
  const bucket *k = &dp->buckets[b];
  float *grads = dp->grad_region + k->begin;
  if (dp->add_sums)
    add_into(grads, dp->sums + k->begin, k->length);
  double start = loom_now_ms();
  if (dp->settings.zero) {
    int64_t part = k->length / dp->ranks;
    loom_dist_reduce_scatter_floats(grads, dp->scratch, part);
    memcpy(grads + dp->rank * part, dp->scratch, (size_t)part * sizeof(float));
  } else {
    loom_dist_sum_floats(grads, k->length);
  }
  return loom_now_ms() - start;
}

/* The communication thread: reduces buckets in the order they become
 * ready, the same on every rank, while the backward pass goes on. */
static void *communicate(void *argument) {
  loom_data_parallel *dp = argument;
  pthread_mutex_lock(&dp->lock);
  for (;;) {
    while (!dp->quit && dp->done == dp->ready)
      pthread_cond_wait(&dp->wake, &dp->lock);
    if (dp->quit)
      break;
    int32_t b = dp->done;
    pthread_mutex_unlock(&dp->lock);
    double ms = reduce_bucket(dp, b);
    pthread_mutex_lock(&dp->lock);
    dp->comm_ms += ms;
    dp->done = b + 1;
    pthread_cond_signal(&dp->finished);
  }
  pthread_mutex_unlock(&dp->lock);
  return NULL;
}

void loom_gradient_ready(int32_t gradient) {
  loom_data_parallel *dp = g_reporting;
  if (!dp || gradient < 0 || gradient >= dp->params)
    return;
  int32_t b = dp->bucket_of[gradient];
  if (--dp->pending[b] > 0)
    return;
  dp->is_ready[b] = 1;
  pthread_mutex_lock(&dp->lock);
  while (dp->ready < dp->num_buckets && dp->is_ready[dp->ready])
    ++dp->ready;
  pthread_cond_signal(&dp->wake);
  pthread_mutex_unlock(&dp->lock);
}

int loom_dp_start(loom_data_parallel *dp, loom_tensors *tensors, char *err,
                  size_t err_size) {
  dp->tensors = tensors;
  if (!tensors->arena) {
    snprintf(err, err_size, "internal error: the tensors are not laid out "
                            "for data-parallel training");
    return -1;
  }
  /* loom_tensors_alloc_laid_out's arena: parameters, then gradients. */
  dp->param_region = tensors->arena;
  dp->grad_region = dp->param_region + dp->layout.region_elements;
  size_t region_bytes = (size_t)dp->layout.region_elements * sizeof(float);
  if (dp->settings.accum > 1 &&
      !(dp->sums = aligned_alloc(64, round_up((int64_t)region_bytes, 64)))) {
    snprintf(err, err_size, "out of memory for the gradient sums of --accum");
    return -1;
  }
  if (dp->settings.zero && dp->ranks > 1 &&
      !(dp->scratch = malloc((size_t)dp->largest_part * sizeof(float)))) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  if (dp->ranks > 1 && dp->settings.overlap) {
    if (pthread_mutex_init(&dp->lock, NULL) != 0 ||
        pthread_cond_init(&dp->wake, NULL) != 0 ||
        pthread_cond_init(&dp->finished, NULL) != 0 ||
        pthread_create(&dp->thread, NULL, communicate, dp) != 0) {
      snprintf(err, err_size, "cannot start the communication thread");
      return -1;
    }
    dp->thread_started = 1;
  }
  return 0;
}

void loom_dp_before_backward(loom_data_parallel *dp, int64_t micro) {
  g_reporting = NULL;
  if (micro != dp->settings.accum - 1 || !dp->thread_started)
    return;
  for (int32_t b = 0; b < dp->num_buckets; ++b) {
    dp->pending[b] = dp->buckets[b].gradients;
    dp->is_ready[b] = 0;
  }
  dp->add_sums = dp->settings.accum > 1;
  dp->ready = dp->done = 0;
  g_reporting = dp;
}

void loom_dp_after_backward(loom_data_parallel *dp, int64_t micro) {
  int64_t region = dp->layout.region_elements;
  if (micro < dp->settings.accum - 1) {
    if (micro == 0)
      memcpy(dp->sums, dp->grad_region, (size_t)region * sizeof(float));
    else
      add_into(dp->sums, dp->grad_region, region);
    return;
  }
  g_reporting = NULL;
  dp->add_sums = dp->settings.accum > 1;
  if (dp->ranks == 1) {
    if (dp->add_sums)
      add_into(dp->grad_region, dp->sums, region);
    return;
  }
  if (!dp->thread_started) {
    for (int32_t b = 0; b < dp->num_buckets; ++b) {
      double ms = reduce_bucket(dp, b);
      dp->comm_ms += ms;
      dp->exposed_ms += ms;
    }
    return;
  }
  /* The pass has returned: every gradient must have been said ready, or
   * the wait below would never end. */
  if (dp->ready != dp->num_buckets) {
    fprintf(stderr,
            "%s: error: internal error: the backward pass said the gradients "
            "of %d of %d buckets ready\n",
            loom_dist_program(), dp->ready, dp->num_buckets);
    loom_dist_abort(1);
  }
  double start = loom_now_ms();
  pthread_mutex_lock(&dp->lock);
  while (dp->done < dp->num_buckets)
    pthread_cond_wait(&dp->finished, &dp->lock);
  pthread_mutex_unlock(&dp->lock);
  dp->exposed_ms += loom_now_ms() - start;
}

/*===------------------------------------------------------------------===*/
/* Norm and update                                                        */
/*===------------------------------------------------------------------===*/

static int sharded(const loom_data_parallel *dp) {
  return dp->settings.zero && dp->ranks > 1;
}

float loom_dp_grad_norm(loom_data_parallel *dp) {
  if (!sharded(dp))
    return loom_grad_norm(dp->tensors->buffers, NULL);
  double mine = loom_grad_norm(dp->tensors->buffers, dp->state_range);
  return (float)sqrt(loom_dist_sum_double(mine * mine));
}

void loom_dp_update(loom_data_parallel *dp, int32_t optimizer,
                    const float *hyper, float grad_scale, int64_t step) {
  loom_update(optimizer, dp->tensors->buffers, hyper, grad_scale, step,
              sharded(dp) ? dp->state_range : NULL);
  if (!sharded(dp))
    return;
  double start = loom_now_ms();
  for (int32_t b = 0; b < dp->num_buckets; ++b)
    loom_dist_all_gather_floats(dp->param_region + dp->buckets[b].begin,
                                dp->buckets[b].length / dp->ranks);
  double ms = loom_now_ms() - start;
  dp->comm_ms += ms;
  dp->exposed_ms += ms;
}

/*===------------------------------------------------------------------===*/
/* The whole optimizer state, for checkpoints                             */
/*===------------------------------------------------------------------===*/

int loom_dp_whole_state(loom_data_parallel *dp, loom_tensors *whole) {
  *whole = *dp->tensors;
  if (!sharded(dp))
    return 0;
  const loom_model_info *model = dp->model;
  whole->arena = NULL;
  whole->buffers = calloc((size_t)model->num_tensors, sizeof(void *));
  whole->elements = calloc((size_t)model->num_tensors, sizeof(int64_t));
  if (!whole->buffers || !whole->elements) {
    loom_dp_release_whole_state(dp, whole);
    return -1;
  }
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    whole->buffers[i] = dp->tensors->buffers[i];
    whole->elements[i] = loom_tensor_numel(&model->tensors[i]);
  }
  int failed = 0;
  for (int32_t s = 0; s < dp->num_state; ++s) {
    int32_t i = dp->state_tensor[s];
    whole->buffers[i] = NULL;
    if (dp->rank == 0 && !failed &&
        !(whole->buffers[i] =
              calloc((size_t)whole->elements[i] ? (size_t)whole->elements[i] : 1,
                     sizeof(float))))
      failed = 1;
  }
  if (failed) {
    loom_dp_release_whole_state(dp, whole);
    return -1;
  }
  return 0;
}

/* Every rank's count of parameter p's state elements, in rank order. */
static void state_counts(const loom_data_parallel *dp, int32_t p,
                         int64_t *counts) {
  for (int r = 0; r < dp->ranks; ++r) {
    int64_t lo, hi;
    owned_range(dp, p, r, &lo, &hi);
    counts[r] = hi - lo;
  }
}

/* Each state tensor's shards to rank 0's whole one (`gather`), or back. */
static void move_state(loom_data_parallel *dp, loom_tensors *whole,
                       int gather) {
  if (!sharded(dp))
    return;
  for (int32_t s = 0; s < dp->num_state; ++s) {
    int32_t i = dp->state_tensor[s];
    state_counts(dp, dp->state_param[s], dp->counts);
    if (gather)
      loom_dist_gather_floats(dp->tensors->buffers[i], dp->counts[dp->rank],
                              whole->buffers[i], dp->counts);
    else
      loom_dist_scatter_floats(whole->buffers[i], dp->counts,
                               dp->tensors->buffers[i], dp->counts[dp->rank]);
  }
}

void loom_dp_gather_state(loom_data_parallel *dp, loom_tensors *whole) {
  move_state(dp, whole, 1);
}

void loom_dp_scatter_state(loom_data_parallel *dp, loom_tensors *whole) {
  move_state(dp, whole, 0);
}

void loom_dp_release_whole_state(loom_data_parallel *dp, loom_tensors *whole) {
  if (sharded(dp) && whole->buffers) {
    for (int32_t s = 0; s < dp->num_state; ++s)
      free(whole->buffers[dp->state_tensor[s]]);
    free(whole->buffers);
    free(whole->elements);
  }
  memset(whole, 0, sizeof(*whole));
}

int64_t loom_dp_state_bytes(const loom_data_parallel *dp) {
  int64_t bytes = 0;
  for (int32_t s = 0; s < dp->num_state; ++s) {
    int32_t p = dp->state_param[s];
    bytes += (dp->state_range[2 * p + 1] - dp->state_range[2 * p]) * 4;
  }
  return bytes;
}

/*===------------------------------------------------------------------===*/
/* Reports and cleanup                                                    */
/*===------------------------------------------------------------------===*/

void loom_dp_reset_timing(loom_data_parallel *dp) {
  dp->comm_ms = dp->exposed_ms = 0;
}

void loom_dp_report(const loom_data_parallel *dp, int64_t steps, FILE *out) {
  if (dp->ranks == 1 || steps <= 0)
    return;
  int64_t bytes = dp->layout.region_elements * 4;
  fprintf(out,
          "data parallel: %d ranks (%s), %d buckets of %.1f MiB in all, "
          "%s; %.2f ms per step in collectives, %.2f ms of it waited for "
          "(%.0f %% hidden behind the backward pass)\n",
          dp->ranks, loom_dist_transport(), dp->num_buckets,
          (double)bytes / 1048576.0,
          dp->settings.zero ? "ZeRO-1 (reduce-scatter, all-gather)"
                            : "all-reduce",
          dp->comm_ms / (double)steps, dp->exposed_ms / (double)steps,
          dp->comm_ms > 0 ? 100.0 * (1.0 - dp->exposed_ms / dp->comm_ms) : 0.0);
}

void loom_dp_free(loom_data_parallel *dp) {
  if (!dp)
    return;
  if (g_reporting == dp)
    g_reporting = NULL;
  if (dp->thread_started) {
    pthread_mutex_lock(&dp->lock);
    dp->quit = 1;
    pthread_cond_signal(&dp->wake);
    pthread_mutex_unlock(&dp->lock);
    pthread_join(dp->thread, NULL);
    pthread_mutex_destroy(&dp->lock);
    pthread_cond_destroy(&dp->wake);
    pthread_cond_destroy(&dp->finished);
  }
  free(dp->offset);
  free(dp->state_range);
  free(dp->bucket_of);
  free(dp->buckets);
  free(dp->pending);
  free(dp->is_ready);
  free(dp->state_tensor);
  free(dp->state_param);
  free(dp->counts);
  free(dp->sums);
  free(dp->scratch);
  free(dp);
}
