# Helpers for tests/run_tests.sh: start tracked programs on fifos, talk to
# them line by line, and report in the PASS/FAIL/SKIP format.
PT="$PT_BUILD/parttrack"
T="$PT_BUILD/tests"
TMP=$(mktemp -d /tmp/parttrack-test.XXXXXX)
NPASS=0 NFAIL=0 NSKIP=0
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	sleep 0.1
	# state files of killed programs (a clean exit removes its own)
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || rm -f "/dev/shm/parttrack.$p"; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS: $1"; NPASS=$((NPASS + 1)); }
fail() { echo "FAIL: $1: $2"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP: $1: $2"; NSKIP=$((NSKIP + 1)); }

# spawn ID CMD...: runs CMD with stdin from a fifo; sets PID_ID.
spawn() {
	local id=$1; shift
	mkfifo "$TMP/$id.in"
	"$@" < "$TMP/$id.in" > "$TMP/$id.out" 2> "$TMP/$id.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$id=$pid"
	local fd
	exec {fd}>"$TMP/$id.in"
	eval "FD_$id=$fd"
	eval "SEEN_$id=0"
}

# send ID LINE
send() { local fd; eval "fd=\$FD_$1"; echo "$2" >&"$fd"; }

# expect ID REGEX [SECONDS]: waits for a new output line matching REGEX; prints it.
expect() {
	local id=$1 re=$2 t=${3:-15} seen n line
	eval "seen=\$SEEN_$id"
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		n=$(grep -n -E -- "$re" "$TMP/$id.out" 2>/dev/null | awk -F: -v s="$seen" '$1 > s {print $1; exit}')
		if [ -n "$n" ]; then
			eval "SEEN_$id=$n"
			sed -n "${n}p" "$TMP/$id.out"
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# stop ID: closes stdin and reaps the program.
stop() {
	local fd pid; eval "fd=\$FD_$1; pid=\$PID_$1"
	exec {fd}>&-
	local i
	for i in $(seq 250); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# parts PID: the "parts:" list of the thread whose tid is PID.
# The states of the test's three parts in a fixed order (X, Y, Z).
parts() {
	"$PT" status "$1" | awk -v t="$1" '$1=="thread" && $2==t {sub(/.* parts: /,""); n=split($0,a," ");
		for (i=1;i<=n;i++) { split(a[i],kv,"="); st[kv[1]]=a[i] }
		s=""; for (k in st) if (k ~ /^fig1/) s=st[k];
		if ("libfoo.so.1" in st) s=s " " st["libfoo.so.1"];
		if ("libbar.so.1" in st) s=s " " st["libbar.so.1"]; print s}'
}

# bcount PID SYMBOL FIELD: sum of calls= or returns= over bindings of SYMBOL.
bcount() {
	"$PT" status -b "$1" | awk -v s="$2" -v f="$3" '$1=="binding" {split($5,a,":"); if (a[2]==s) for (i=6;i<=NF;i++) if (index($i,f"=")==1) {sub(f"=","",$i); n+=$i}} END {print n+0}'
}

# objfield PID REGEX FIELD: FIELD (calls_in=, returns_in=...) of the object line matching REGEX.
objfield() { "$PT" status "$1" | awk -v r="$2" -v f="$3" '$1=="object" && $0 ~ r {for (i=4;i<=NF;i++) if (index($i,f"=")==1) {sub(f"=","",$i); n+=$i}} END {print n+0}'; }

# objects PID: object lines without counters (what a refused swap must not change).
objects() { "$PT" status "$1" | awk '$1=="object" {print $2, $3, $7, $8}' | sed 's/ running / busy /; s/ calling / busy /; s/ unused / busy /'; }
