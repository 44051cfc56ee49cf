#!/usr/bin/env bash
# parttrack test suite: real programs under real tracking, checked through the
# CLI only.  One PASS/FAIL/SKIP line per test.
set -u
: "${PT_BUILD:?PT_BUILD must point at the build directory}"
. "$(dirname "$0")/lib.sh"
export PLUG="$T/libplug.so"

# ---- Figure 1: every state transition of part Y (libfoo) -------------------
t_fig1() {
	local n=fig1_states why=""
	spawn F "$PT" run -- "$T/fig1"
	expect F '^ready' >/dev/null || { fail $n "program did not start: $(cat "$TMP/F.err")"; return; }
	local p=$PID_F
	local s0 s1 s2 s3 s4
	s0=$(parts "$p")
	send F yz; expect F 'parked foo-a' >/dev/null; s1=$(parts "$p")
	send F ""; expect F 'parked bar' >/dev/null; s2=$(parts "$p")
	send F ""; expect F 'parked foo-c' >/dev/null; s3=$(parts "$p")
	send F ""; expect F 'done yz' >/dev/null; s4=$(parts "$p")
	[ "$s0" = "fig1=running libfoo.so.1=unused libbar.so.1=unused" ] || why+=" before:[$s0]"
	[ "$s1" = "fig1=calling libfoo.so.1=running libbar.so.1=unused" ] || why+=" in-Y:[$s1]"
	[ "$s2" = "fig1=calling libfoo.so.1=calling libbar.so.1=running" ] || why+=" Y-calls-Z:[$s2]"
	[ "$s3" = "fig1=calling libfoo.so.1=running libbar.so.1=unused" ] || why+=" back-in-Y:[$s3]"
	[ "$s4" = "fig1=running libfoo.so.1=unused libbar.so.1=unused" ] || why+=" after:[$s4]"
	local ci ri
	ci=$(objfield "$p" 'libfoo' calls_in) ri=$(objfield "$p" 'libfoo' returns_in)
	[ "$ci" = 1 ] && [ "$ri" = 1 ] || why+=" libfoo calls_in=$ci returns_in=$ri (want 1/1)"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_counts() {
	local n=call_counts why="" p=$PID_F
	send F "work 1000"
	expect F '^work 1 1000$' >/dev/null || why+=" bad output: $(tail -1 "$TMP/F.out")"
	local a b c
	a=$(bcount "$p" foo_work calls) b=$(bcount "$p" bar_leaf calls) c=$(bcount "$p" bar_leaf returns)
	[ "$a" = 1001 ] && [ "$b" = 1001 ] && [ "$c" = 1001 ] || why+=" foo_work=$a bar_leaf=$b/$c (want 1001)"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_recursion() {
	local n=recursion_across_libraries why="" p=$PID_F
	send F recurse
	expect F '^recurse 21$' >/dev/null || why+=" bad output"
	local a b r
	a=$(bcount "$p" foo_recurse calls) b=$(bcount "$p" bar_recurse calls) r=$(bcount "$p" foo_recurse returns)
	# 1 from main + 10 from libbar; 10 from libfoo
	[ "$a" = 11 ] && [ "$b" = 10 ] && [ "$r" = 11 ] || why+=" foo_recurse=$a/$r bar_recurse=$b (want 11/11, 10)"
	local d; d=$("$PT" status "$p" | awk -v t="$p" '$1=="thread" && $2==t {print $3}')
	[ "$d" = depth=0 ] || why+=" $d after return"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_longjmp() {
	local n=longjmp_across_tracked_calls why="" p=$PID_F
	send F jmp
	expect F '^jumped 7$' >/dev/null || why+=" no jump"
	local s; s=$(parts "$p")
	[ "$s" = "fig1=running libfoo.so.1=unused libbar.so.1=unused" ] || why+=" state after longjmp [$s]"
	send F "work 5"
	expect F '^work 1 5$' >/dev/null || why+=" calls after longjmp failed"
	local r; r=$(bcount "$p" foo_jump returns)
	[ "$r" = 0 ] || why+=" foo_jump counted $r returns (it never returns)"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_dlopen() {
	local n=dlopen_after_start why="" p=$PID_F
	send F dlopen
	expect F '^plug 4$' >/dev/null || why+=" plug-in failed: $(tail -1 "$TMP/F.out")"
	local c; c=$("$PT" status -b "$p" | grep -c 'libplug.so -> libbar.so.1:bar_leaf calls=2 returns=2')
	[ "$c" = 1 ] || why+=" plug-in's calls into libbar not tracked"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_fork() {
	local n=fork_child_tracked why="" p=$PID_F
	send F fork
	local c; c=$(expect F '^child ' | awk '{print $2}')
	[ -n "$c" ] || { fail $n "no child"; return; }
	PIDS+=("$c")
	local s="" i
	for i in $(seq 100); do
		s=$(parts "$c" 2>/dev/null)
		[ -n "$s" ] && break
		sleep 0.05
	done
	[ "$s" = "fig1=calling libfoo.so.1=running libbar.so.1=unused" ] || why+=" child [$s]"
	s=$(parts "$p")
	[ "$s" = "fig1=running libfoo.so.1=unused libbar.so.1=unused" ] || why+=" parent [$s]"
	local ci; ci=$(objfield "$c" 'libfoo' calls_in)
	kill "$c" 2>/dev/null
	[ -n "$ci" ] && [ "$ci" -ge 1 ] || why+=" child calls_in=$ci"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# ---- swap ---------------------------------------------------------------
t_swap_waits() {
	local n=swap_waits_until_library_unused why="" p=$PID_F
	send F "version"; expect F '^version 1$' >/dev/null || why+=" not v1 before"
	send F yz; expect F 'parked foo-a' >/dev/null
	send F ""; expect F 'parked bar' >/dev/null
	"$PT" swap -t 30000 "$p" libfoo.so.1 "$T/v2/libfoo.so.1" > "$TMP/swap.out" 2>&1 &
	local sp=$!
	sleep 0.7
	kill -0 $sp 2>/dev/null || why+=" swap finished while libfoo was calling libbar: $(cat "$TMP/swap.out")"
	send F ""; expect F 'parked foo-c' >/dev/null
	sleep 0.5
	kill -0 $sp 2>/dev/null || why+=" swap finished while libfoo was running"
	local s; s=$(parts "$p")
	[ "$s" = "fig1=calling libfoo.so.1=running libbar.so.1=unused" ] || why+=" state while waiting [$s]"
	send F ""; expect F 'done yz' >/dev/null
	wait $sp; local rc=$?
	[ $rc = 0 ] && grep -q '^swapped .*v1/libfoo.so.1 -> .*v2/libfoo.so.1' "$TMP/swap.out" || why+=" swap rc=$rc: $(cat "$TMP/swap.out")"
	send F version
	expect F '^version 2$' >/dev/null || why+=" still $(tail -1 "$TMP/F.out") after swap"
	send F "work 10"
	expect F '^work 2 10$' >/dev/null || why+=" work after swap: $(tail -1 "$TMP/F.out")"
	"$PT" status "$p" | grep -q '^object [0-9]* retired .*v1/libfoo.so.1 replaced_by=' || why+=" old object not retired"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_swap_back() {
	local n=swap_back_to_loaded_file why="" p=$PID_F
	"$PT" swap "$p" libfoo.so.1 "$T/v1/libfoo.so.1" > "$TMP/swap2.out" 2>&1 || why+=" swap failed: $(cat "$TMP/swap2.out")"
	send F version
	expect F '^version 1$' >/dev/null || why+=" got $(tail -1 "$TMP/F.out")"
	local s; s=$(parts "$p")
	case "$s" in "fig1=running libfoo.so.1=unused libbar.so.1=unused") ;; *) why+=" parts [$s]";; esac
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_swap_timeout() {
	local n=swap_refused_on_timeout why="" p=$PID_F before after
	before=$(objects "$p")
	send F y; expect F 'parked foo$' >/dev/null
	"$PT" swap -t 300 "$p" libfoo.so.1 "$T/v2/libfoo.so.1" > "$TMP/swap3.out" 2>&1 && why+=" swap succeeded while a thread was inside"
	grep -q "refused: .*still inside .*$p (running" "$TMP/swap3.out" || why+=" message: $(cat "$TMP/swap3.out")"
	send F ""; expect F 'done y' >/dev/null
	after=$(objects "$p")
	[ "$before" = "$after" ] || why+=" object table changed"
	send F version; expect F '^version 1$' >/dev/null || why+=" version changed"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_bad_input() {
	local n=bad_input_clear_errors why="" p=$PID_F before after out
	before=$(objects "$p")
	true & local dead=$!; wait $dead
	out=$("$PT" status "$dead" 2>&1) && why+=" status of dead pid succeeded"
	echo "$out" | grep -q "no process $dead" || why+=" dead pid: [$out]"
	out=$("$PT" status $$ 2>&1) && why+=" status of untracked pid succeeded"
	echo "$out" | grep -q "not tracked" || why+=" untracked pid: [$out]"
	out=$("$PT" status abc 2>&1) && why+=" status abc succeeded"
	echo "$out" | grep -q "not a process id" || why+=" abc: [$out]"
	out=$("$PT" swap "$p" libnope.so.1 "$T/v2/libfoo.so.1" 2>&1) && why+=" swap of unknown library succeeded"
	echo "$out" | grep -q "'libnope.so.1' is not loaded" || why+=" unknown lib: [$out]"
	out=$("$PT" swap "$p" libfoo.so.1 "$T/nonexistent.so" 2>&1) && why+=" swap to missing file succeeded"
	echo "$out" | grep -q "cannot open new library" || why+=" missing file: [$out]"
	out=$("$PT" swap "$p" libfoo.so.1 "$T/v3/libfoo.so.1" 2>&1) && why+=" swap to incomplete library succeeded"
	echo "$out" | grep -q "lacks symbols that callers use: 'foo_work' (used by .*fig1)" || why+=" missing symbol: [$out]"
	out=$("$PT" swap "$p" libc.so.6 "$T/v2/libfoo.so.1" 2>&1) && why+=" swap of libc succeeded"
	out=$("$PT" swap "$p" 2>&1); [ $? = 2 ] || why+=" usage error not exit 2"
	after=$(objects "$p")
	[ "$before" = "$after" ] || why+=" object table changed: [$before] -> [$after]"
	send F version; expect F '^version 1$' >/dev/null || why+=" behaviour changed"
	send F "work 3"; expect F '^work 1 3$' >/dev/null || why+=" calls broken after refusals"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_exec() {
	local n=exec_retracked why="" p=$PID_F
	send F exec
	expect F '^ready' >/dev/null || { fail $n "no ready after exec"; return; }
	local ci; ci=$(objfield "$p" 'libfoo' calls_in)
	[ "$ci" = 0 ] || why+=" fresh image has calls_in=$ci"
	send F "work 7"; expect F '^work 1 7$' >/dev/null || why+=" work after exec"
	ci=$(bcount "$p" foo_work calls)
	[ "$ci" = 8 ] || why+=" foo_work calls=$ci after exec (want 8)"
	[ -z "$why" ] && pass $n || fail $n "$why"
}

t_list() {
	local n=list_shows_process
	"$PT" list | grep -q "^$PID_F .*fig1$" && pass $n || fail $n "pid $PID_F missing from list: $("$PT" list)"
}

# ---- full RELRO ---------------------------------------------------------
t_relro() {
	local n=full_relro_binary why=""
	readelf -d "$T/fig1_relro" | grep -q 'FLAGS.*NOW\|BIND_NOW' || { fail $n "test binary is not -z now"; return; }
	readelf -lW "$T/fig1_relro" | grep -q GNU_RELRO || { fail $n "test binary has no RELRO"; return; }
	spawn R "$PT" run -- "$T/fig1_relro"
	expect R '^ready' >/dev/null || { fail $n "did not start: $(cat "$TMP/R.err")"; return; }
	local p=$PID_R s
	send R "work 100"; expect R '^work 1 100$' >/dev/null || why+=" work"
	local a; a=$(bcount "$p" foo_work calls)
	[ "$a" = 101 ] || why+=" foo_work calls=$a (want 101)"
	send R yz; expect R 'parked foo-a' >/dev/null; send R ""; expect R 'parked bar' >/dev/null
	s=$(parts "$p")
	[ "$s" = "fig1_relro=calling libfoo.so.1=calling libbar.so.1=running" ] || why+=" [$s]"
	send R ""; expect R 'parked foo-c' >/dev/null; send R ""; expect R 'done yz' >/dev/null
	"$PT" swap "$p" libfoo.so.1 "$T/v2/libfoo.so.1" >/dev/null 2>&1 || why+=" swap failed"
	send R version; expect R '^version 2$' >/dev/null || why+=" not v2 after swap"
	stop R
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# ---- C++ exceptions ---------------------------------------------------------
t_cxx() {
	local n=cxx_exceptions_across_tracked_calls why=""
	spawn C "$PT" run -- "$T/cxxmain"
	expect C '^cxx ' >/dev/null || { fail $n "program died: $(cat "$TMP/C.err" | head -3)"; return; }
	grep -q '^cxx ok=3000 wrong=0$' "$TMP/C.out" || why+=" $(cat "$TMP/C.out")"
	local p=$PID_C
	local d; d=$("$PT" status "$p" | awk -v t="$p" '$1=="thread" && $2==t {print $3}')
	[ "$d" = depth=0 ] || why+=" $d after all calls returned or threw"
	local a b; a=$(bcount "$p" _Z6a_calli calls) b=$(bcount "$p" _Z13b_maybe_throwi calls)
	[ "$a" = 3000 ] && [ "$b" = 3000 ] || why+=" a_call=$a b_maybe_throw=$b (want 3000)"
	stop C
	[ -z "$why" ] && pass $n || fail $n "$why"
}

# ---- many threads, swaps under load ------------------------------------------
t_stress() {
	local n=stress_swaps_under_load why="" want=${PT_STRESS_SWAPS:-8}
	spawn S "$PT" run -- "$T/stress" 4
	expect S '^ready' >/dev/null || { fail $n "did not start"; return; }
	local p=$PID_S swaps=0 failed=0 v=2 i
	send S go
	for i in $(seq "$want"); do
		sleep 0.1
		if "$PT" swap -t 5000 "$p" libfoo.so.1 "$T/v$v/libfoo.so.1" >>"$TMP/stress.swap" 2>&1; then
			swaps=$((swaps + 1)); v=$((3 - v))
		else
			failed=$((failed + 1))
		fi
	done
	sleep 0.1
	send S stop
	local r; r=$(expect S '^result') || { fail $n "no result"; return; }
	local v1 v2 bad total
	v1=$(echo "$r" | sed 's/.*v1=\([0-9]*\).*/\1/') v2=$(echo "$r" | sed 's/.*v2=\([0-9]*\).*/\1/')
	bad=$(echo "$r" | sed 's/.*bad=\([0-9]*\).*/\1/') total=$(echo "$r" | sed 's/.*total=\([0-9]*\).*/\1/')
	[ "$bad" = 0 ] || why+=" $bad wrong results"
	[ "$total" -gt 0 ] || why+=" no calls made"
	[ "$swaps" = "$want" ] || why+=" only $swaps of $want swaps completed under load: $(tail -2 "$TMP/stress.swap")"
	[ "$v1" -gt 0 ] && [ "$v2" -gt 0 ] || why+=" v1=$v1 v2=$v2: both versions should have answered"
	local fw fr bl tv1 tv2
	fw=$(bcount "$p" foo_work calls) fr=$(bcount "$p" foo_work returns) bl=$(bcount "$p" bar_leaf calls)
	[ "$fw" = "$total" ] || why+=" tracker counted $fw foo_work calls, program made $total"
	[ "$fr" = "$total" ] || why+=" tracker counted $fr foo_work returns"
	[ "$bl" = "$total" ] || why+=" tracker counted $bl bar_leaf calls"
	tv1=$(objfield "$p" '(/v1/libfoo.so.1( |$)|origin=.*/v1/libfoo)' calls_in)
	tv2=$(objfield "$p" '(/v2/libfoo.so.1( |$)|origin=.*/v2/libfoo)' calls_in)
	[ "$tv1" = "$v1" ] && [ "$tv2" = "$v2" ] || why+=" per-library calls v1=$tv1 v2=$tv2, program saw v1=$v1 v2=$v2"
	send S quit
	stop S
	[ -z "$why" ] && pass "$n ($swaps swaps)" || fail $n "$why"
}

t_fig1
t_counts
t_recursion
t_longjmp
t_dlopen
t_fork
t_list
t_swap_waits
t_swap_back
t_swap_timeout
t_bad_input
t_exec
send F quit; stop F
t_relro
t_cxx
t_stress
. "$(dirname "$0")/matrix.sh"
run_matrix

echo "$NPASS passed, $NFAIL failed, $NSKIP skipped"
[ "$NFAIL" = 0 ]
