/*
 * test_textfield.c - the app's text editing: every move and deletion steps by
 * whole UTF-8 characters, selections replace and copy correctly, and invalid
 * input never enters the buffer.
 */
#include "test_util.h"

#include "textfield.h"

#include <stdlib.h>
#include <string.h>

static void insert_places_cursor(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "bank");
    assert_string_equal(f.text, "bank");
    assert_int_equal(f.cursor, 4);
    hs_textfield_home(&f, 0);
    hs_textfield_insert(&f, "river ");
    assert_string_equal(f.text, "river bank");
    assert_int_equal(f.cursor, 6);
    hs_textfield_free(&f);
}

static void backspace_removes_whole_character(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "café 日本🦙");
    assert_true(hs_textfield_backspace(&f));
    assert_string_equal(f.text, "café 日本");
    assert_true(hs_textfield_backspace(&f));
    assert_string_equal(f.text, "café 日");
    hs_textfield_left(&f, 0);
    hs_textfield_left(&f, 0);
    assert_true(hs_textfield_backspace(&f));
    assert_string_equal(f.text, "caf 日");
    hs_textfield_free(&f);
}

static void delete_removes_next_character(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "ñandú");
    hs_textfield_home(&f, 0);
    assert_true(hs_textfield_delete(&f));
    assert_string_equal(f.text, "andú");
    hs_textfield_end(&f, 0);
    assert_false(hs_textfield_delete(&f));
    hs_textfield_left(&f, 0);
    assert_true(hs_textfield_delete(&f));
    assert_string_equal(f.text, "and");
    hs_textfield_free(&f);
}

static void selection_copy_and_replace(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "the bank of the river");
    hs_textfield_home(&f, 0);
    hs_textfield_word_right(&f, 0);
    hs_textfield_word_right(&f, 1);
    char *selected = hs_textfield_selection(&f);
    assert_non_null(selected);
    assert_string_equal(selected, "bank ");
    free(selected);
    hs_textfield_insert(&f, "shore ");
    assert_string_equal(f.text, "the shore of the river");
    assert_null(hs_textfield_selection(&f));

    hs_textfield_select_all(&f);
    assert_true(hs_textfield_backspace(&f));
    assert_string_equal(f.text, "");
    assert_int_equal(f.length, 0);
    hs_textfield_free(&f);
}

static void left_collapses_selection(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "abcdef");
    hs_textfield_left(&f, 1);
    hs_textfield_left(&f, 1);
    assert_int_equal(f.anchor, 6);
    assert_int_equal(f.cursor, 4);
    hs_textfield_left(&f, 0);
    assert_int_equal(f.cursor, 4);
    assert_int_equal(f.anchor, 4);
    hs_textfield_free(&f);
}

static void invalid_bytes_become_replacement(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "a\xff" "b\xe6\x97" "c");
    assert_string_equal(f.text, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c");
    hs_textfield_free(&f);
}

static void line_breaks_become_spaces(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "one\ntwo\r\n");
    assert_string_equal(f.text, "one two  ");
    hs_textfield_free(&f);
}

static void max_length_keeps_whole_characters(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 5);
    size_t inserted = hs_textfield_insert(&f, "ab日本");
    assert_int_equal(inserted, 5);
    assert_string_equal(f.text, "ab日");
    assert_int_equal(hs_textfield_insert(&f, "x"), 0);
    hs_textfield_free(&f);
}

static void set_cursor_snaps_to_character(void **state)
{
    hs_textfield f;
    hs_textfield_init(&f, 1024);
    hs_textfield_insert(&f, "日本");
    hs_textfield_set_cursor(&f, 4, 0);
    assert_int_equal(f.cursor, 3);
    hs_textfield_set_cursor(&f, 99, 0);
    assert_int_equal(f.cursor, 6);
    hs_textfield_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_places_cursor),
        cmocka_unit_test(backspace_removes_whole_character),
        cmocka_unit_test(delete_removes_next_character),
        cmocka_unit_test(selection_copy_and_replace),
        cmocka_unit_test(left_collapses_selection),
        cmocka_unit_test(invalid_bytes_become_replacement),
        cmocka_unit_test(line_breaks_become_spaces),
        cmocka_unit_test(max_length_keeps_whole_characters),
        cmocka_unit_test(set_cursor_snaps_to_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
