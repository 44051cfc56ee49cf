# The real-program matrix (issue 16), sourced by run_tests.sh: ordinary Debian
# programs and the realprog modes under `parttrack run`, each with a hard
# timeout, each checking the program's own output, that parttrack printed no
# warning, and that no process of the run is left behind (running, stopped or
# traced).  Every run is tagged through its environment, which all of its
# descendants inherit, so leftovers are found wherever they were reparented.

# tagged TAG: pids of live processes whose environment carries TAG.
tagged() {
	grep -lzxF "PT_MATRIX_TAG=$1" /proc/[0-9]*/environ 2>/dev/null | sed 's|/proc/\([0-9]*\)/environ|\1|' | grep -vx "$$"
}

# leftovers TAG: waits up to 3 s for TAG's processes to go; prints those left
# with their state (T: stopped, t: traced) and tracer, then kills them.
leftovers() {
	local i p left
	for i in $(seq 60); do
		left=$(tagged "$1")
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	for p in $left; do
		echo -n " $p:$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)"
		echo -n ",tracer=$(awk '/^TracerPid:/ {print $2}' /proc/$p/status 2>/dev/null)"
		echo -n ",$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-40)"
	done
	for p in $left; do kill -9 "$p" 2>/dev/null; done
	return 1
}

# mrun NAME SECS WANT CMD...: runs `parttrack run -- CMD` with a hard timeout;
# passes if it exits 0 with exactly WANT on stdout (a regex when WANT starts
# with ~, matched by bash's =~ against the whole output), nothing from parttrack on stderr, and nothing left behind.
mrun() {
	local n=$1 secs=$2 want=$3 why="" rc tag; shift 3
	tag="$n.$$"
	{ (PT_MATRIX_TAG=$tag PT_CLI="$PT" exec timeout -s KILL "$secs" "$PT" run -- "$@" \
		> "$TMP/$n.out" 2> "$TMP/$n.err" < /dev/null); } 2>/dev/null
	rc=$?
	[ $rc = 137 ] && why+=" hung: killed after $secs s;"
	[ $rc = 0 ] || [ $rc = 137 ] || why+=" exit $rc;"
	local got; got=$(cat "$TMP/$n.out")
	if [ "${want:0:1}" = "~" ]; then
		[[ "$got" =~ ${want:1} ]] || why+=" output [$(echo "$got" | head -c 300)];"
	else
		[ "$got" = "$want" ] || why+=" output [$(echo "$got" | head -c 300)], want [$want];"
	fi
	grep -q 'parttrack:' "$TMP/$n.err" && why+=" stderr: $(grep parttrack: "$TMP/$n.err" | head -2);"
	local l; l=$(leftovers "$tag") || why+=" left behind:$l;"
	[ -z "$why" ] && pass "$n" || fail "$n" "$why $(head -c 200 "$TMP/$n.err")"
}

# need PROG...: the programs a case runs; a missing one is a skip that says why.
need() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || { echo "$p is not installed (host-tools/install-deps.sh agents installs it)"; return 1; }
	done
}

m_bash() {
	local r
	if ! r=$(need /usr/bin/bash); then skip bash_nested_command_substitution "$r"; skip bash_pipelines_subshells "$r"; skip bash_script_functions_jobs "$r"; return; fi
	mrun bash_nested_command_substitution 20 hi /usr/bin/bash -c 'x=$(echo $(echo hi)); echo $x'
	mrun bash_pipelines_subshells 20 "$(printf '6 4 2 \n/\ngrp\n3')" /usr/bin/bash -c \
		'for i in 1 2 3; do echo $i; done | (while read a; do echo $((a*2)); done) | sort -rn | tr "\n" " "; echo
		 (cd /; echo $(pwd)); { echo grp; } | cat; echo $(( $(echo 1) + $(echo $(echo 2)) ))'
	cat > "$TMP/script.sh" <<'EOF'
#!/usr/bin/env bash
set -eu
trap 'echo trap-exit' EXIT
f() { local v; v=$(printf '%s' "$1" | tr a-z A-Z); echo "$v"; }
out=$(f abc)
for i in 1 2 3; do (echo "job $i" > "$TMPD/j$i") & done
wait
n=$(cat "$TMPD"/j? | wc -l)
read -r line <<< "$(f here)"
echo "$out $n $line"
EOF
	chmod +x "$TMP/script.sh"
	TMPD=$TMP mrun bash_script_functions_jobs 20 "$(printf 'ABC 3 HERE\ntrap-exit')" "$TMP/script.sh"
}

