/*-------------------------------------------------------------------------
 *
 * onebox_test.h
 *		What the parts of test_onebox share: the onebox it starts, raw RPCs
 *		to it, and the tests each part defines for main() (test_onebox.c).
 *
 * test/unit/onebox/onebox_test.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ONEBOX_TEST_H
#define ONEBOX_TEST_H

#include <glib.h>

#include "pegasus_codec.h"

#define NREP		3
#define TIMEOUT_MS	3000

typedef struct TestBox
{
	GPid		pid;
	int			base;
	int			meta[2];
	int			reps[NREP];
	int			control;
	char		control_addr[32];
	char	   *log_path;
} TestBox;
/* Reply: the frame and its decoded response (views into the frame) */
typedef struct Reply
{
	GByteArray *frame;
	PegasusCodecStatus status;
	PegasusResponse r;
} Reply;

typedef struct Route
{
	gint32		app_id;
	gint32		count;
	int			ports[64];
	gint64		ballots[64];
} Route;

/* in test_onebox.c */
extern TestBox box;
extern gint32 next_seqid;
extern int port_fd(int port);
extern void forget_fd(int port);
extern void reply_free(Reply *rp);
extern Reply *decode_reply(GByteArray *frame);
extern GByteArray *encode(PegasusRequest *req);
extern Reply *raw_call(int port, const guint8 *data, gsize len);
extern Reply *call_port(int port, PegasusRequest *req);
extern char *control(const char *fmt,...) G_GNUC_PRINTF(1, 2);
extern void control_ok(const char *fmt,...) G_GNUC_PRINTF(1, 2);
extern guint64 violations(void);
extern guint32 server_now(void);
extern guint scanner_count(void);
extern guint scanner_at_risk(void);
extern void req_init(PegasusRequest *req, PegasusRpc rpc, gint32 app, gint32 pidx, guint64 phash);
extern Reply *meta_call(int meta_port, PegasusRequest *req);
extern Reply *query_cfg(int meta_port, const char *table);
extern gboolean route_table(const char *table, Route *rt);
extern GByteArray *rrdb_key(const char *hk, const char *sk);
extern gint32 pidx_of_hash_key(Route *rt, const char *hk);
extern Reply *routed(Route *rt, PegasusRequest *req, guint64 hash);
extern guint64 hk_hash(const char *hk);
extern gint32 t_put(Route *rt, const char *hk, const char *sk, const char *v, gint32 expire_ts);
extern gboolean answers_get(Route *rt, const char *hk);
extern gint32 t_ttl(Route *rt, const char *hk, const char *sk, gint32 *ttl);
extern void assert_value(Route *rt, const char *hk, const char *sk, const char *want);
extern Route temp_rt;
extern void need_box(void);

/* a test that needs the onebox skips (and returns) without one */
#define REQUIRE_BOX() do { need_box(); if (box.pid <= 0) return; } while (0)

/* in meta_kv.c */
extern void test_meta_query_cfg(void);
extern Reply *list_apps(gint32 status);
extern void test_meta_create_drop_list(void);
extern void test_negotiation_and_unknown_rpc(void);
extern void test_put_get_remove(void);
extern void test_ttl_and_expiry(void);
extern gint32 t_multi_put(Route *rt, const char *hk, const char **sks, const char **vals, int n,
		gint32 expire);
extern void test_multi_put_remove(void);
extern Reply *multi_get(Route *rt, PegasusMultiGetRequest *mg);
extern void test_multi_get(void);
extern void test_multi_get_incomplete_rule(void);
extern void test_batch_get_sortkey_count(void);

/* in cas_scan.c */
extern Reply *incr(const char *hk, const char *sk, gint64 inc, gint32 expire);
extern void test_incr(void);
extern void test_check_and_set(void);
extern void test_check_and_mutate(void);
extern Reply *get_scanner_at(Route *rt, gint32 pidx, guint64 hash, PegasusGetScannerRequest *g);
extern Reply *scan_at(Route *rt, gint32 pidx, guint64 hash, gint64 id);
extern GHashTable *full_scan(Route *rt, gint32 batch, gboolean expect_negative, guint *rows);
extern void test_scan_full_table(void);
extern void test_scan_hash_key(void);

/* in framing_control.c */
extern void test_gating(void);
extern void test_pipelining(void);
extern void test_v1_header(void);
extern void expect_violation_req(int port, PegasusRequest *req, const char *what);
extern void test_strictness(void);
extern void test_control_move_stop_start(void);
extern void test_control_faults(void);
extern void test_control_listing(void);
extern char *vectors_dir(void);

/* in split_smoke.c */
extern void test_split_phases(void);
extern void test_split_random_order(void);
extern void test_split_child_activation(void);
extern void test_split_pause_cancel(void);
extern void test_split_without_validation(void);
extern void test_throttling(void);
extern void test_host_port_fields(void);
extern void test_wire_vectors(void);
extern void test_shared_onebox_smoke(void);

#endif							/* ONEBOX_TEST_H */
