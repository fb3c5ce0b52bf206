#!/bin/sh
# tests/nscheck.sh - placeholder
echo "1..0 # SKIP not written yet"
