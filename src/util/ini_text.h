/* lantian — internal: feed INI text held in memory to inih while counting lines, so that errors
 * can name the line (Debian's inih is built without line numbers in the handler). */
#ifndef LANTIAN_UTIL_INI_TEXT_H
#define LANTIAN_UTIL_INI_TEXT_H

#include <stddef.h>

struct lt__ini_text {
    const char *text;
    size_t len, pos;
    int line; /* number of the line last handed to inih */
};

/* An ini_reader for ini_parse_stream(); stream is a struct lt__ini_text. */
char *lt__ini_text_reader(char *str, int num, void *stream);

#endif
