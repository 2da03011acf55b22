#!/usr/bin/env bash
# The 16-session load of t_load.sh (every acknowledged write logged; every
# read of a client's own key and the final contents checked against the
# log) while its table splits twice, 8 -> 16 -> 32 partitions, every
# phase landing in the middle of the load (LOAD_SPLIT_DELAY_MS per phase).
export LOAD_SPLITS=${LOAD_SPLITS:-2}
export LOAD_SECONDS=${LOAD_SECONDS:-30}
exec bash "$(dirname "$0")/t_load.sh"
