#!/usr/bin/env bash
# Emulator tests; see tests/e2e/e2e.py.
exec python3 "$(dirname "$0")/e2e.py" "$@"
