import sys
from pathlib import Path

# the tests' own helper modules (notebook_runner, ...) import by name
sys.path.insert(0, str(Path(__file__).parent))
