"""Logs, traces and metrics, the same way in both apps."""
