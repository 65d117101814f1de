"""`python -m rating.cli …` is the same as `rating …`."""

from rating.cli import main

raise SystemExit(main())
