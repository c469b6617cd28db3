/*
 * fuzz_outpath.h - the input layout of fuzz_outpath (fuzz_outpath.c), shared
 * with gen_corpus.c, which writes its seeds.
 *
 *   | u8 mode | rest ... |
 *
 * mode bit 0 clear: the pure functions of common/relpath.h.
 *
 *   | u8 mode | u16 split (big-endian) | path bytes P ... |
 *
 * mode bit 0 set: a tree. The rest is a list of operations, each
 *
 *   | u8 op | u8 n | n bytes: a name (fewer at the end of the input) |
 *
 * applied in order in the current directory (the tree's root at first);
 * op & 7 says what, k = op >> 3 (0..31) is its argument:
 *
 *   | op & 7           | does                                                |
 *   |------------------|-----------------------------------------------------|
 *   | FUZZ_OP_FILE     | a regular file name holding the name's bytes        |
 *   | FUZZ_OP_DIR      | a directory name, and enter it                      |
 *   | FUZZ_OP_UP       | leave the current directory (the name is unused)    |
 *   | FUZZ_OP_SYMLINK  | a symlink name, to one of 4 targets by k % 4        |
 *   | FUZZ_OP_FIFO     | a FIFO name                                         |
 *   | FUZZ_OP_HARDLINK | a hard link name to the last regular file made      |
 *   | FUZZ_OP_CHAIN    | 4 * k nested directories name, entered              |
 *   | FUZZ_OP_LONG     | a directory named by 128 + 4 * k copies of the      |
 *   |                  | name's first byte ('L' if none), entered            |
 *
 * A name is its bytes up to the first NUL; an operation whose name is
 * empty, ".", "..", holds '/', or already exists is skipped.
 */
#ifndef RS_FUZZ_OUTPATH_H
#define RS_FUZZ_OUTPATH_H

enum {
	FUZZ_OP_FILE = 0,
	FUZZ_OP_DIR = 1,
	FUZZ_OP_UP = 2,
	FUZZ_OP_SYMLINK = 3,
	FUZZ_OP_FIFO = 4,
	FUZZ_OP_HARDLINK = 5,
	FUZZ_OP_CHAIN = 6,
	FUZZ_OP_LONG = 7,
};

#define FUZZ_MODE_PURE 0
#define FUZZ_MODE_TREE 1

#endif
