/*
 * parallel.h - splits elementwise work of the forward pass (activations,
 * softmax rows, norms) across the machine's cores. Matrix products are
 * threaded by OpenBLAS itself; this covers the work between them.
 */
#ifndef HS_PARALLEL_H
#define HS_PARALLEL_H

#include <stddef.h>

/* Processes items [begin, end) of a job. */
typedef void (*hs_range_fn)(void *context, size_t begin, size_t end);

/* Calls fn over [0, count) split into one contiguous range per thread, and
 * returns when all ranges are done. Runs inline when count < min_per_thread
 * times two or only one core is available. The threads start on first use
 * and live until the process ends. HEADSCOPE_THREADS caps their number.
 * Calls from several threads at once are serialised. */
void hs_parallel_range(size_t count, size_t min_per_thread, hs_range_fn fn, void *context);

#endif
