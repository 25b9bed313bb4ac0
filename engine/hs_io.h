/*
 * hs_io.h - whole-file reads, strict JSON parsing and all-or-nothing file
 * writes.
 */
#ifndef HS_IO_H
#define HS_IO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

struct cJSON;

/* Opens a regular file for reading (close-on-exec) and stores its fstat() in
 * *st. The open does not wait for a writer, because it uses O_NONBLOCK, so a
 * named pipe, device, socket or folder is rejected at once with "not a
 * regular file" and its kind. A symbolic link whose target is missing is
 * reported with that target. Returns the descriptor, or -1 with an error
 * naming the path. */
int hs_open_regular(const char *path, struct stat *st);

/* Reads a whole regular file (see hs_open_regular) and appends a NUL byte.
 * Returns NULL with an error naming the path on failure. Caller frees. */
char *hs_read_file(const char *path, size_t *size);

/* Parses text[0, length) as one JSON value followed by nothing but JSON
 * whitespace. Returns NULL with an error naming path and the byte offset of
 * the problem. Free the result with cJSON_Delete(). */
struct cJSON *hs_json_parse(const char *text, size_t length, const char *path);

/* Returns the JSON type of item with its article, for messages: "an array",
 * "an object", "a string", "a number", "a boolean" or "null". */
const char *hs_json_type_name(const struct cJSON *item);

/* Returns 1 when path names an existing regular file, else 0. */
int hs_file_exists(const char *path);

/* Returns 1 when anything exists at path, a dangling symbolic link included. */
int hs_path_exists(const char *path);

/* Returns 1 when path names an existing folder, else 0. */
int hs_dir_exists(const char *path);

/* A file written under a temporary name in the same folder and renamed into
 * place by hs_atomic_commit(), so readers never see a partial file. */
typedef struct {
    FILE *file;
    char *path;
    char *temp_path;
} hs_atomic_file;

/* Opens a temporary file beside path. Returns 0, or -1 with an error naming
 * the folder (missing, not a folder, or not writable). */
int hs_atomic_open(hs_atomic_file *out, const char *path);

/* Flushes, closes and renames the temporary file to its final name. On any
 * failure removes the temporary file and returns -1 with an error. */
int hs_atomic_commit(hs_atomic_file *file);

/* Closes and removes the temporary file. Safe on a zeroed struct. */
void hs_atomic_abort(hs_atomic_file *file);

#endif
