"""Imported by every Python child process a replayed connector starts (``PYTHONPATH`` during replay): the child
gets the same network guard, and its attempts go to the file named by ``REPLAYKIT_NETGUARD_REPORT``."""

import os

if os.environ.get("REPLAYKIT_NETGUARD_REPORT"):
    try:
        from replaykit.netguard import guard_child
    except ImportError:  # another Python without replaykit: the proxy variables and the namespace still hold
        pass
    else:
        guard_child()
