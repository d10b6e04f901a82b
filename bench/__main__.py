"""``python -m bench``: run the signIn benchmark (the options are in ``bench/run.py``)."""

import sys

from bench.run import main

sys.exit(main())
