/*
 * error.c - per-thread error messages and the warning log callback.
 */
#include "hs_error.h"

#include <stdarg.h>
#include <string.h>

enum { HS_ERROR_CAPACITY = 1024 };

static _Thread_local char error_buffer[HS_ERROR_CAPACITY];

static hs_log_fn log_fn;
static void *log_user;

const char *hs_error_message(void)
{
    return error_buffer;
}

void hs_error_set(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_buffer, sizeof error_buffer, fmt, args);
    va_end(args);
}

void hs_error_prefix(const char *fmt, ...)
{
    char prefix[HS_ERROR_CAPACITY];
    char old[HS_ERROR_CAPACITY];
    va_list args;

    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    memcpy(old, error_buffer, sizeof old);
    size_t used = strlen(prefix);
    if (used > sizeof error_buffer - 3)
        used = sizeof error_buffer - 3;
    memcpy(error_buffer, prefix, used);
    memcpy(error_buffer + used, ": ", 2);
    used += 2;
    size_t rest = strnlen(old, sizeof error_buffer - used - 1);
    memcpy(error_buffer + used, old, rest);
    error_buffer[used + rest] = '\0';
}

void hs_log_set_callback(hs_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void hs_log_warning(const char *fmt, ...)
{
    char message[HS_ERROR_CAPACITY];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    if (log_fn)
        log_fn(message, log_user);
    else
        fprintf(stderr, "headscope: warning: %s\n", message);
}
