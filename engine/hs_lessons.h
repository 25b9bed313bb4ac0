/*
 * hs_lessons.h - teaching lessons: pairs of sentences that use one word in
 * two ways, read from a plain text file a teacher can edit.
 *
 * File format (UTF-8). Lines starting with '#' are comments. A lesson is a
 * block of "key: value" lines; blank lines separate lessons. Keys:
 *   title: a short name for the lesson (required)
 *   a:     the first sentence (required)
 *   b:     the second sentence (required)
 *   word:  the word to compare in both sentences (optional; without it the
 *          first word the sentences share)
 *   word_b: the word to compare in sentence b when it differs from word
 *          (optional; needs word), such as "are" against "is"
 *   note:  what to look for, shown to the student (optional)
 * Spaces around the key and the value are ignored. Any other line is an error
 * naming the file and line number.
 */
#ifndef HS_LESSONS_H
#define HS_LESSONS_H

#include <stddef.h>

/* One lesson. Its strings belong to the hs_lessons that contains it. */
typedef struct {
    const char *title;
    const char *a;
    const char *b;
    const char *word;   /* NULL when the lesson names none */
    const char *word_b; /* the word in b when it differs, or NULL */
    const char *note;   /* NULL when the lesson has none */
    int line;           /* line number of the lesson's first key */
} hs_lesson;

typedef struct {
    int count;
    hs_lesson *items; /* [count] */
} hs_lessons;

/* Parses lesson text of len bytes; path names the source in messages.
 * Returns NULL with an error "PATH:LINE: ..." on a malformed line, a
 * repeated key, a lesson missing title, a or b (or word_b without word), invalid UTF-8, or a text
 * with no lesson. Free with hs_lessons_free(). */
hs_lessons *hs_lessons_parse(const char *text, size_t len, const char *path);

/* Reads and parses a lessons file. Returns NULL with an error naming the
 * path on failure. */
hs_lessons *hs_lessons_load(const char *path);

void hs_lessons_free(hs_lessons *lessons);

#endif
