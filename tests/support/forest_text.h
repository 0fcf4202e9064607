/*
 * forest_text.h - everything a forest picture says, as text, so that tests
 * and fuzz targets can compare two builds of it (determinism).
 */
#ifndef DOMTIMED_TESTS_FOREST_TEXT_H
#define DOMTIMED_TESTS_FOREST_TEXT_H

struct hier_forest;

/* Allocated text (free it); aborts when memory runs out. */
char *forest_text(const struct hier_forest *f);

#endif
