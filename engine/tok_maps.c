/*
 * tok_maps.c - the containers the tokenizers share: a string arena, the
 * string -> id and (id, id) -> merge hash maps (open addressing), and the
 * growable token list the encoders append to.
 */
#include "hs_error.h"
#include "tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- arena */

enum { ARENA_BLOCK_SIZE = 64 * 1024 };

struct hs_tok_arena_block {
    hs_tok_arena_block *next;
    size_t used, capacity;
    char data[];
};

char *hs_tok_arena_strndup(hs_tok_arena *arena, const char *s, size_t len)
{
    hs_tok_arena_block *block = arena->head;
    if (!block || block->capacity - block->used < len + 1) {
        size_t capacity = len + 1 > ARENA_BLOCK_SIZE ? len + 1 : ARENA_BLOCK_SIZE;
        block = malloc(sizeof *block + capacity);
        if (!block)
            return NULL;
        block->used = 0;
        block->capacity = capacity;
        block->next = arena->head;
        arena->head = block;
    }
    char *out = block->data + block->used;
    if (len)
        memcpy(out, s, len);
    out[len] = '\0';
    block->used += len + 1;
    return out;
}

void hs_tok_arena_free(hs_tok_arena *arena)
{
    hs_tok_arena_block *block = arena->head;
    while (block) {
        hs_tok_arena_block *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
}

/* ---- string map */

static uint64_t hash_bytes(const char *s, size_t len)
{
    /* FNV-1a, 64 bit */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int strmap_grow(hs_tok_strmap *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 1024;
    hs_tok_strmap_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->capacity; i++) {
        hs_tok_strmap_slot *old = &map->slots[i];
        if (!old->key)
            continue;
        size_t j = hash_bytes(old->key, old->len) & (capacity - 1);
        while (slots[j].key)
            j = (j + 1) & (capacity - 1);
        slots[j] = *old;
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

int hs_tok_strmap_put(hs_tok_strmap *map, const char *key, size_t len, int32_t value)
{
    if ((map->count + 1) * 2 > map->capacity && strmap_grow(map) != 0)
        return -1;
    size_t mask = map->capacity - 1;
    size_t j = hash_bytes(key, len) & mask;
    while (map->slots[j].key) {
        hs_tok_strmap_slot *slot = &map->slots[j];
        if (slot->len == len && memcmp(slot->key, key, len) == 0) {
            slot->value = value;
            return 0;
        }
        j = (j + 1) & mask;
    }
    map->slots[j].key = key;
    map->slots[j].len = (uint32_t)len;
    map->slots[j].value = value;
    map->count++;
    return 0;
}

int32_t hs_tok_strmap_get(const hs_tok_strmap *map, const char *key, size_t len)
{
    if (!map->capacity)
        return -1;
    size_t mask = map->capacity - 1;
    size_t j = hash_bytes(key, len) & mask;
    while (map->slots[j].key) {
        const hs_tok_strmap_slot *slot = &map->slots[j];
        if (slot->len == len && memcmp(slot->key, key, len) == 0)
            return slot->value;
        j = (j + 1) & mask;
    }
    return -1;
}

void hs_tok_strmap_free(hs_tok_strmap *map)
{
    free(map->slots);
    memset(map, 0, sizeof *map);
}

/* ---- pair map */

static uint64_t hash_u64(uint64_t x)
{
    /* splitmix64 finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t pair_key(int32_t left, int32_t right)
{
    return ((uint64_t)(uint32_t)left << 32 | (uint32_t)right) + 1;
}

static int pairmap_grow(hs_tok_pairmap *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 1024;
    hs_tok_pair_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->capacity; i++) {
        if (!map->slots[i].key)
            continue;
        size_t j = hash_u64(map->slots[i].key) & (capacity - 1);
        while (slots[j].key)
            j = (j + 1) & (capacity - 1);
        slots[j] = map->slots[i];
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

int hs_tok_pairmap_put(hs_tok_pairmap *map, int32_t left, int32_t right, int32_t rank,
                       int32_t merged_id)
{
    if ((map->count + 1) * 2 > map->capacity && pairmap_grow(map) != 0)
        return -1;
    uint64_t key = pair_key(left, right);
    size_t mask = map->capacity - 1;
    size_t j = hash_u64(key) & mask;
    while (map->slots[j].key) {
        if (map->slots[j].key == key)
            return 0;
        j = (j + 1) & mask;
    }
    map->slots[j].key = key;
    map->slots[j].rank = rank;
    map->slots[j].merged_id = merged_id;
    map->count++;
    return 0;
}

const hs_tok_pair_slot *hs_tok_pairmap_get(const hs_tok_pairmap *map, int32_t left,
                                           int32_t right)
{
    if (!map->capacity)
        return NULL;
    uint64_t key = pair_key(left, right);
    size_t mask = map->capacity - 1;
    size_t j = hash_u64(key) & mask;
    while (map->slots[j].key) {
        if (map->slots[j].key == key)
            return &map->slots[j];
        j = (j + 1) & mask;
    }
    return NULL;
}

void hs_tok_pairmap_free(hs_tok_pairmap *map)
{
    free(map->slots);
    memset(map, 0, sizeof *map);
}

/* ---- token list */

int hs_tok_list_push(hs_tok_list *list, int32_t id, int32_t start, int32_t end, int flags,
                     int segment, int type_id)
{
    if (list->n == list->capacity) {
        int capacity = list->capacity ? list->capacity * 2 : 64;
        int32_t *ids = realloc(list->ids, (size_t)capacity * sizeof *ids);
        if (ids)
            list->ids = ids;
        int32_t(*offsets)[2] = realloc(list->offsets, (size_t)capacity * sizeof *offsets);
        if (offsets)
            list->offsets = offsets;
        uint8_t *fl = realloc(list->flags, (size_t)capacity);
        if (fl)
            list->flags = fl;
        uint8_t *seg = realloc(list->segment, (size_t)capacity);
        if (seg)
            list->segment = seg;
        int32_t *types = realloc(list->type_ids, (size_t)capacity * sizeof *types);
        if (types)
            list->type_ids = types;
        if (!ids || !offsets || !fl || !seg || !types) {
            hs_error_set("tokenizer: out of memory for %d tokens", capacity);
            return -1;
        }
        list->capacity = capacity;
    }
    int i = list->n++;
    list->ids[i] = id;
    list->offsets[i][0] = start;
    list->offsets[i][1] = end;
    list->flags[i] = (uint8_t)flags;
    list->segment[i] = (uint8_t)segment;
    list->type_ids[i] = type_id;
    return 0;
}

void hs_tok_list_free(hs_tok_list *list)
{
    free(list->ids);
    free(list->offsets);
    free(list->flags);
    free(list->segment);
    free(list->type_ids);
    memset(list, 0, sizeof *list);
}
