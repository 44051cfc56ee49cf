#!/usr/bin/env bash
# Cost of one cross-object call+return under each way of seeing it, measured
# in one run on this machine, beside the seed paper's figures.
set -eu
: "${PT_BUILD:?PT_BUILD must point at the build directory}"
B="$PT_BUILD/bench"
N=${PT_BENCH_CALLS:-10000000}
R=${PT_BENCH_ROUNDS:-7}
run() { "$@" "$B/bench_call" "$N" "$R" ${MODE:-}; }
PRE="LD_PRELOAD=$PT_BUILD/libparttrack.so"

plain=$(run env)
tracked=$(run env LD_PRELOAD="$PT_BUILD/libparttrack.so")
fenced=$(run env LD_PRELOAD="$PT_BUILD/libparttrack.so" PARTTRACK_MODE=fenced)
sysc=$(N=$((N / 20)) run env LD_PRELOAD="$PT_BUILD/libparttrack.so" PARTTRACK_MODE=syscall)
audit=$(N=$((N / 10)) run env LD_AUDIT="$B/libaudit.so")
# in a forked child and after exec, each beside the plain call in the same place
plain_fork=$(MODE=fork run env) tracked_fork=$(MODE=fork run env "$PRE")
plain_exec=$(MODE=exec run env) tracked_exec=$(MODE=exec run env "$PRE")
fork_plain=$("$B/bench_call" 0 7 forklat) fork_tracked=$(env "$PRE" "$B/bench_call" 0 7 forklat)
# re-run the baseline last too, and keep the faster, so drift does not favour us
plain2=$(run env)
plain=$(awk -v a="$plain" -v b="$plain2" 'BEGIN {print (a < b ? a : b)}')

add() { awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = 0; printf "%.3f", d}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b <= 0) print "inf"; else printf "%.3f", a / b}'; }
t_add=$(add "$tracked" "$plain") f_add=$(add "$fenced" "$plain")
tf_add=$(add "$tracked_fork" "$plain_fork") te_add=$(add "$tracked_exec" "$plain_exec")
s_add=$(add "$sysc" "$plain") a_add=$(add "$audit" "$plain")
# the goal is measured as added cost; a floor of 0.1 ns keeps ratios finite
t_floor=$(awk -v a="$t_add" 'BEGIN {printf "%.3f", (a < 0.1 ? 0.1 : a)}')

printf '%-44s %12s %12s %10s\n' "cross-object call+return" "ns/call" "added ns" "x plain"
printf '%-44s %12s %12s %10s\n' "untracked (plain PLT call)" "$plain" "0" "1.000"
printf '%-44s %12s %12s %10s\n' "hindsight parttrack (fast, no syscall)" "$tracked" "$t_add" "$(ratio "$tracked" "$plain")"
printf '%-44s %12s %12s %10s\n' "untracked, in a forked child" "$plain_fork" "0" "1.000"
printf '%-44s %12s %12s %10s\n' "hindsight parttrack, in a forked child" "$tracked_fork" "$tf_add" "$(ratio "$tracked_fork" "$plain_fork")"
printf '%-44s %12s %12s %10s\n' "untracked, after exec" "$plain_exec" "0" "1.000"
printf '%-44s %12s %12s %10s\n' "hindsight parttrack, after exec" "$tracked_exec" "$te_add" "$(ratio "$tracked_exec" "$plain_exec")"
printf '%-44s %12s %12s %10s\n' "hindsight parttrack (fenced, no membarrier)" "$fenced" "$f_add" "$(ratio "$fenced" "$plain")"
printf '%-44s %12s %12s %10s\n' "glibc LD_AUDIT la_pltenter/la_pltexit" "$audit" "$a_add" "$(ratio "$audit" "$plain")"
printf '%-44s %12s %12s %10s\n' "seed scheme: a syscall per transition" "$sysc" "$s_add" "$(ratio "$sysc" "$plain")"
printf '%-44s %12s %12s %10s\n' "seed paper (PentiumIII 550MHz, FreeBSD 4.3)" "-" "1100" "1.5"
echo
printf '%-44s %12s %12s %10s\n' "fork + child exit + waitpid" "us/fork" "added us" "x plain"
printf '%-44s %12s %12s %10s\n' "untracked" "$fork_plain" "0" "1.000"
printf '%-44s %12s %12s %10s\n' "hindsight parttrack (state file, stubs, helper)" "$fork_tracked" "$(add "$fork_tracked" "$fork_plain")" "$(ratio "$fork_tracked" "$fork_plain")"
echo
echo "bench parttrack_added_ns $t_add ns baseline seed_added_ns 1100 ratio $(ratio "$t_add" 1100)"
echo "bench parttrack_call_ns $tracked ns baseline plt_call_ns $plain ratio $(ratio "$tracked" "$plain")"
echo "bench ldaudit_added_ns $a_add ns baseline parttrack_added_ns $t_add ratio $(ratio "$a_add" "$t_floor")"
echo "bench syscall_scheme_added_ns $s_add ns baseline parttrack_added_ns $t_add ratio $(ratio "$s_add" "$t_floor")"
echo "bench parttrack_fork_child_added_ns $tf_add ns baseline parttrack_added_ns $t_add ratio $(ratio "$tf_add" "$t_floor")"
echo "bench parttrack_after_exec_added_ns $te_add ns baseline parttrack_added_ns $t_add ratio $(ratio "$te_add" "$t_floor")"
echo "bench parttrack_fork_child_vs_ldaudit_added_ns $tf_add ns baseline ldaudit_added_ns $a_add ratio $(ratio "$tf_add" "$a_add")"
echo "bench parttrack_fork_us $fork_tracked us baseline fork_us $fork_plain ratio $(ratio "$fork_tracked" "$fork_plain")"
