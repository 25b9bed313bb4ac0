/*
 * textfield.c - one-line UTF-8 editing: every movement and deletion steps by
 * whole characters (code points), never by bytes.
 */
#include "textfield.h"

#include "hs_tokenizer.h"

#include <stdlib.h>
#include <string.h>

static int is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static size_t previous_char(const hs_textfield *f, size_t pos)
{
    if (pos == 0)
        return 0;
    pos--;
    while (pos > 0 && is_continuation((unsigned char)f->text[pos]))
        pos--;
    return pos;
}

static size_t next_char(const hs_textfield *f, size_t pos)
{
    if (pos >= f->length)
        return f->length;
    pos++;
    while (pos < f->length && is_continuation((unsigned char)f->text[pos]))
        pos++;
    return pos;
}

static int is_space_at(const hs_textfield *f, size_t pos)
{
    char c = f->text[pos];
    return c == ' ' || c == '\t' || c == '\n';
}

static void ensure_capacity(hs_textfield *f, size_t needed)
{
    if (needed + 1 <= f->capacity)
        return;
    size_t capacity = f->capacity ? f->capacity : 64;
    while (capacity < needed + 1)
        capacity *= 2;
    char *grown = realloc(f->text, capacity);
    if (!grown)
        abort(); /* a few kilobytes of text; nothing sensible to do without them */
    f->text = grown;
    f->capacity = capacity;
}

void hs_textfield_init(hs_textfield *f, size_t max_length)
{
    memset(f, 0, sizeof *f);
    f->max_length = max_length;
    ensure_capacity(f, 0);
    f->text[0] = '\0';
}

void hs_textfield_free(hs_textfield *f)
{
    free(f->text);
    memset(f, 0, sizeof *f);
}

void hs_textfield_range(const hs_textfield *f, size_t *start, size_t *end)
{
    *start = f->anchor < f->cursor ? f->anchor : f->cursor;
    *end = f->anchor < f->cursor ? f->cursor : f->anchor;
}

static void delete_range(hs_textfield *f, size_t start, size_t end)
{
    memmove(f->text + start, f->text + end, f->length - end + 1);
    f->length -= end - start;
    f->cursor = f->anchor = start;
}

static int delete_selection(hs_textfield *f)
{
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    if (start == end)
        return 0;
    delete_range(f, start, end);
    return 1;
}

void hs_textfield_set(hs_textfield *f, const char *text)
{
    f->length = 0;
    f->text[0] = '\0';
    f->cursor = f->anchor = 0;
    hs_textfield_insert(f, text);
}

size_t hs_textfield_insert(hs_textfield *f, const char *utf8)
{
    delete_selection(f);
    size_t length = strlen(utf8);

    /* Keep only whole, valid characters that fit; replace invalid bytes. */
    size_t inserted = 0;
    size_t i = 0;
    while (i < length) {
        size_t size = 1;
        unsigned char c = (unsigned char)utf8[i];
        if (c >= 0xF0)
            size = 4;
        else if (c >= 0xE0)
            size = 3;
        else if (c >= 0xC0)
            size = 2;
        const char *piece = utf8 + i;
        if (i + size > length || hs_utf8_invalid_offset(piece, size) >= 0 ||
            (size == 1 && c >= 0x80)) {
            piece = "\xEF\xBF\xBD"; /* U+FFFD */
            size = 1;
            if (f->length + 3 > f->max_length)
                break;
            ensure_capacity(f, f->length + 3);
            memmove(f->text + f->cursor + 3, f->text + f->cursor, f->length - f->cursor + 1);
            memcpy(f->text + f->cursor, piece, 3);
            f->length += 3;
            f->cursor += 3;
            inserted += 3;
            i += 1;
            continue;
        }
        if (c == '\r' || c == '\n')
            piece = " "; /* one line: line breaks become spaces */
        if (f->length + size > f->max_length)
            break;
        ensure_capacity(f, f->length + size);
        memmove(f->text + f->cursor + size, f->text + f->cursor, f->length - f->cursor + 1);
        memcpy(f->text + f->cursor, piece, size);
        f->length += size;
        f->cursor += size;
        inserted += size;
        i += size;
    }
    f->anchor = f->cursor;
    return inserted;
}

static void move_to(hs_textfield *f, size_t pos, int extend)
{
    f->cursor = pos;
    if (!extend)
        f->anchor = pos;
}

void hs_textfield_left(hs_textfield *f, int extend)
{
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    if (!extend && start != end)
        move_to(f, start, 0);
    else
        move_to(f, previous_char(f, f->cursor), extend);
}

void hs_textfield_right(hs_textfield *f, int extend)
{
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    if (!extend && start != end)
        move_to(f, end, 0);
    else
        move_to(f, next_char(f, f->cursor), extend);
}

void hs_textfield_word_left(hs_textfield *f, int extend)
{
    size_t pos = f->cursor;
    while (pos > 0 && is_space_at(f, previous_char(f, pos)))
        pos = previous_char(f, pos);
    while (pos > 0 && !is_space_at(f, previous_char(f, pos)))
        pos = previous_char(f, pos);
    move_to(f, pos, extend);
}

void hs_textfield_word_right(hs_textfield *f, int extend)
{
    size_t pos = f->cursor;
    while (pos < f->length && !is_space_at(f, pos))
        pos = next_char(f, pos);
    while (pos < f->length && is_space_at(f, pos))
        pos = next_char(f, pos);
    move_to(f, pos, extend);
}

void hs_textfield_home(hs_textfield *f, int extend)
{
    move_to(f, 0, extend);
}

void hs_textfield_end(hs_textfield *f, int extend)
{
    move_to(f, f->length, extend);
}

void hs_textfield_select_all(hs_textfield *f)
{
    f->anchor = 0;
    f->cursor = f->length;
}

int hs_textfield_backspace(hs_textfield *f)
{
    if (delete_selection(f))
        return 1;
    if (f->cursor == 0)
        return 0;
    delete_range(f, previous_char(f, f->cursor), f->cursor);
    return 1;
}

int hs_textfield_delete(hs_textfield *f)
{
    if (delete_selection(f))
        return 1;
    if (f->cursor >= f->length)
        return 0;
    delete_range(f, f->cursor, next_char(f, f->cursor));
    return 1;
}

char *hs_textfield_selection(const hs_textfield *f)
{
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    if (start == end)
        return NULL;
    char *out = malloc(end - start + 1);
    if (!out)
        return NULL;
    memcpy(out, f->text + start, end - start);
    out[end - start] = '\0';
    return out;
}

void hs_textfield_set_cursor(hs_textfield *f, size_t pos, int extend)
{
    if (pos > f->length)
        pos = f->length;
    while (pos > 0 && pos < f->length && is_continuation((unsigned char)f->text[pos]))
        pos--;
    move_to(f, pos, extend);
}
