/* Relocations recovered by decoding machine code (capstone), for executables linked without
 * --emit-relocs (a default gcc build): every rel32 branch/call and RIP-relative operand in a
 * function becomes a PC32 relocation naming what it refers to, so that the binary diff can
 * tell "moved" from "changed" as it does with the linker's relocations. */
#ifndef CKPT_DECODE_H
#define CKPT_DECODE_H
#include "elfbin.h"

/* Fills B->rels from B's functions; 0, or -1 with the reason (decoder unavailable). */
int decode_relocs(struct elfbin *b);
#endif
