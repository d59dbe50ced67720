/* Int-keyed hash map: insert n sparse integer keys, then read them all back.
   Open addressing with linear probing, grown at 50% load like a dynamic
   language's dict. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int64_t key;
    int64_t value;
    int used;
} Slot;

typedef struct {
    Slot *slots;
    size_t cap;
    size_t len;
} Map;

/* Like CPython and Lua, an int hashes to itself (folded to the table size). */
static size_t slot_of(int64_t key, size_t cap) {
    uint64_t h = (uint64_t)key;
    return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static void map_put(Map *m, int64_t key, int64_t value);

static void map_grow(Map *m) {
    Slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap ? old_cap * 2 : 8;
    m->slots = calloc(m->cap, sizeof(Slot));
    m->len = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].used) {
            map_put(m, old[i].key, old[i].value);
        }
    }
    free(old);
}

static void map_put(Map *m, int64_t key, int64_t value) {
    if ((m->len + 1) * 2 > m->cap) {
        map_grow(m);
    }
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].used && m->slots[i].key != key) {
        i = (i + 1) & (m->cap - 1);
    }
    if (!m->slots[i].used) {
        m->slots[i].used = 1;
        m->slots[i].key = key;
        m->len++;
    }
    m->slots[i].value = value;
}

static int64_t map_get(const Map *m, int64_t key) {
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].used) {
        if (m->slots[i].key == key) {
            return m->slots[i].value;
        }
        i = (i + 1) & (m->cap - 1);
    }
    fprintf(stderr, "Key not found: %lld\n", (long long)key);
    exit(1);
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 2000000;
    Map m = {0};
    for (long long i = 0; i < n; i++) {
        map_put(&m, i * 31, i);
    }
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        total += map_get(&m, i * 31);
    }
    printf("%lld\n", total);
    free(m.slots);
    return 0;
}
