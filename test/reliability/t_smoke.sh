#!/usr/bin/env bash
# The reliability harness itself: PostgreSQL, the extension and the onebox
# control port are reachable.
. "$(dirname "$0")/lib.sh"

setup_db rel_smoke || { not_ok "scratch database"; tap_done; exit 1; }
expect_eq "control port answers" "OK pong" "$(control ping)"
expect_eq "extension answers a cluster listing" "t" \
	"$(sql "SELECT count(*) >= 0 FROM pegasus_fdw_list_tables('pegasus')")"
tap_done
