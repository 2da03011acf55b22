#!/usr/bin/env bash
# Layout check: the files of the extension call one another one way only,
# and no source file grows past 1,000 lines.  Prints TAP.
#
# Calls are read from the symbols of the built objects (nm): file A refers to
# file B when A uses a symbol that B defines.  Within each layer (the
# embedded client, the FDW with its front door) a circle of such references
# fails: two files that refer to each other, or a longer loop.  Run it after
# `make`; test/run-tests.sh runs it with the unit tests.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MAX_LINES=${MAX_LINES:-1000}

n=0
failed=0
check()
{
	# $1 = 0 when the check passed, $2 = its name; the details are on stdin
	local details
	details=$(cat)
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/# /' <<<"$details"
		failed=$((failed + 1))
	fi
}

# circles LAYER OBJECT...: every loop of references among these objects,
# one a line: "a.c <-> b.c" for two files, "a.c -> b.c -> c.c -> a.c" for
# longer ones.
circles()
{
	local layer=$1 o
	shift
	for o in "$@"; do
		[ -f "$o" ] || { echo "missing object $o (run make first)"; continue; }
		nm -P "$o" | awk -v f="${o%.o}.c" '{ print f, $1, $2 }'
	done | awk '
		# global definitions (upper case: T, D, B, R ...); local ones (lower
		# case) are seen by their own file only
		$3 ~ /^[A-TV-Z]$/ { def[$2] = $1 }
		$3 == "U" { uses[$1, $2] = 1 }
		{ files[$1] = 1 }
		END {
			for (k in uses) {
				split(k, p, SUBSEP)
				if ((p[2] in def) && def[p[2]] != p[1])
					edge[p[1], def[p[2]]] = 1
			}
			# the files in name order, so that every run prints the same
			nf = 0
			for (f in files) {
				for (i = ++nf; i > 1 && name[i - 1] > f; i--) name[i] = name[i - 1]
				name[i] = f
			}
			# two files that refer to each other
			for (i = 1; i <= nf; i++)
				for (j = i + 1; j <= nf; j++)
					if (((name[i], name[j]) in edge) && ((name[j], name[i]) in edge))
						print "pair: " name[i] " " name[j]
			# longer loops: the strongly connected sets of more than two files
			# (transitive closure; the files are few)
			for (k in edge) reach[k] = 1
			for (m = 1; m <= nf; m++)
				for (i = 1; i <= nf; i++)
					if ((name[i], name[m]) in reach)
						for (j = 1; j <= nf; j++)
							if ((name[m], name[j]) in reach)
								reach[name[i], name[j]] = 1
			for (i = 1; i <= nf; i++) {
				f = name[i]
				if (!((f, f) in reach) || (f in done)) continue
				set = ""; size = 0
				for (j = 1; j <= nf; j++)
					if (((f, name[j]) in reach) && ((name[j], f) in reach)) {
						set = set " " name[j]; size++; done[name[j]] = 1
					}
				if (size > 2)
					print "loop:" set
			}
		}' | sort
}

# known: the circles and long files this tree still has, one a line as this
# script prints them ("pair: A B", "loop: A B C...", "long: FILE"); anything
# else fails.  An entry that no longer holds is reported, to be removed.
known=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' test/layout/known.txt)
# judge NAME FINDINGS: a check that fails on each finding not in the known
# list (a long file is known by its name, whatever its length)
judge()
{
	local name=$1 findings=$2 new gone
	new=$(grep -vxF -f <(echo "$known") <<<"$findings" |
		awk '/^long: / { k = $1 " " $2; if (index("\n" KNOWN "\n", "\n" k "\n")) next } NF' KNOWN="$known")
	gone=$(grep -E "^${3}" <<<"$known" | while IFS= read -r k; do
		case "$k" in
			long:*) grep -q "^$k " <<<"$findings" || echo "no longer true (remove from test/layout/known.txt): $k" ;;
			*) grep -qxF "$k" <<<"$findings" || echo "no longer true (remove from test/layout/known.txt): $k" ;;
		esac
	done)
	check "$([ -z "$new" ]; echo $?)" "$name" <<<"$new"
	[ -z "$gone" ] || sed 's/^/# /' <<<"$gone"
}

client_objs=$(ls src/client/*.c | sed 's/\.c$/.o/')
fdw_objs="pegasus_fdw.o $(ls src/fdw/*.c | sed 's/\.c$/.o/')"

echo "1..4"
# the detector itself: three objects calling round in a loop, and two
# others that call each other, must be reported
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int b1(void); int a1(void) { return b1(); }\n' >"$tmp/a.c"
printf 'int c1(void); int b1(void) { return c1(); }\n' >"$tmp/b.c"
printf 'int a1(void); int c1(void) { return a1(); }\n' >"$tmp/c.c"
printf 'int e1(void); int d1(void) { return e1(); }\n' >"$tmp/d.c"
printf 'int d1(void); int e1(void) { return d1(); }\n' >"$tmp/e.c"
for f in a b c d e; do ${CC:-cc} -c -o "$tmp/$f.o" "$tmp/$f.c"; done
out=$(circles test "$tmp/a.o" "$tmp/b.o" "$tmp/c.o" "$tmp/d.o" "$tmp/e.o" | sed "s|$tmp/||g")
expected=$'loop: a.c b.c c.c\npair: d.c e.c'
check "$([ "$out" = "$expected" ]; echo $?)" "a call loop and a pair of built objects are found" \
	<<<"found:"$'\n'"$out"
judge "src/client: no two files call each other, no longer call loop" \
	"$(circles client $client_objs)" '(pair|loop): src/client/'
judge "src/fdw and pegasus_fdw.c: no two files call each other, no longer call loop" \
	"$(circles fdw $fdw_objs)" '(pair|loop): (src/fdw/|pegasus_fdw)'
judge "no source file of src/, test/ or pegasus_fdw.c over $MAX_LINES lines" \
	"$(find src test pegasus_fdw.c -name '*.[ch]' -type f -print0 | xargs -0 wc -l |
		awk -v max="$MAX_LINES" '$2 != "total" && $1 > max { print "long: " $2 " " $1 " lines" }' | sort)" 'long: '
[ "$failed" -eq 0 ]
