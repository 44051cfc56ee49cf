#!/usr/bin/env bash
# guest/ckpt bench: the seed's Table 1 (system-call cost while watched) and
# Table 2 (checkpoint and restart time vs. process memory), measured with the CLI.
# A step that fails is reported as "FAIL: bench <name>: why", never as a figure, and the bench
# then exits 1. CK, SIZES (MB) and ITERS can be overridden (the tests run a failing CK).
set -u
cd "$(dirname "$0")/.."
CK=${CK:-./build/ckpt} TP=./build/tp
W=$(mktemp -d /tmp/ckpt-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
now() { date +%s.%N; }
wait_file() { for _ in $(seq $(($3 * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# wait_watch PID FILE PATTERN SECONDS: like wait_file, but gives up as soon as the watcher PID is gone
wait_watch() { for _ in $(seq $(($4 * 20))); do grep -q "$3" "$2" 2>/dev/null && return 0; kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; grep -q "$3" "$2" 2>/dev/null; }
# FAILED[figure] = why; a failed figure is printed as FAILED in the tables and never as a bench line.
declare -A FAILED=()
failed() { [ -n "${FAILED[$1]:-}" ] || FAILED[$1]=$2; echo "ckpt bench: $1: $2" >&2; }
line() {
    if [ -n "${FAILED[$1]:-}" ] || [ -z "$2" ]; then
        echo "FAIL: bench $1: ${FAILED[$1]:-no figure measured}"; nfail=$((nfail + 1)); return
    fi
    awk -v n="$1" -v v="$2" -v u="$3" -v bn="$4" -v bv="$5" 'BEGIN{printf "bench %s %.4f %s baseline %s %s ratio %.4f\n", n, v, u, bn, bv, v/bv}'
}
cell() { if [ -n "${FAILED[$1]:-}" ] || [ -z "$2" ]; then printf "%10s" FAILED; else printf "%10.3f" "$2"; fi; }
nfail=0

ITERS=${ITERS:-200000}
touch "$W/go-now"
un=$($TP/sysbench "$W/go-now" $ITERS) || failed syscall_unwatched "sysbench failed"
$TP/sysbench "$W/go-later" $ITERS >"$W/sys.out" & sp=$!; PIDS+=($sp)
$CK watch $sp --at-return watched_fn --dir "$W/sysimg" >"$W/watch.log" 2>&1 & wp=$!
wait_watch $wp "$W/watch.log" "watching watched_fn" 10 || failed syscall_watched "ckpt watch did not start: $(cat "$W/watch.log")"
touch "$W/go-later"; wait $sp || failed syscall_watched "sysbench failed"; wait $wp
wa=$(cat "$W/sys.out")

declare -A CKT CKR WCK RST
SEED_CK=(1.36 3.11 4.81 6.44 8.15) SEED_RS=(1.50 3.19 4.45 5.46 6.90)
declare -A SEEDI=([100]=0 [200]=1 [300]=2 [400]=3 [500]=4)
SIZES=${SIZES:-100 200 300 400 500}
# The same rows for the target as users build it (plain gcc -O2 -g: PIE, dynamically linked).
PIE_SIZES=${PIE_SIZES-100 500}
# measure MB PROG TAG: the four figures of one row (TAG "" = static build, "pie_" = PIE build)
measure() {
    local mb=$1 prog=$2 tag=$3 k=$3$1
    $prog $mb >"$W/hog.out" & hp=$!; PIDS+=($hp)
    wait_file "$W/hog.out" ready 60
    rm -rf "$W/img"
    t0=$(now); $CK dump $hp --dir "$W/img" >/dev/null || failed ckpt_checkpoint_${k}mb "dump failed"; t1=$(now)
    # Repeated checkpoints (as in watch mode): the second keeps the first as the spare image,
    # the third writes over the spare's page-cache pages instead of allocating new ones.
    $CK dump $hp --dir "$W/img" >/dev/null || failed ckpt_checkpoint_repeated_${k}mb "dump 2 failed"
    t4=$(now); o=$($CK dump $hp --dir "$W/img") || failed ckpt_checkpoint_repeated_${k}mb "dump 3 failed"; t5=$(now)
    grep -q "over the previous spare" <<<"$o" || failed ckpt_checkpoint_repeated_${k}mb "dump 3 did not reuse the spare: $o"
    kill -9 $hp; wait $hp 2>/dev/null
    # watch's first checkpoint, the paper's case: the watcher prepares a blank spare while it
    # waits (watched at main, which never returns), then tick's next return checkpoints.
    $prog $mb >"$W/whog.out" & wh=$!; PIDS+=($wh)
    wait_file "$W/whog.out" ready 60
    $CK watch $wh --at-return main --dir "$W/wimg" --max 1 >"$W/wimg.log" 2>&1 & wp=$!
    if wait_watch $wp "$W/wimg.log" "spare image ready" 60; then
        $CK ctl "$W/wimg" add tick || failed ckpt_watch_first_checkpoint_${k}mb "ckpt ctl failed"
        wait $wp || failed ckpt_watch_first_checkpoint_${k}mb "ckpt watch failed: $(cat "$W/wimg.log")"
    else
        failed ckpt_watch_first_checkpoint_${k}mb "no spare image: $(cat "$W/wimg.log")"; kill $wp 2>/dev/null; wait $wp 2>/dev/null
    fi
    WCK[$k]=$(sed -n 's/^checkpoint 1: .* in \([0-9.]*\) ms.*/\1/p' "$W/wimg.log" | awk '{print $1 / 1000}')
    grep -q "checkpoint 1: .*over the spare image" "$W/wimg.log" ||
        failed ckpt_watch_first_checkpoint_${k}mb "first checkpoint not over the spare: $(cat "$W/wimg.log")"
    kill -9 $wh; wait $wh 2>/dev/null; rm -rf "$W/wimg"
    t2=$(now); out=$($CK restore "$W/img" --binary $prog) || failed ckpt_restore_${k}mb "restore failed: $out"; t3=$(now)
    np=$(echo "$out" | sed -n 's/^restored pid \([0-9]*\).*/\1/p')
    if [ -n "$np" ]; then
        PIDS+=($np)
        # the restored process must be alive and still holding its memory
        # and that memory is the saved bytes: SIGUSR1 makes memhog check every word
        sleep 0.1; kill -USR1 "$np" 2>/dev/null || failed ckpt_restore_${k}mb "restored memhog died"
        wait_file "$W/hog.out" "verified" 20 || failed ckpt_restore_${k}mb "restored memhog did not verify its memory"
        grep -q "verified ok" "$W/hog.out" || failed ckpt_restore_${k}mb "restored memory differs: $(cat "$W/hog.out")"
        kill -9 "$np" 2>/dev/null
    else
        failed ckpt_restore_${k}mb "no restored process: $out"
    fi
    CKT[$k]=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}'); RST[$k]=$(awk -v a=$t2 -v b=$t3 'BEGIN{print b-a}')
    CKR[$k]=$(awk -v a=$t4 -v b=$t5 'BEGIN{print b-a}')
}
for mb in $SIZES; do measure $mb $TP/memhog ""; done
for mb in $PIE_SIZES; do measure $mb ${PIE:-./build/pie}/memhog pie_; done

echo "Table 1: open+close of a file, microseconds per pair (seed: Core 2 Quad 2.4 GHz, kernel module)"
printf "  %-28s %10s %10s\n" "" "seed" "ckpt"
printf "  %-28s %10s %s\n" "not watched" 2.28 "$(cell syscall_unwatched "$un")"
printf "  %-28s %10s %s\n" "watched (function not returning)" 3.66 "$(cell syscall_watched "$wa")"
echo "Table 2: checkpoint and restart time, seconds (CLI wall time, image in the page cache of $(findmnt -n -o FSTYPE -T "$W" 2>/dev/null || echo '?') at $W, no fsync)"
echo "  first = dump into an empty DIR (every page-cache page new); repeated = third dump into the same"
echo "  DIR, written over the spare image; watch 1st = first checkpoint of ckpt watch (over the blank"
echo "  spare it prepared while waiting; time of the checkpoint itself, no process start); goal = seed / 20"
printf "  %-8s %10s %10s %10s %10s %10s %12s %10s %10s\n" "memory" "seed ckpt" "goal" "first" "repeated" "watch 1st" "seed restart" "goal" "restore"
# seed_i MB POS: the seed's Table 2 column for MB (by size; other sizes by position, as SIZES)
seed_i() { local i=${SEEDI[$1]:-$2}; [ "$i" -gt 4 ] && i=4; echo $i; }
row() { # LABEL MB KEY POS
    local i; i=$(seed_i $2 $4)
    printf "  %-8s %10s %10.3f %s %s %s %12s %10.3f %s\n" "$1" "${SEED_CK[$i]}" \
        "$(awk -v s=${SEED_CK[$i]} 'BEGIN{print s/20}')" "$(cell ckpt_checkpoint_${3}mb "${CKT[$3]:-}")" \
        "$(cell ckpt_checkpoint_repeated_${3}mb "${CKR[$3]:-}")" "$(cell ckpt_watch_first_checkpoint_${3}mb "${WCK[$3]:-}")" \
        "${SEED_RS[$i]}" "$(awk -v s=${SEED_RS[$i]} 'BEGIN{print s/20}')" "$(cell ckpt_restore_${3}mb "${RST[$3]:-}")"
}
i=0; for mb in $SIZES; do row "${mb}MB" $mb $mb $i; i=$((i + 1)); done
[ -z "$PIE_SIZES" ] || echo "  PIE, dynamically linked (gcc -O2 -g; restored at the checkpointed build's load address, libraries mapped again):"
i=0; for mb in $PIE_SIZES; do row "${mb}MB" $mb pie_$mb $i; i=$((i + 1)); done
line syscall_unwatched "$un" us seed_table1_unwatched 2.28
line syscall_watched "$wa" us seed_table1_watched_n1 3.66
bench_lines() { # MB KEY POS
    local i; i=$(seed_i $1 $3)
    line ckpt_checkpoint_${2}mb "${CKT[$2]:-}" s seed_table2 "${SEED_CK[$i]}"
    line ckpt_checkpoint_repeated_${2}mb "${CKR[$2]:-}" s seed_table2 "${SEED_CK[$i]}"
    line ckpt_watch_first_checkpoint_${2}mb "${WCK[$2]:-}" s seed_table2 "${SEED_CK[$i]}"
    line ckpt_restore_${2}mb "${RST[$2]:-}" s seed_table2 "${SEED_RS[$i]}"
}
i=0; for mb in $SIZES; do bench_lines $mb $mb $i; i=$((i + 1)); done
i=0; for mb in $PIE_SIZES; do bench_lines $mb pie_$mb $i; i=$((i + 1)); done
if [ $nfail -gt 0 ]; then echo "ckpt bench: $nfail figure(s) not measured: a failed step is no figure" >&2; exit 1; fi