m_shim() {
	local n=pyenv_like_shim_execs_through_two_shells r
	r=$(need /usr/bin/bash /usr/bin/python3 /usr/bin/env) || { skip $n "$r"; return; }
	# as ~/.pyenv/shims/python3 does: env -> bash shim -> bash front end with
	# nested $(...) -> exec of the real interpreter (Debian's, not a pyenv one)
	mkdir -p "$TMP/shims" "$TMP/shimroot/libexec"
	cat > "$TMP/shims/python3" <<EOF
#!/usr/bin/env bash
set -e
program="\${0##*/}"
export SHIMROOT="$TMP/shimroot"
exec "\$SHIMROOT/libexec/fakeenv" exec "\$program" "\$@"
EOF
	cat > "$TMP/shimroot/libexec/fakeenv" <<'EOF'
#!/usr/bin/env bash
set -e
cmd="$1"; shift
version="$(cat "$SHIMROOT/version" 2>/dev/null || echo "$(echo system)")"
case "$cmd" in
exec)
	prog="$1"; shift
	path="$(for d in /usr/bin /bin; do [ -x "$d/$prog" ] && { echo "$d/$prog"; break; }; done)"
	[ "$version" = system ] && exec "$path" "$@" ;;
esac
exit 1
EOF
	chmod +x "$TMP/shims/python3" "$TMP/shimroot/libexec/fakeenv"
	mrun $n 30 "1 True" "$TMP/shims/python3" -c \
		'import os; print(1, "libparttrack.so" in os.environ.get("LD_PRELOAD", ""))'
}

m_python() {
	local n=python3_threads_subprocess_fork r
	r=$(need /usr/bin/python3) || { skip $n "$r"; return; }
	cat > "$TMP/t.py" <<'EOF'
import json, os, subprocess, threading, zlib
out = {}
def work(i):
    d = json.dumps({"i": i, "x": list(range(2000))}).encode()
    for _ in range(40):
        d = zlib.decompress(zlib.compress(d))
    out[i] = json.loads(d)["i"]
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
sub = subprocess.run(["/bin/echo", "sub"], capture_output=True, text=True).stdout.strip()
pid = os.fork()
if pid == 0:
    t = threading.Thread(target=work, args=(9,)); t.start(); t.join()
    os._exit(7 if out.get(9) == 9 else 1)
st = os.waitpid(pid, 0)[1] >> 8
print("py", sorted(out.values()), sub, st)
EOF
	mrun $n 60 "py [0, 1, 2, 3] sub 7" /usr/bin/python3 "$TMP/t.py"
}

# worker pools of each start method (fork, spawn, forkserver)
m_python_pool() {
	local n=python3_multiprocessing_pools r
	r=$(need /usr/bin/python3) || { skip $n "$r"; return; }
	cat > "$TMP/mp.py" <<'EOF'
import multiprocessing as mp, zlib
def f(x):
    return len(zlib.compress(bytes(range(256)) * x))
if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        with mp.get_context(method).Pool(3) as p:
            print(method, sum(p.map(f, range(1, 40))))
EOF
	mrun $n 90 "$(printf 'fork 12641\nspawn 12641\nforkserver 12641')" /usr/bin/python3 "$TMP/mp.py"
}

