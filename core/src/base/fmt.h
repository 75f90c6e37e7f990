/* snprintf for the few conversions Hush's messages use, so the library never links printf (in the
 * Emscripten bundle printf and its floating-point formatting cost about 4 KB gzipped).
 *
 * Conversions: %% %c %s %d %i %u %x %X, with an optional '0' flag, a decimal width and the length
 * modifiers h, hh, l, ll, z. Anything else (floating point, precision, '*') stops the output
 * there: the format attribute lets the compiler check every call's arguments, and tests/c keep the
 * messages' wording. Like snprintf: always NUL-terminated when cap > 0, returns the length the
 * whole output would have had.
 */
#ifndef HUSH__FMT_H
#define HUSH__FMT_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define HUSH__FMT_ATTR(f, a) __attribute__((format(printf, f, a)))
#else
#define HUSH__FMT_ATTR(f, a)
#endif

int hush__fmt(char *out, size_t cap, const char *fmt, ...) HUSH__FMT_ATTR(3, 4);
int hush__vfmt(char *out, size_t cap, const char *fmt, va_list ap) HUSH__FMT_ATTR(3, 0);

#endif
