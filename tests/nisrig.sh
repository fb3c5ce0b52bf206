# tests/nisrig.sh - placeholder
