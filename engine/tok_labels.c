/*
 * tok_labels.c - readable labels for tokens: byte-level characters decoded to
 * bytes, "▁" shown as a space, byte-fallback runs joined into the character
 * they spell, control characters and partial characters shown as hex.
 */
#include "hs_error.h"
#include "hs_tokenizer.h"
#include "tokenizer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Growable string for building labels. */
typedef struct {
    char *s;
    size_t len, capacity;
    int failed;
} label_buf;

static void buf_append(label_buf *b, const char *s, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 32;
        while (b->len + len + 1 > capacity)
            capacity *= 2;
        char *grown = realloc(b->s, capacity);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->s = grown;
        b->capacity = capacity;
    }
    memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len] = '\0';
}

static void buf_puts(label_buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static char *buf_finish(label_buf *b)
{
    if (!b->s && !b->failed)
        buf_append(b, "", 0);
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* Appends a run of bytes that do not form valid UTF-8 as "<E6 97>". */
static void buf_hex(label_buf *b, const uint8_t *bytes, size_t n)
{
    char hex[4];
    buf_puts(b, "<");
    for (size_t i = 0; i < n; i++) {
        snprintf(hex, sizeof hex, i ? " %02X" : "%02X", bytes[i]);
        buf_puts(b, hex);
    }
    buf_puts(b, ">");
}

/* Appends decoded bytes readably: valid characters as themselves, newline as
 * "↵", tab as "⇥", carriage return as "␍", other ASCII controls and every run
 * of bytes that is not valid UTF-8 (part of a character) as hex. */
static void buf_readable(label_buf *b, const uint8_t *bytes, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int len = hs_tok_utf8_valid_length(bytes + i, n - i);
        if (len == 0) {
            size_t j = i + 1;
            while (j < n && hs_tok_utf8_valid_length(bytes + j, n - j) == 0)
                j++;
            buf_hex(b, bytes + i, j - i);
            i = j;
            continue;
        }
        uint8_t c = bytes[i];
        if (c == '\n')
            buf_puts(b, "\xE2\x86\xB5"); /* ↵ */
        else if (c == '\t')
            buf_puts(b, "\xE2\x87\xA5"); /* ⇥ */
        else if (c == '\r')
            buf_puts(b, "\xE2\x90\x8D"); /* ␍ */
        else if (c < 0x20 || c == 0x7F)
            buf_hex(b, bytes + i, 1);
        else
            buf_append(b, (const char *)bytes + i, (size_t)len);
        i += (size_t)len;
    }
}

/* Decodes a byte-level token (GPT-2 byte-to-unicode characters) into bytes.
 * Characters outside the table (added tokens) are kept as their UTF-8. */
static size_t byte_level_decode(const char *token, uint8_t *out)
{
    size_t n = 0, len = strlen(token);
    for (size_t i = 0; i < len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(token + i, len - i, &size);
        int byte = hs_bpe_unicode_to_byte(cp);
        if (byte >= 0) {
            out[n++] = (uint8_t)byte;
        } else {
            memcpy(out + n, token + i, (size_t)size);
            n += (size_t)size;
        }
        i += (size_t)size;
    }
    return n;
}

/* Returns the byte of a "<0xXX>" byte-fallback token, or -1. */
static int byte_token_value(const char *token)
{
    if (!token || strlen(token) != 6 || memcmp(token, "<0x", 3) != 0 || token[5] != '>')
        return -1;
    int value = 0;
    for (int i = 3; i < 5; i++) {
        char c = token[i];
        int digit = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : -1;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

/* Label of a byte-fallback token that continues the character whose first
 * byte token carries the whole character (see hs_tokenizer.h). */
static const char CONTINUATION_LABEL[] = "\xE2\x8B\xAF"; /* ⋯ */

/* Labels a run of byte-fallback tokens. Bytes that form a valid character put
 * the character on their first token and the continuation label on the rest.
 * A byte that starts no valid character is shown as hex. */
static int label_byte_run(const uint8_t *bytes, int n, char **labels)
{
    int i = 0;
    while (i < n) {
        label_buf b = {0};
        int len = hs_tok_utf8_valid_length(bytes + i, (size_t)(n - i));
        if (len == 0) {
            buf_hex(&b, bytes + i, 1);
            len = 1;
        } else {
            buf_readable(&b, bytes + i, (size_t)len);
        }
        labels[i] = buf_finish(&b);
        if (!labels[i])
            return -1;
        for (int k = 1; k < len; k++) {
            labels[i + k] = strdup(CONTINUATION_LABEL);
            if (!labels[i + k])
                return -1;
        }
        i += len;
    }
    return 0;
}

/* Labels a Metaspace/SentencePiece token: "▁" becomes a space. */
static char *label_metaspace(const char *token)
{
    label_buf b = {0};
    const char *s = token;
    size_t len = strlen(token);
    uint8_t *bytes = malloc(len + 1);
    if (!bytes)
        return NULL;
    size_t n = 0;
    while (*s) {
        if (memcmp(s, "\xE2\x96\x81", 3) == 0) {
            bytes[n++] = ' ';
            s += 3;
        } else {
            bytes[n++] = (uint8_t)*s++;
        }
    }
    buf_readable(&b, bytes, n);
    free(bytes);
    return buf_finish(&b);
}

/* Returns 1 when a code point draws nothing by itself. */
static int invisible_code_point(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CN:
        return 1;
    default:
        return 0;
    }
}

void hs_label_visible(const char *label, char *out, size_t size)
{
    size_t length = strlen(label);
    int visible = 0;
    for (size_t i = 0; i < length && !visible;) {
        int step = 1;
        int32_t cp = hs_tok_utf8_decode(label + i, length - i, &step);
        visible = !invisible_code_point(cp);
        i += (size_t)step;
    }
    if (visible || length == 0) {
        snprintf(out, size, "%s", label);
        return;
    }
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < length && used + 1 < size;) {
        int step = 1;
        int32_t cp = hs_tok_utf8_decode(label + i, length - i, &step);
        int written = cp == ' ' ? snprintf(out + used, size - used, "%s\xE2\x90\xA3",
                                           used ? " " : "")
                                : snprintf(out + used, size - used, "%sU+%04X",
                                           used ? " " : "", (unsigned)cp);
        if (written < 0 || (size_t)written >= size - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)written;
        i += (size_t)step;
    }
}

int hs_tok_labels(const hs_tokenizer *tok, const int32_t *ids, int n, char **labels)
{
    int status = -1;
    uint8_t *bytes = NULL;

    for (int i = 0; i < n; i++)
        labels[i] = NULL;
    for (int i = 0; i < n;) {
        const char *token = hs_tokenizer_id_to_token(tok, ids[i]);
        if (!token)
            token = "";
        int special = ids[i] >= 0 && ids[i] < tok->vocab_size && tok->is_special[ids[i]];

        if (special || tok->label_style == HS_LABEL_PLAIN) {
            labels[i] = strdup(token);
        } else if (tok->label_style == HS_LABEL_BYTE_LEVEL) {
            label_buf b = {0};
            uint8_t *grown = realloc(bytes, strlen(token) + 1);
            if (!grown)
                goto done;
            bytes = grown;
            size_t count = byte_level_decode(token, bytes);
            buf_readable(&b, bytes, count);
            labels[i] = buf_finish(&b);
        } else if (byte_token_value(token) >= 0) {
            int j = i;
            uint8_t *grown = realloc(bytes, (size_t)n);
            if (!grown)
                goto done;
            bytes = grown;
            while (j < n && byte_token_value(hs_tokenizer_id_to_token(tok, ids[j])) >= 0) {
                bytes[j - i] = (uint8_t)byte_token_value(hs_tokenizer_id_to_token(tok, ids[j]));
                j++;
            }
            if (label_byte_run(bytes, j - i, labels + i) != 0)
                goto done;
            i = j;
            continue;
        } else {
            labels[i] = label_metaspace(token);
        }
        if (!labels[i])
            goto done;
        i++;
    }
    status = 0;
done:
    free(bytes);
    if (status != 0) {
        for (int i = 0; i < n; i++) {
            free(labels[i]);
            labels[i] = NULL;
        }
        hs_error_set("tokenizer: out of memory building labels of %d tokens", n);
    }
    return status;
}
