/* lantian — INI text reader with line numbers (see ini_text.h). */
#include "util/ini_text.h"

char *lt__ini_text_reader(char *str, int num, void *stream)
{
    struct lt__ini_text *t = stream;
    if (t->pos >= t->len || num < 2)
        return NULL;
    size_t n = 0;
    while (t->pos < t->len && n + 1 < (size_t)num) {
        char ch = t->text[t->pos++];
        str[n++] = ch;
        if (ch == '\n')
            break;
    }
    str[n] = '\0';
    t->line++;
    return str;
}
