# tests/sink.py - placeholder
