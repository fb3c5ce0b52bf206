# tests/dnsrig.sh - placeholder