# a tracked child killed by a signal, or one that exec'ed an untracked image,
# cannot remove its state file; the tracked parent that reaps it (bash's
# waitpid, python's os.waitpid) removes it
m_killed_child_files() {
	local n=killed_children_state_files_removed r why="" p
	r=$(need /usr/bin/bash /usr/bin/python3 /usr/bin/sleep) || { skip $n "$r"; return; }
	mrun ${n}_bash_run 30 "~^[0-9]+$" /usr/bin/bash -c \
		'sleep 30 & p=$!; until [ -e /dev/shm/parttrack.$p ]; do :; done; kill -TERM $p; wait $p; echo $p'
	p=$(cat "$TMP/${n}_bash_run.out")
	[ -n "$p" ] && [ -e "/dev/shm/parttrack.$p" ] && why+=" bash: the file of its killed child $p is left;"
	mrun ${n}_python_run 30 "~^[0-9]+$" /usr/bin/python3 -c '
import os, subprocess, time
c = subprocess.Popen(["/usr/bin/sleep", "30"])
while not os.path.exists("/dev/shm/parttrack.%d" % c.pid): time.sleep(0.01)
c.kill(); c.wait(); print(c.pid)'
	p=$(cat "$TMP/${n}_python_run.out")
	[ -n "$p" ] && [ -e "/dev/shm/parttrack.$p" ] && why+=" python3: the file of its killed child $p is left;"
	mrun ${n}_exec_run 30 "~^[0-9]+$" /usr/bin/bash -c \
		'/usr/bin/env -u LD_PRELOAD /usr/bin/sleep 0.3 & p=$!; wait $p; echo $p'
	p=$(cat "$TMP/${n}_exec_run.out")
	[ -n "$p" ] && [ -e "/dev/shm/parttrack.$p" ] && why+=" bash: the file of its child $p that exec'ed an untracked image is left;"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

m_perl() {
	local n=perl_fork_backticks_threads r
	r=$(need /usr/bin/perl /bin/gzip) || { skip $n "$r"; return; }
	cat > "$TMP/t.pl" <<'EOF'
use strict; use warnings; use threads;
my @k;
for my $i (1..3) {
    my $p = fork();
    if (!$p) { my $x = `echo c$i`; chomp $x; exit($x eq "c$i" ? 0 : 1) }
    push @k, $p;
}
my $ok = 0;
for (@k) { waitpid($_, 0); $ok++ if $? == 0 }
my @t = map { threads->create(sub { my $s = 0; $s += $_ for 1..10000; $s }) } 1..2;
my $sum = 0; $sum += $_->join for @t;
open(my $fh, "-|", "echo perl-pipe | gzip -c | gzip -dc") or die; my $l = <$fh>; close $fh; chomp $l;
print "perl $ok $sum $l\n";
EOF
	mrun $n 60 "perl 3 100010000 perl-pipe" /usr/bin/perl "$TMP/t.pl"
}

m_gzip_xz() {
	local n=gzip_xz_pipeline r want
	r=$(need /usr/bin/bash /bin/gzip /usr/bin/xz /usr/bin/md5sum) || { skip $n "$r"; return; }
	want=$(seq 1 50000 | md5sum)
	mrun $n 60 "$want" /usr/bin/bash -c 'seq 1 50000 | gzip -c | gzip -dc | xz -T2 -c | xz -dc | md5sum'
}

m_busybox() {
	local n=busybox_static_refused_and_inside_bash r
	r=$(need /bin/busybox /usr/bin/bash) || { skip $n "$r"; return; }
	local why="" out
	if file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || ! ldd /bin/busybox >/dev/null 2>&1; then
		# Debian's busybox-static: nothing can be preloaded; run must say so and run nothing
		out=$(PT_MATRIX_TAG=bb.$$ timeout -s KILL 10 "$PT" run -- busybox sh -c 'echo ran' 2>&1)
		[ $? = 1 ] || why+=" exit $?;"
		echo "$out" | grep -q 'refused: .*busybox is statically linked' || why+=" message [$out];"
		echo "$out" | grep -q '^ran' && why+=" it ran anyway;"
	fi
	[ -z "$why" ] || { fail $n "$why"; return; }
	mrun $n 20 "$(printf 'HI\n3')" /usr/bin/bash -c \
		'x=$(busybox echo $(busybox echo hi) | busybox tr a-z A-Z); echo $x; busybox seq 3 | (busybox wc -l)'
}

m_realprog() {
	export PLUG="$T/libplug.so"
	local m
	mrun forked_tree_nested_forks 30 "~nested ok" "$T/realprog" nested 3
	mrun fork_while_threads_in_tracked_calls 60 $'~^self thread [0-9]+ depth=0 in=realprog [^\n]*\nforkthreads ok$' "$T/realprog" forkthreads
	mrun vfork_posix_spawn_exec 30 $'~^spawned\n.*nested ok\nvforked\n.*spawn ok$' "$T/realprog" spawn
	mrun signals_during_tracked_calls 60 $'~^self thread [0-9]+ depth=0 [^\n]*\nsignal ok$' "$T/realprog" signal
	mrun siglongjmp_out_of_tracked_call 30 $'~^self thread [0-9]+ depth=0 in=realprog unwound=3 [^\n]*\nsigjmp ok$' "$T/realprog" sigjmp
	mrun dlopen_dlclose_200_times 30 "~dlloop ok$" "$T/realprog" dlloop
	mrun fork_then_dlopen_in_both_private_stubs 30 "~forkdl ok$" "$T/realprog" forkdl
}

# status -r / list -t: every process of a tracked tree is shown under its parent
m_tree() {
	local n=status_and_list_show_each_process_of_tree why="" tag="tree.$$" i
	PT_MATRIX_TAG=$tag "$PT" run -- /usr/bin/bash -c '(sleep 20; :) & sleep 20 & wait' \
		> /dev/null 2> "$TMP/tree.err" &
	local root=$! s=""
	for i in $(seq 400); do
		s=$("$PT" status -r "$root" 2>/dev/null | grep -c '^process ')
		[ "$s" = 4 ] && break
		sleep 0.05
	done
	[ "$s" = 4 ] || why+=" status -r shows $s processes, want 4 (bash, subshell, 2 sleeps): $("$PT" status -r "$root" 2>&1 | grep '^process' | cut -c1-60);"
	local t; t=$("$PT" list -t | awk -v r="$root" '$1==r {on=1; print; next} on && /^ / {print; next} {on=0}')
	echo "$t" | grep -qE "^    [0-9]+ ppid=[0-9]+ .*/sleep$" || why+=" list -t: no sleep two levels below $root: [$t];"
	[ "$(echo "$t" | wc -l)" = 4 ] || why+=" list -t shows $(echo "$t" | wc -l) lines for the tree;"
	"$PT" status "$root" | grep -q "^process $root .* ppid=$$" || why+=" no ppid on the process line;"
	for p in $(tagged "$tag"); do kill -9 "$p" 2>/dev/null; done
	wait $root 2>/dev/null
	local l; l=$(leftovers "$tag") || why+=" left:$l"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# unshare(CLONE_NEWUSER) needs a single-threaded caller: the helper thread is
# ended around it and started again, so the program sees no difference
m_unshare() {
	local n=unshare_user_namespace r
	r=$(need /usr/bin/unshare /usr/bin/bash) || { skip $n "$r"; return; }
	unshare -Ur true 2>/dev/null || { skip $n "user namespaces are not available here (unshare -Ur true fails untracked)"; return; }
	mrun $n 20 "$(printf 'in-ns 0\nhi')" /usr/bin/unshare -Ur /usr/bin/bash -c 'echo in-ns $(id -u); x=$(echo $(echo hi)); echo $x'
}

# the tree views' bad input: clear errors, usage errors exit 2
m_tree_bad_input() {
	local n=tree_views_bad_input why="" out rc
	out=$("$PT" status -r abc 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "'abc' is not a process id" || why+=" status -r abc: $rc [$out];"
	out=$("$PT" status -r 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "usage: parttrack status \[-b\] \[-r\] PID" || why+=" status -r: $rc [$out];"
	out=$("$PT" status -x 1 2>&1); rc=$?
	[ $rc = 2 ] || why+=" status -x: $rc [$out];"
	out=$("$PT" list -x 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "usage: parttrack list \[-t\]" || why+=" list -x: $rc [$out];"
	out=$("$PT" status -r $$ 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "not tracked" || why+=" status -r of an untracked pid: $rc [$out];"
	out=$("$PT" run -- /nonexistent/prog 2>&1); rc=$?
	[ $rc = 127 ] && echo "$out" | grep -q "cannot run '/nonexistent/prog'" || why+=" run of a missing program: $rc [$out];"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# exec into an image that is not tracked: the old image's file must not be shown as live
m_exec_untracked() {
	local n=exec_into_untracked_image_not_shown why="" tag="ex.$$" i out
	PT_MATRIX_TAG=$tag "$PT" run -- /usr/bin/env -u LD_PRELOAD /usr/bin/sleep 20 &
	local p=$! 
	for i in $(seq 400); do
		[ "$(awk '{print $1}' /proc/$p/comm 2>/dev/null)" = sleep ] && break
		sleep 0.05
	done
	out=$("$PT" status "$p" 2>&1) && why+=" status succeeded on an untracked image: [$(echo "$out" | head -1)];"
	echo "$out" | grep -q "not tracked" || why+=" message [$out];"
	"$PT" list | grep -q "^$p " && why+=" list shows it;"
	kill -9 $p; wait $p 2>/dev/null
	leftovers "$tag" >/dev/null || why+=" left behind;"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# kill the target mid fork storm (timeout's TERM, then SIGKILL): nothing may stay
m_kill_target() {
	local sig n why tag
	for sig in TERM KILL; do
		n=target_killed_by_${sig}_mid_fork_storm why="" tag="kt$sig.$$"
		{ (PT_MATRIX_TAG=$tag exec timeout -s $sig 1 "$PT" run -- /usr/bin/bash -c \
			'while :; do x=$(echo $(echo hi)); y=$( (echo a | cat) ); done' > /dev/null 2>&1); } 2>/dev/null
		local l; l=$(leftovers "$tag") || why+=" left behind:$l"
		[ -z "$why" ] && pass $n || fail $n "$why"
	done
}

# the swap CLI SIGKILLed mid-swap: the program is never left waiting at the
# gate, the swap finishes on its own, and the request slot is served again
m_kill_swap_cli() {
	local n=swap_cli_killed_mid_swap why=""
	spawn K "$PT" run -- "$T/fig1"
	expect K '^ready' >/dev/null || { fail $n "did not start"; return; }
	local p=$PID_K
	send K y; expect K 'parked foo$' >/dev/null
	"$PT" swap -t 30000 "$p" libfoo.so.1 "$T/v2/libfoo.so.1" > /dev/null 2>&1 &
	local sp=$!
	sleep 0.3
	kill -9 $sp; wait $sp 2>/dev/null
	send K ""; expect K '^done y' 5 >/dev/null || why+=" program stuck after the CLI died;"
	send K "work 3"; expect K '^work [12] 3$' 5 >/dev/null || why+=" calls stuck at the gate;"
	send K version; expect K '^version 2$' 5 >/dev/null || why+=" swap did not complete once the library was left;"
	timeout -s KILL 15 "$PT" swap "$p" libfoo.so.1 "$T/v1/libfoo.so.1" > "$TMP/k.swap" 2>&1 || why+=" next swap: $(cat "$TMP/k.swap");"
	send K version; expect K '^version 1$' 5 >/dev/null || why+=" not back to v1;"
	grep -E 'T|t' <(awk '/^State:/ {print $2}' /proc/$p/status) >/dev/null && why+=" target stopped/traced;"
	send K quit; stop K
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# the target SIGKILLed while a swap waits: the CLI returns at once with a reason
m_kill_target_during_swap() {
	local n=target_killed_while_swap_waits why=""
	spawn Q "$PT" run -- "$T/fig1"
	expect Q '^ready' >/dev/null || { fail $n "did not start"; return; }
	local p=$PID_Q
	send Q y; expect Q 'parked foo$' >/dev/null
	timeout -s KILL 20 "$PT" swap -t 30000 "$p" libfoo.so.1 "$T/v2/libfoo.so.1" > "$TMP/q.swap" 2>&1 &
	local sp=$! t0=$SECONDS
	sleep 0.3
	kill -9 "$p"
	local rc; { wait $sp; rc=$?; } 2>/dev/null
	[ $rc = 1 ] || why+=" swap exit $rc;"
	[ $((SECONDS - t0)) -le 5 ] || why+=" swap took $((SECONDS - t0)) s to notice;"
	grep -q "process $p exited while the swap was pending" "$TMP/q.swap" || why+=" message [$(cat "$TMP/q.swap")];"
	{ wait "$p"; } 2>/dev/null
	local out; out=$("$PT" status "$p" 2>&1) && why+=" status of the dead process succeeded;"
	"$PT" list > /dev/null
	[ -e "/dev/shm/parttrack.$p" ] && why+=" list left the dead process's file;"
	stop Q
	[ -z "$why" ] && pass $n || fail $n "$why"
}

run_matrix() {
	m_bash
	m_shim
	m_python
	m_python_pool
	m_killed_child_files
	m_perl
	m_gzip_xz
	m_busybox
	m_unshare
	m_realprog
	m_tree
	m_tree_bad_input
	m_exec_untracked
	m_kill_target
	m_kill_swap_cli
	m_kill_target_during_swap
}
