"""Imported first by the worker pool's fork server (pipelines/offload.py, PRELOAD), and
nowhere else.

Ctrl-C reaches the whole process group, the fork server included. The fork server
ignores SIGINT once its preloading is done, but the preloading takes a second or more
(trafilatura, the tagging model), and the pool starts off the reactor's thread while
the crawl goes on, so a Ctrl-C could arrive meanwhile: the fork server died with a
KeyboardInterrupt traceback and the pool never came up. The pool belongs to the crawl
and stops with it (pipelines/offload.py), so the fork server ignores SIGINT from the
start.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
