/* Test shared library, built twice (-DVERSION=1, 2): a restore must refuse a changed one. */
int ckdemo_mix(int x);
int ckdemo_mix(int x) { return x * 3 + VERSION; }
