"""`python -m orders_api.cli`: the `orders-api` command without its console script."""

import sys

from orders_api.cli import main

sys.exit(main())
