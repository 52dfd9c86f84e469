"""What an operator sees of a running process: logs, access lines, metrics, traces, shutdown state."""
