# tests/dnsfault.py - placeholder
