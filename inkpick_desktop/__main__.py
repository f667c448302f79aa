"""``python -m inkpick_desktop`` runs the command-line interface."""

import sys

from inkpick_desktop.cli import main

sys.exit(main())
