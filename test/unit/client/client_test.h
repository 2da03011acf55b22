/*-------------------------------------------------------------------------
 *
 * client_test.h
 *		What the parts of test_client share: the fixture (a client and a fresh
 *		table per test), and the tests each part defines for main() (test_client.c).
 *
 * test/unit/client/client_test.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLIENT_TEST_H
#define CLIENT_TEST_H

#include <glib.h>

#include "pegasus_client.h"

typedef struct Fixture
{
	PegasusClient *client;
	PegasusTable *table;
	char		name[64];
} Fixture;

/* in test_client.c */
extern bool need_onebox(Fixture *f);

/* in writes.c */
extern void test_batch_get(Fixture *f, gconstpointer data);
extern void test_batch_get_start(Fixture *f, gconstpointer data);
extern void test_write_groups(Fixture *f, gconstpointer data);
extern void test_write_pipe(Fixture *f, gconstpointer data);
extern void test_write_pipe_records(Fixture *f, gconstpointer data);
extern void test_write_pipe_rounds(Fixture *f, gconstpointer data);

#endif							/* CLIENT_TEST_H */
