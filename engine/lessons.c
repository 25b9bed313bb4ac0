/*
 * lessons.c - the parser of lesson files (format in hs_lessons.h). The text
 * is copied once and cut into NUL-terminated fields in place.
 */
#include "hs_lessons.h"

#include "hs_error.h"
#include "hs_io.h"
#include "hs_tokenizer.h"

#include <stdlib.h>
#include <string.h>

#define LESSON_KEYS "title, a, b, word, word_b, note"

/* The lessons and, after the struct, the copied text their strings point into. */
typedef struct {
    hs_lessons public;
    int capacity;
    char text[];
} lessons_storage;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = '\0';
    return s;
}

/* Returns the line number (1-based) of byte offset in text. */
static int line_of(const char *text, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

/* Checks the open lesson and appends it. Returns 0, or -1 with an error. */
static int finish_lesson(lessons_storage *s, hs_lesson *lesson, const char *path)
{
    const char *missing = NULL;
    if (!lesson->title)
        missing = "title";
    else if (!lesson->a)
        missing = "a";
    else if (!lesson->b)
        missing = "b";
    else if (lesson->word_b && !lesson->word)
        missing = "word";
    if (missing) {
        hs_error_set("%s:%d: the lesson starting here has no '%s:' line (each lesson needs "
                     "title, a and b, and word_b needs word)",
                     path, lesson->line, missing);
        return -1;
    }
    if (s->public.count == s->capacity) {
        int capacity = s->capacity ? 2 * s->capacity : 8;
        hs_lesson *grown = realloc(s->public.items, (size_t)capacity * sizeof *grown);
        if (!grown) {
            hs_error_set("%s: out of memory after %d lessons", path, s->public.count);
            return -1;
        }
        s->public.items = grown;
        s->capacity = capacity;
    }
    s->public.items[s->public.count++] = *lesson;
    *lesson = (hs_lesson){0};
    return 0;
}

/* Returns the field of lesson that key names, or NULL for an unknown key. */
static const char **lesson_field(hs_lesson *lesson, const char *key)
{
    if (strcmp(key, "title") == 0)
        return &lesson->title;
    if (strcmp(key, "a") == 0)
        return &lesson->a;
    if (strcmp(key, "b") == 0)
        return &lesson->b;
    if (strcmp(key, "word") == 0)
        return &lesson->word;
    if (strcmp(key, "word_b") == 0)
        return &lesson->word_b;
    if (strcmp(key, "note") == 0)
        return &lesson->note;
    return NULL;
}

hs_lessons *hs_lessons_parse(const char *text, size_t len, const char *path)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        hs_error_set("%s:%d: the file contains a NUL byte", path,
                     line_of(text, (size_t)(nul - text)));
        return NULL;
    }
    long bad = hs_utf8_invalid_offset(text, len);
    if (bad >= 0) {
        hs_error_set("%s:%d: invalid UTF-8 at byte %ld", path, line_of(text, (size_t)bad), bad);
        return NULL;
    }
    lessons_storage *s = calloc(1, sizeof *s + len + 1);
    if (!s) {
        hs_error_set("%s: out of memory for %zu bytes", path, len);
        return NULL;
    }
    memcpy(s->text, text, len);
    s->text[len] = '\0';

    hs_lesson open = {0};
    int line_number = 0, in_lesson = 0;
    char *line = s->text;
    while (line) {
        char *newline = strchr(line, '\n');
        if (newline)
            *newline = '\0';
        line_number++;
        char *content = trim(line);
        line = newline ? newline + 1 : NULL;

        if (content[0] == '#')
            continue;
        if (content[0] == '\0') {
            if (in_lesson && finish_lesson(s, &open, path) != 0)
                goto fail;
            in_lesson = 0;
            continue;
        }

        char *colon = strchr(content, ':');
        if (!colon) {
            hs_error_set("%s:%d: expected 'key: value' (keys: " LESSON_KEYS "), found '%.60s'",
                         path, line_number, content);
            goto fail;
        }
        *colon = '\0';
        char *key = trim(content);
        char *value = trim(colon + 1);
        const char **field = lesson_field(&open, key);
        if (!field) {
            hs_error_set("%s:%d: unknown key '%.40s' (keys: " LESSON_KEYS ")", path, line_number,
                         key);
            goto fail;
        }
        if (!in_lesson) {
            open.line = line_number;
            in_lesson = 1;
        }
        if (*field) {
            hs_error_set("%s:%d: '%s:' appears twice in one lesson; separate lessons with a "
                         "blank line",
                         path, line_number, key);
            goto fail;
        }
        if (!value[0]) {
            hs_error_set("%s:%d: '%s:' has no value", path, line_number, key);
            goto fail;
        }
        *field = value;
    }
    if (in_lesson && finish_lesson(s, &open, path) != 0)
        goto fail;
    if (s->public.count == 0) {
        hs_error_set("%s: no lessons found (a lesson is a block of title:, a: and b: lines)",
                     path);
        goto fail;
    }
    return &s->public;

fail:
    free(s->public.items);
    free(s);
    return NULL;
}

hs_lessons *hs_lessons_load(const char *path)
{
    size_t size = 0;
    char *text = hs_read_file(path, &size);
    if (!text)
        return NULL;
    hs_lessons *lessons = hs_lessons_parse(text, size, path);
    free(text);
    return lessons;
}

void hs_lessons_free(hs_lessons *lessons)
{
    if (!lessons)
        return;
    free(lessons->items);
    free(lessons); /* the struct is the first member of lessons_storage */
}
