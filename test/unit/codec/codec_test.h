/*-------------------------------------------------------------------------
 *
 * codec_test.h
 *		What the parts of test_codec share: byte helpers, the filler of
 *		sample structs, and the tests each part defines for main() (test_codec.c).
 *
 * test/unit/codec/codec_test.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CODEC_TEST_H
#define CODEC_TEST_H

#include <glib.h>

#include "codec_internal.h"

typedef struct Filler
{
	GRand	   *rand;
	GPtrArray  *allocs;
	gboolean	all_optionals;
} Filler;

/* in test_codec.c */
extern GByteArray *bytes_from_hex(const char *hex);
extern void put_be32(guint8 *p, guint32 v);

/* in round_trip.c */
extern void make_request(Filler *fl, PegasusRpc rpc, PegasusRequest *req);
extern void make_response(Filler *fl, PegasusRpc rpc, PegasusResponse *resp);
extern void test_round_trips(void);
extern void test_writer_back_ends(void);

/* in frames.c */
extern void test_v1_header(void);
extern void test_frame_check(void);
extern void test_violations(void);
extern void test_unknown_rpc_reply(void);
extern void test_prefixes_requests(void);
extern void test_prefixes_responses(void);
extern void test_corruption_requests(void);
extern void test_corruption_responses(void);
extern void test_scan_response_views(void);

#endif							/* CODEC_TEST_H */
