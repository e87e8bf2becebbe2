# SPDX-License-Identifier: MIT
# cmake -DIN=x.spv -DOUT=x.spv.c -DNAME=symbol -P embed_spirv.cmake
# Writes the SPIR-V words as a C array (SPIR-V is little-endian words).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR rem "${n} % 8")
if(NOT rem EQUAL 0 OR n EQUAL 0)
  message(FATAL_ERROR "${IN}: not a whole number of 32-bit words")
endif()
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u," words "${hex}")
string(REGEX REPLACE "((0x[0-9a-f]+u,){8})" "\\1\n  " words "${words}")
math(EXPR nwords "${n} / 8")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n#include <stddef.h>\n#include <stdint.h>\nconst uint32_t ${NAME}[${nwords}] = {\n  ${words}\n};\nconst size_t ${NAME}_size = sizeof(${NAME});\n")
