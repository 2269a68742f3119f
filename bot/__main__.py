"""``python -m bot``: the admin CLI."""

import sys

from bot.ops.cli import main

sys.exit(main())
