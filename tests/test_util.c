/*
 * test_util.c - fixture lookup, scratch folders and file helpers for tests.
 */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *hs_test_fixtures_dir(void)
{
    const char *env = getenv("HEADSCOPE_FIXTURES");
    const char *dir = env && *env ? env : HS_FIXTURES_DEFAULT;
    return is_directory(dir) ? dir : NULL;
}

const char *hs_test_fixture(const char *relative)
{
    static char path[4096];
    const char *dir = hs_test_fixtures_dir();
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "(fixtures absent)", relative);
    return path;
}

static void remove_tree(const char *path)
{
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", path);
    if (system(command) != 0)
        fail_msg("cannot remove %s", path);
}

const char *hs_test_tmpdir(const char *name)
{
    static char path[4096];
    mkdir(HS_TEST_TMPDIR, 0755);
    snprintf(path, sizeof path, "%s/%s-%ld", HS_TEST_TMPDIR, name, (long)getpid());
    remove_tree(path);
    if (mkdir(path, 0755) != 0)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    return path;
}

void hs_test_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (size && fwrite(data, 1, size, f) != size)
        fail_msg("short write to %s", path);
    fclose(f);
}

char *hs_test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long length = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)length + 1);
    if (data && fread(data, 1, (size_t)length, f) != (size_t)length) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        data[length] = '\0';
        if (size)
            *size = (size_t)length;
    }
    return data;
}

cJSON *hs_test_read_json(const char *path)
{
    char *text = hs_test_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    cJSON *json = cJSON_Parse(text);
    free(text);
    if (!json)
        fail_msg("invalid JSON in %s", path);
    return json;
}
