import os
import sys

# Test helpers (opcases.py) live next to the tests.
sys.path.insert(0, os.path.dirname(__file__))
