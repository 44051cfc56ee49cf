#!/usr/bin/env bash
# The paper's demonstration, automated: an HTTP/1.1 keep-alive server with a
# directory-traversal bug leaks a file outside its root; it is checkpointed when
# its request handler returns and restored into the fixed build; on the same TCP
# connection the same request is now refused. Usage: http.sh WORKDIR [BUILD]
# BUILD is tp (static, non-PIE, --emit-relocs: the default) or pie (plain `gcc -O2 -g`: PIE,
# dynamically linked); the test names of the pie build end in -pie.
set -u
cd "$(dirname "$0")/.."
CK=./build/ckpt H=$1 BUILD=${2:-tp}
# A third argument "aslr" restores with CKPT_NO_MOVE=1: the fixed build stays where the kernel
# loaded it instead of the checkpointed build's address (tests end in -pie-aslr).
TP=./build/$BUILD SFX=; [ "$BUILD" = pie ] && SFX=-pie
RENV=; [ "${3:-}" = aslr ] && { RENV=CKPT_NO_MOVE=1; SFX=-pie-aslr; }
CL=./build/tp/httpclient
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT
wait_file() { for _ in $(seq $(($3 * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
wait_gone() { for _ in $(seq $(($2 * 20))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; return 1; }
if ! $CK tcp-repair-available >/dev/null 2>&1; then
    echo "SKIP: http-traversal-fixed-live$SFX: TCP_REPAIR not permitted (needs CAP_NET_ADMIN)"
    echo "SKIP: http-same-connection$SFX: TCP_REPAIR not permitted"
    exit 0
fi
mkdir -p "$H/www" "$H/img"
echo "hello from the document root" >"$H/www/index.html"
echo "TOP-SECRET outside the root" >"$H/secret.txt"
$TP/httpd "$H/www" "$H/port" </dev/null >"$H/httpd.log" 2>&1 & hp=$!; PIDS+=($hp)
wait_file "$H/port" "[0-9]" 10
$CK watch $hp --at-return handle_request --dir "$H/img" --max 1 >"$H/watch.log" 2>&1 & wp=$!
wait_file "$H/watch.log" "watching handle_request" 10
$CL "$(cat "$H/port")" "/../secret.txt" "$H/go" "/../secret.txt" "/index.html" >"$H/client.log" 2>&1 & cp=$!; PIDS+=($cp)
wait_gone $wp 20
if ! grep -q "TOP-SECRET" "$H/client.log"; then
    echo "FAIL: http-traversal-fixed-live$SFX: the buggy server did not leak (client: $(tr '\n' '|' <"$H/client.log"); watch: $(tr '\n' '|' <"$H/watch.log"))"
    echo "FAIL: http-same-connection$SFX: no leak to start from"
    exit 1
fi
if ! out=$(env $RENV $CK restore "$H/img" --binary $TP/httpd-fixed 2>&1); then
    echo "FAIL: http-traversal-fixed-live$SFX: restore: $out"
    echo "FAIL: http-same-connection$SFX: restore failed"
    exit 1
fi
np=$(echo "$out" | sed -n 's/^restored pid \([0-9]*\).*/\1/p'); PIDS+=($np)
touch "$H/go"
wait $cp; crc=$?
exe=$(readlink /proc/$np/exe 2>/dev/null)
if grep -q "response /../secret.txt: HTTP/1.1 403" "$H/client.log" && grep -q "replaced the running" <<<"$out" &&
    ! kill -0 $hp 2>/dev/null && [[ "$exe" == *httpd-fixed ]]; then
    echo "PASS: http-traversal-fixed-live$SFX"
else
    echo "FAIL: http-traversal-fixed-live$SFX: client: $(tr '\n' '|' <"$H/client.log") exe=$exe restore: $out"
fi
if [ $crc = 0 ] && grep -q "same connection kept" "$H/client.log" && grep -q "hello from the document root" "$H/client.log"; then
    echo "PASS: http-same-connection$SFX"
else
    echo "FAIL: http-same-connection$SFX: client exit $crc: $(tr '\n' '|' <"$H/client.log")"
fi
