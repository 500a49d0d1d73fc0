/* libFuzzer target: the INI parsers of rule sets and plan targets on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lantian/rules.h"
#include "lantian/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text); /* the parsers take NUL-terminated text */
    struct lt_rules r;
    struct lt_diag d = {0};
    if (lt_rules_parse(&r, text, len, &d) == 0) {
        /* A parsed rule set must answer lookups for any day without crashing. */
        for (int i = 0; i < r.n; i++)
            (void)lt_rules_for_day(&r, r.set[i].from_day);
    }
    static struct lt_target t[16];
    (void)lt_targets_parse(text, len, t, 16, &d);
    free(text);
    return 0;
}
