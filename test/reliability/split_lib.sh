# Helpers of the partition-split scripts (t_split_*.sh): drive a onebox
# split phase by phase while a statement runs.  Sourced after fault_lib.sh.
#
# A split of a table of P partitions is 2P + 2 actions: "split" (copying),
# then P times a "split-step" into a parent's ERR_SPLITTING window and one
# out of it (its child registered), and "compact".  split-delay is set so
# high that nothing advances by itself; the driver performs each action
# once the statement has made progress since the previous one (it polls
# the onebox's RPC counters, and waits at most 5 s for a statement that
# has stalled), so every phase lands in the middle of the statement.  A
# window is left at once (statements retry ERR_SPLITTING within
# timeout_ms).

SPLIT_ACTIONS=0			# actions done on the current table
SPLIT_PARTS=4			# partitions of the table before the split
SPLIT_RPCS=""			# RPC names whose count tells the statement progresses

split_reset()
{
	SPLIT_ACTIONS=0
	SPLIT_PARTS=$1
	control split-delay 86400000 >/dev/null
}

# split_action TABLE: the next action; fails when the split is complete
split_action()
{
	local last=$((2 * SPLIT_PARTS + 1)) r
	[ "$SPLIT_ACTIONS" -le "$last" ] || return 1
	if [ "$SPLIT_ACTIONS" -eq 0 ]; then
		r=$(control split "$1")
	elif [ "$SPLIT_ACTIONS" -eq "$last" ]; then
		r=$(control compact "$1")
	else
		r=$(control split-step "$1")
	fi
	case $r in OK*) ;; *) echo "# split action $SPLIT_ACTIONS on $1: $r" ;; esac
	SPLIT_ACTIONS=$((SPLIT_ACTIONS + 1))
}

# split_in_window: the last action opened a parent's ERR_SPLITTING window
split_in_window()
{
	[ "$SPLIT_ACTIONS" -ge 2 ] && [ $((SPLIT_ACTIONS % 2)) -eq 0 ] &&
		[ "$SPLIT_ACTIONS" -le $((2 * SPLIT_PARTS)) ]
}

split_progress()
{
	control counters | awk -v names="$SPLIT_RPCS" '
		BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		($2 in want) { s += $3 } END { print s + 0 }'
}

# split_wait_progress PID N: until N more counted RPCs, PID ended, or 5 s
split_wait_progress()
{
	local pid=$1 want end=$((SECONDS + 5))
	want=$(($(split_progress) + $2))
	while kill -0 "$pid" 2>/dev/null && [ "$(split_progress)" -lt "$want" ] &&
		[ $SECONDS -lt $end ]; do
		sleep 0.01
	done
}

# split_drive TABLE PID: the remaining actions while PID runs, then the rest
# after it ended; prints how many actions landed while it ran.
split_drive()
{
	local landed=0
	while kill -0 "$2" 2>/dev/null; do
		split_in_window || split_wait_progress "$2" 3
		kill -0 "$2" 2>/dev/null || break
		split_action "$1" || break
		landed=$((landed + 1))
	done
	while split_action "$1"; do :; done
	echo "$landed"
}
