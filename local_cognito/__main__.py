"""``python -m local_cognito``: the local Cognito on its own, for any app (see ``standalone.py``)."""

import sys

from local_cognito.standalone import main

if __name__ == "__main__":
    sys.exit(main())
