# Turn a text file into a C source defining `const char *const SYM` and `const size_t SYM_len`.
file(READ ${IN} HEX HEX)
string(LENGTH "${HEX}" HEXLEN)
math(EXPR LEN "${HEXLEN} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n#include <stddef.h>\n"
     "extern const char *const ${SYM};\nextern const size_t ${SYM}_len;\n"
     "static const unsigned char ${SYM}_data[] = {${BYTES} 0x00};\n"
     "const char *const ${SYM} = (const char *)${SYM}_data;\n"
     "const size_t ${SYM}_len = ${LEN};\n")
