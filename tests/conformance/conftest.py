"""The conformance suite imports its adapters module from this directory."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
