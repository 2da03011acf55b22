/*-------------------------------------------------------------------------
 *
 * wire_vectors_test.h
 *		What the parts of test_wire_vectors share: where the vectors are, how a
 *		mismatch is reported, and the tests each part defines for main().
 *
 * test/unit/wire_vectors/wire_vectors_test.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WIRE_VECTORS_TEST_H
#define WIRE_VECTORS_TEST_H

#include <glib.h>

/* in test_wire_vectors.c */
extern char *vectors_dir;
extern int	n_mismatch;
extern void mismatch(const char *fmt,...) G_GNUC_PRINTF(1, 2);
extern gboolean vectors_available(void);
extern GBytes *hex_decode(const char *hex);

/* in tables.c */
extern void test_partition_hash(void);
extern void test_key_encoding(void);

#endif							/* WIRE_VECTORS_TEST_H */
