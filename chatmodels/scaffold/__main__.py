"""``python -m chatmodels.scaffold NAME``."""

import sys

from . import main

sys.exit(main())
