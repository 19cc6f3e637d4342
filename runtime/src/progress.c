/*===- progress.c - What a training run shows while it runs -------------===*/

#define _POSIX_C_SOURCE 200809L

#include "progress.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

int loom_progress_open(loom_progress *progress, const char *metrics_path,
                       int64_t steps, int64_t print_every,
                       int64_t tokens_per_step, int clipping, char *err,
                       size_t err_size) {
  memset(progress, 0, sizeof(*progress));
  progress->out = stdout;
  progress->terminal = isatty(fileno(stdout));
  progress->steps = steps;
  progress->print_every = print_every;
  progress->tokens_per_step = tokens_per_step;
  progress->clipping = clipping;
  progress->unit = "tokens";
  progress->last_val = NAN;
  if (metrics_path) {
    progress->metrics = fopen(metrics_path, "a");
    if (!progress->metrics) {
      snprintf(err, err_size, "--metrics: %s: %s", metrics_path,
               strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* "1:02:03", "4:05" or "6s". */
static void format_duration(double seconds, char *out, size_t size) {
  long total = (long)(seconds + 0.5);
  if (total >= 3600)
    snprintf(out, size, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60,
             total % 60);
  else if (total >= 60)
    snprintf(out, size, "%ld:%02ld", total / 60, total % 60);
  else
    snprintf(out, size, "%lds", total);
}

void loom_progress_step(loom_progress *progress, int64_t step, int64_t tokens,
                        double loss, double grad_norm, double lr, double ms) {
  progress->elapsed_ms += ms;
  ++progress->timed_steps;
  double mean_ms = progress->elapsed_ms / (double)progress->timed_steps;
  double tokens_per_second = (double)progress->tokens_per_step / (ms * 1e-3);
  char eta[32];
  format_duration(mean_ms * 1e-3 * (double)(progress->steps - step), eta,
                  sizeof(eta));
  if (progress->metrics) {
    fprintf(progress->metrics,
            "{\"step\": %lld, \"tokens\": %lld, \"loss\": %.9g, \"lr\": %.9g, "
            "\"grad_norm\": %.9g, \"ms\": %.3f}\n",
            (long long)step, (long long)tokens, loss, lr, grad_norm, ms);
    fflush(progress->metrics);
  }
  int keep = step % progress->print_every == 0 || step == progress->steps;
  if (!progress->terminal && !keep)
    return;
  FILE *out = progress->out;
  if (progress->terminal)
    fprintf(out, "\r\033[K");
  /* "step N loss X" first: scripts read the losses off these lines. */
  fprintf(out, "step %lld loss %.6f", (long long)step, loss);
  if (progress->clipping)
    fprintf(out, " grad norm %.6f", grad_norm);
  if (!isnan(progress->last_val))
    fprintf(out, " val %.4f", progress->last_val);
  fprintf(out, " lr %.3g (%.3f ms, %.0f %s/s, step %lld/%lld, ETA %s)", lr,
          ms, tokens_per_second, progress->unit, (long long)step,
          (long long)progress->steps, eta);
  if (progress->terminal && !keep) {
    progress->line_open = 1;
  } else {
    fprintf(out, "\n");
    progress->line_open = 0;
  }
  fflush(out);
}

void loom_progress_break(loom_progress *progress) {
  if (progress->line_open)
    fprintf(progress->out, "\n");
  progress->line_open = 0;
}

void loom_progress_eval(loom_progress *progress, int64_t step, int64_t tokens,
                        double val_loss, int64_t batches) {
  progress->last_val = val_loss;
  loom_progress_break(progress);
  fprintf(progress->out, "step %lld val loss %.6f (%lld batches)\n",
          (long long)step, val_loss, (long long)batches);
  fflush(progress->out);
  if (progress->metrics) {
    fprintf(progress->metrics,
            "{\"step\": %lld, \"tokens\": %lld, \"val_loss\": %.9g}\n",
            (long long)step, (long long)tokens, val_loss);
    fflush(progress->metrics);
  }
}

void loom_progress_close(loom_progress *progress) {
  loom_progress_break(progress);
  if (progress->metrics)
    fclose(progress->metrics);
  progress->metrics = NULL;
}
