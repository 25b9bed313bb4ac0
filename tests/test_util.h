/*
 * test_util.h - helpers shared by the test executables (cmocka based).
 */
#ifndef HS_TEST_UTIL_H
#define HS_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

/* Returns the reference fixture folder ($HEADSCOPE_FIXTURES, else the
 * configured default), or NULL when it does not exist. */
const char *hs_test_fixtures_dir(void);

/* Joins the fixture folder and a relative path into a static buffer. */
const char *hs_test_fixture(const char *relative);

/* Skips the current cmocka test with a message when the fixtures are absent. */
#define HS_REQUIRE_FIXTURES()                                                        \
    do {                                                                             \
        if (!hs_test_fixtures_dir()) {                                               \
            print_message("[  SKIP    ] reference fixtures not found: set "          \
                          "HEADSCOPE_FIXTURES to the folder that holds them\n");     \
            skip();                                                                  \
        }                                                                            \
    } while (0)

/* Returns a fresh empty folder under the build tree for one test. */
const char *hs_test_tmpdir(const char *name);

/* Writes bytes to a file, failing the test on error. */
void hs_test_write_file(const char *path, const void *data, size_t size);

/* Reads a whole file; returns NULL when it cannot be read. Caller frees. */
char *hs_test_read_file(const char *path, size_t *size);

/* Parses a JSON file, failing the test on error. Caller frees with cJSON_Delete. */
cJSON *hs_test_read_json(const char *path);

#endif
