/*-------------------------------------------------------------------------
 *
 * client_conn.h
 *		A connection to one endpoint, shared by the files of the connection
 *		layer (client_net.c, client_net_read.c, client_net_wait.c).
 *
 * src/client/client_conn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGASUS_CLIENT_CONN_H
#define PEGASUS_CLIENT_CONN_H

#include "client_internal.h"

#define READ_CHUNK (256 * 1024)

typedef enum PegasusConnState
{
	CONN_IDLE,					/* no socket */
	CONN_CONNECTING,
	CONN_NEGOTIATING,			/* only nego_req may be written */
	CONN_READY
} PegasusConnState;

struct PegasusConn
{
	PegasusClient *client;
	char		endpoint[PEGASUS_ENDPOINT_LEN];
	int			fd;
	PegasusConnState state;
	int64_t		connect_deadline;
	int32_t		next_seqid;
	bool		seqid_wrapped;	/* every positive seqid may be in use */
	GQueue		outq;			/* PegasusNetRequest * in write order */
	GHashTable *pending;		/* seqid -> PegasusNetRequest * */
	guint8	   *rbuf;			/* bytes read, not yet a whole frame */
	size_t		rlen;
	size_t		rcap;
	PegasusAuthSession *nego;	/* CONN_NEGOTIATING */
	PegasusNetRequest *nego_req;	/* its request in flight */
	bool		nego_kdc;		/* instead, waiting for the KDC */
	bool		nego_closed;	/* the last negotiation ended in a close */
	int64_t		nego_deadline;
	int64_t		retired_until;	/* retired: closed at this time */
};

/* in client_net.c */
extern bool pegasus_conn_flush(PegasusConn *conn);
extern int	pegasus_conn_owed_clears(PegasusConn *conn);
extern void pegasus_net_retired_expire(PegasusClient *client, int64_t now);
extern void pegasus_conn_established(PegasusConn *conn);
extern bool pegasus_conn_negotiation_reply(PegasusConn *conn,
										   PegasusReply *reply);
extern void pegasus_conn_negotiation_resume(PegasusConn *conn);

/* in client_net_read.c */
extern void pegasus_conn_read(PegasusConn *conn);

#endif							/* PEGASUS_CLIENT_CONN_H */
