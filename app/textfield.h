/*
 * textfield.h - the editing model of a one-line UTF-8 text field: cursor,
 * selection, character-wise deletion, clipboard text and IME composition.
 * Pure logic with no SDL dependency, so tests can drive it directly.
 */
#ifndef HS_TEXTFIELD_H
#define HS_TEXTFIELD_H

#include <stddef.h>

/* Byte positions always sit on UTF-8 character boundaries. The selection is
 * the range between anchor and cursor; it is empty when they are equal. */
typedef struct {
    char *text;        /* NUL-terminated UTF-8 */
    size_t length;     /* bytes, without the NUL */
    size_t capacity;
    size_t cursor;     /* byte offset */
    size_t anchor;     /* byte offset where the selection started */
    char composition[256]; /* IME text being composed, shown at the cursor */
    size_t max_length; /* bytes accepted in all */
} hs_textfield;

void hs_textfield_init(hs_textfield *field, size_t max_length);
void hs_textfield_free(hs_textfield *field);

/* Replaces the whole text and puts the cursor at its end. Invalid UTF-8 is
 * replaced by U+FFFD. */
void hs_textfield_set(hs_textfield *field, const char *text);

/* Inserts UTF-8 at the cursor, replacing the selection. Returns the number of
 * bytes inserted (fewer when max_length would be exceeded). */
size_t hs_textfield_insert(hs_textfield *field, const char *utf8);

/* Movement; extend keeps the anchor, so the selection grows. */
void hs_textfield_left(hs_textfield *field, int extend);
void hs_textfield_right(hs_textfield *field, int extend);
void hs_textfield_word_left(hs_textfield *field, int extend);
void hs_textfield_word_right(hs_textfield *field, int extend);
void hs_textfield_home(hs_textfield *field, int extend);
void hs_textfield_end(hs_textfield *field, int extend);
void hs_textfield_select_all(hs_textfield *field);

/* Deletes the selection, or else one character before (backspace) or after
 * (delete) the cursor. Returns 1 when the text changed. */
int hs_textfield_backspace(hs_textfield *field);
int hs_textfield_delete(hs_textfield *field);

/* Returns the selected text as a new string (caller frees), or NULL when
 * nothing is selected. */
char *hs_textfield_selection(const hs_textfield *field);

/* Sets the cursor to byte offset pos (snapped back to a character start). */
void hs_textfield_set_cursor(hs_textfield *field, size_t pos, int extend);

/* Returns the ordered selection range. */
void hs_textfield_range(const hs_textfield *field, size_t *start, size_t *end);

#endif
