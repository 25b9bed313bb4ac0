/*
 * io.c - whole-file reads that open regular files only, strict JSON parsing of
 * whole files (cJSON), and writes through a temporary file and rename.
 */
#include "hs_io.h"

#include "hs_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names the kind of a file that is not a regular file, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a named pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a file";
}

/* Sets the error for a path that open() or stat() rejected with errno. A
 * symbolic link whose target is missing (an incomplete Hugging Face download
 * leaves such links) is named together with its target. */
static void set_open_error(const char *path, int error)
{
    struct stat link_st;
    char target[4096];

    if (error == ENOENT && lstat(path, &link_st) == 0 && S_ISLNK(link_st.st_mode)) {
        ssize_t length = readlink(path, target, sizeof target - 1);
        if (length < 0)
            length = 0;
        target[length] = '\0';
        hs_error_set("%s: symbolic link to '%s', which does not exist", path, target);
        return;
    }
    hs_error_set("%s: cannot open: %s", path, strerror(error));
}

int hs_open_regular(const char *path, struct stat *st)
{
    struct stat before;

    /* stat() first, so a device or a pipe is never opened at all. */
    if (stat(path, &before) != 0) {
        set_open_error(path, errno);
        return -1;
    }
    if (!S_ISREG(before.st_mode)) {
        hs_error_set("%s: not a regular file (it is %s)", path, file_kind(before.st_mode));
        return -1;
    }

    /* The path may have been replaced since stat(): O_NONBLOCK keeps open()
     * from waiting for a writer if it is now a named pipe, and fstat()
     * checks what was actually opened. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        set_open_error(path, errno);
        return -1;
    }
    if (fstat(fd, st) != 0) {
        hs_error_set("%s: cannot read its size: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        hs_error_set("%s: not a regular file (it is %s)", path, file_kind(st->st_mode));
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        hs_error_set("%s: cannot clear O_NONBLOCK: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

char *hs_read_file(const char *path, size_t *size)
{
    struct stat st;
    int fd = hs_open_regular(path, &st);
    if (fd < 0)
        return NULL;

    size_t length = (size_t)st.st_size;
    char *data = malloc(length + 1);
    if (!data) {
        hs_error_set("%s: out of memory reading %zu bytes", path, length);
        goto done;
    }
    size_t used = 0;
    while (used < length) {
        ssize_t n = read(fd, data + used, length - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                hs_error_set("%s: read failed: %s", path, strerror(errno));
            else
                hs_error_set("%s: read failed: the file ended after %zu of %zu bytes", path,
                             used, length);
            free(data);
            data = NULL;
            goto done;
        }
        used += (size_t)n;
    }
    data[length] = '\0';
    if (size)
        *size = length;
done:
    close(fd);
    return data;
}

cJSON *hs_json_parse(const char *text, size_t length, const char *path)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, 0);

    if (!root) {
        hs_error_set("%s: not valid JSON (error at byte %ld)", path,
                     end ? (long)(end - text) : 0L);
        return NULL;
    }
    size_t used = (size_t)(end - text);
    while (used < length && (text[used] == ' ' || text[used] == '\t' || text[used] == '\n' ||
                             text[used] == '\r'))
        used++;
    if (used < length) {
        hs_error_set("%s: not valid JSON: unexpected text after the top-level value at byte %zu",
                     path, used);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int hs_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int hs_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int hs_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Returns the folder part of a path ("." when there is none). Caller frees. */
static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int hs_atomic_open(hs_atomic_file *out, const char *path)
{
    memset(out, 0, sizeof *out);
    char *dir = parent_dir(path);
    size_t temp_size = strlen(path) + 16;
    int fd = -1;

    struct stat st;
    if (!dir)
        goto fail;
    if (!hs_dir_exists(dir)) {
        if (stat(dir, &st) == 0)
            hs_error_set("%s: cannot write: '%s' is not a folder", path, dir);
        else
            hs_error_set("%s: cannot write: folder '%s' does not exist", path, dir);
        goto fail;
    }
    /* Only a regular file may be replaced: renaming over a device, pipe,
     * link or folder would destroy it (as root, even /dev/null). */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        hs_error_set("%s: exists and is not a regular file; choose another name", path);
        goto fail;
    }
    out->path = strdup(path);
    out->temp_path = malloc(temp_size);
    if (!out->path || !out->temp_path)
        goto fail;
    snprintf(out->temp_path, temp_size, "%s.tmpXXXXXX", path);
    fd = mkstemp(out->temp_path);
    if (fd < 0) {
        hs_error_set("%s: cannot write in folder '%s': %s", path, dir, strerror(errno));
        goto fail;
    }
    fchmod(fd, 0644);
    out->file = fdopen(fd, "wb");
    if (!out->file) {
        hs_error_set("%s: cannot open for writing: %s", out->temp_path, strerror(errno));
        close(fd);
        unlink(out->temp_path);
        goto fail;
    }
    free(dir);
    return 0;
fail:
    free(dir);
    free(out->path);
    free(out->temp_path);
    memset(out, 0, sizeof *out);
    return -1;
}

int hs_atomic_commit(hs_atomic_file *file)
{
    int status = -1;
    int write_failed = ferror(file->file) || fflush(file->file) != 0;
    int saved_errno = errno;

    if (fclose(file->file) != 0 && !write_failed) {
        write_failed = 1;
        saved_errno = errno;
    }
    file->file = NULL;
    if (write_failed) {
        hs_error_set("%s: write failed: %s", file->path, strerror(saved_errno));
        unlink(file->temp_path);
    } else if (rename(file->temp_path, file->path) != 0) {
        hs_error_set("%s: cannot rename into place: %s", file->path, strerror(errno));
        unlink(file->temp_path);
    } else {
        status = 0;
    }
    free(file->path);
    free(file->temp_path);
    memset(file, 0, sizeof *file);
    return status;
}

void hs_atomic_abort(hs_atomic_file *file)
{
    if (file->file) {
        fclose(file->file);
        unlink(file->temp_path);
    }
    free(file->path);
    free(file->temp_path);
    memset(file, 0, sizeof *file);
}

const char *hs_json_type_name(const cJSON *item)
{
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    return "null";
}
