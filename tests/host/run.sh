#!/usr/bin/env bash
# Host-tool tests (extract-vmlinux, newc.py, mkiso.sh); see tests/host/host_tools.py.
exec python3 "$(dirname "$0")/host_tools.py" "$@"
