/*-------------------------------------------------------------------------
 *
 * wait_hook.h
 *		The wait hook of the Pegasus clients (wait_hook.c), for the
 *		connection cache (connection.c) that installs it.
 *
 * src/fdw/wait_hook.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_WAIT_HOOK_H
#define PEGFDW_WAIT_HOOK_H

#include "pegasus_client.h"

extern int	pegfdw_wait_hook(void *arg, PegasusPollFd *fds, int nfds,
							 int timeout_ms);
extern void pegfdw_rethrow_wait_hook_error(void);
extern void pegfdw_forget_wait_hook_error(void);

#endif							/* PEGFDW_WAIT_HOOK_H */
