"""`python -m rnnkern.bench [options]`, the same as `python -m rnnkern bench [options]`."""
import sys

from .cli import main

sys.exit(main())
