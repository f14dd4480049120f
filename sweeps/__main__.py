"""``python -m sweeps``: the same as the ``sweeps`` console script."""
from sweeps.cli import main

raise SystemExit(main())
