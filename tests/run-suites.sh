#!/usr/bin/env bash
# Runs test suites and totals their verdict lines.
# Each suite is a command that prints one line per test:
#   PASS: <name>            FAIL: <name>: <why>           SKIP: <name>: <why>
# A suite that exits non-zero without printing any FAIL line counts as one
# failed test named after the suite, so a crash never passes silently.
# Usage: run-suites.sh NAME=COMMAND [NAME=COMMAND ...]
set -u
pass=0 fail=0 skip=0
failed_names=()
for spec in "$@"; do
    name=${spec%%=*} cmd=${spec#*=}
    echo "=== suite $name: $cmd"
    log=$(mktemp)
    bash -c "$cmd" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log"); s=$(grep -c '^SKIP: ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL: suite-$name: exited with status $rc and reported no failing test"
        failed_names+=("FAIL: suite-$name: exit status $rc"); f=1
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        echo "FAIL: suite-$name: ran no test"
        failed_names+=("FAIL: suite-$name: ran no test"); f=1
    fi
    while IFS= read -r l; do failed_names+=("$l"); done < <(grep '^FAIL: ' "$log")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    rm -f "$log"
done
echo
if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "Failures:"; printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
