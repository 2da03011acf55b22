/*-------------------------------------------------------------------------
 *
 * rawrpc.h
 *	  Synchronous request/reply helper for tests: send raw frame bytes over
 *	  a blocking TCP socket and read whole reply frames back.  Knows only
 *	  the reply framing (a u32 length that counts itself); no decoding.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RAWRPC_H
#define RAWRPC_H

#include <glib.h>

/* Connect to "host:port" (IPv4 literal); -1 on failure */
extern int	onebox_rawrpc_connect(const char *host_port);
/* Write all bytes; FALSE on error */
extern gboolean onebox_rawrpc_send(int fd, const guint8 *data, gsize len);
/*
 * Read one reply frame (length prefix included) within timeout_ms.
 * NULL on timeout, EOF, error, or a length outside [8, 256 MiB];
 * *eof (if not NULL) tells whether the peer closed the connection.
 */
extern GByteArray *onebox_rawrpc_read_frame(int fd, int timeout_ms, gboolean *eof);
/* Send one frame and read one reply */
extern GByteArray *onebox_rawrpc_call(int fd, const guint8 *req, gsize len, int timeout_ms);
/* TRUE if the peer closed the connection within timeout_ms */
extern gboolean onebox_rawrpc_wait_closed(int fd, int timeout_ms);
/* One line command on a text control port; reply lines (up to END) joined by \n */
extern char *onebox_rawrpc_control(const char *host_port, const char *command);

#endif							/* RAWRPC_H */
