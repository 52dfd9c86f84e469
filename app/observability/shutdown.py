"""Process lifecycle flags shared by the server hooks and readiness."""

import threading

shutdown_started = threading.Event()
