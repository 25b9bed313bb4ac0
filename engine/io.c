/*
 * io.c - whole-file reads and writes through a temporary file and rename.
 */
#include "hs_io.h"

#include "hs_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *hs_read_file(const char *path, size_t *size)
{
    char *data = NULL;
    FILE *file = fopen(path, "rb");
    struct stat st;

    if (!file) {
        hs_error_set("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
        hs_error_set("%s: not a regular file", path);
        goto done;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        hs_error_set("%s: out of memory reading %lld bytes", path, (long long)st.st_size);
        goto done;
    }
    if (fread(data, 1, (size_t)st.st_size, file) != (size_t)st.st_size) {
        hs_error_set("%s: read failed", path);
        free(data);
        data = NULL;
        goto done;
    }
    data[st.st_size] = '\0';
    if (size)
        *size = (size_t)st.st_size;
done:
    fclose(file);
    return data;
}

int hs_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
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
