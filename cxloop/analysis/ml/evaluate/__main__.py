"""The speed task's child process: `python -m cxloop.analysis.ml.evaluate speed DIR COLUMN N_FIT N_PREDICT`.

Prints one JSON line (texts/s and the process's peak memory); `cxloop eval` runs one per column.
"""

import json
import sys
from pathlib import Path

from . import speed_child

if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "speed":
        sys.exit("usage: python -m cxloop.analysis.ml.evaluate speed DIR COLUMN N_FIT N_PREDICT")
    print(json.dumps(speed_child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))))
