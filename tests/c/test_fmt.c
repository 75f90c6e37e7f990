/* hush__fmt, the library's snprintf subset (base/fmt.h), against the C library's snprintf: every
 * supported conversion, flag, width and length modifier, truncation at every capacity, and the
 * NULL/0 size query the parsers use to size their name blocks. */
#include <limits.h>
#include <stdint.h>

#include "base/fmt.h"
#include "check.h"

/* Formats with both and compares the text and the return value at every capacity up to the full
 * length + 2, so truncation and termination are exact too. */
#define SAME(...)                                                                               \
    do {                                                                                        \
        char want_[256], got_[256];                                                             \
        int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);                                   \
        int gn_ = hush__fmt(got_, sizeof got_, __VA_ARGS__);                                    \
        CHECK_MSG(wn_ == gn_ && strcmp(want_, got_) == 0, "%s: want '%s' (%d), got '%s' (%d)", \
                  #__VA_ARGS__, want_, wn_, got_, gn_);                                         \
        CHECK(hush__fmt(NULL, 0, __VA_ARGS__) == wn_);                                          \
        for (size_t cap_ = 1; cap_ <= (size_t)wn_ + 2; cap_++) {                                \
            memset(want_, 'x', sizeof want_);                                                   \
            memset(got_, 'y', sizeof got_);                                                     \
            snprintf(want_, cap_, __VA_ARGS__);                                                 \
            hush__fmt(got_, cap_, __VA_ARGS__);                                                 \
            size_t end_ = cap_ - 1 < (size_t)wn_ ? cap_ - 1 : (size_t)wn_; /* the NUL */        \
            CHECK_MSG(strcmp(want_, got_) == 0 && got_[end_] == 0 && got_[end_ + 1] == 'y',     \
                      "cap %zu: %s", cap_, #__VA_ARGS__);                                       \
        }                                                                                       \
    } while (0)

int main(void) {
    SAME("plain text");
    SAME("%%");
    SAME("100%% of %s", "rows");
    SAME("%s", "");
    SAME("[%8s]", "abc");
    SAME("%c%c", 'o', 'k');
    SAME("%d %d %d", 0, -1, INT_MIN);
    SAME("%i|%5d|%05d|%d", INT_MAX, -42, -42, 7);
    SAME("%u %u", 0u, UINT_MAX);
    SAME("%x %X %08x", 0xdeadbeefu, 0xabcu, 0x803u);
    SAME("images: bad magic 0x%08x (want 0x%08x)", 0x1234u, 0x803u);
    SAME("%ux%u pixels", 28u, 28u);
    SAME("%zu rows x %zu columns", (size_t)0, SIZE_MAX);
    SAME("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    SAME("%hu %hhu %hd", (unsigned short)65535, (unsigned char)255, (short)-5);
    SAME("line %zu: field %zu: %s number '%s'", (size_t)12, (size_t)3, "invalid", "1e9999");
    /* a conversion outside the subset ends the output there (documented), it never misreads */
    char buf[32];
    CHECK(hush__fmt(buf, sizeof buf, "a%gb", 1.5) == 1 && strcmp(buf, "a") == 0);
    CHECK_SUMMARY();
}
