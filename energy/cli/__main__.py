"""``python -m energy.cli``."""

from energy.cli import main

raise SystemExit(main())
