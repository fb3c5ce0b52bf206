# tests/slapd.sh - placeholder
