/*
 * hs_error.h - the engine's error channel.
 *
 * Engine functions never print and never exit. A function that fails returns
 * NULL or a negative status and leaves one message, naming the file, tensor or
 * value involved, in a per-thread buffer that the caller reads with
 * hs_error_message(). Warnings that do not stop the work go to a log callback.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

/* Returns the message of the last failure on the calling thread ("" if none).
 * The pointer stays valid until the next engine call on the same thread. */
const char *hs_error_message(void);

/* Stores a formatted message as the calling thread's last failure. */
void hs_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefixes the calling thread's current message with "PREFIX: ". */
void hs_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef void (*hs_log_fn)(const char *message, void *user);

/* Sets the callback that receives warnings; NULL restores the default,
 * which writes them to stderr. */
void hs_log_set_callback(hs_log_fn fn, void *user);

/* Sends a formatted warning to the log callback. */
void hs_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Always-on check for programmer errors: names file and line, then aborts. */
#define HS_ASSERT(cond)                                                              \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#endif
