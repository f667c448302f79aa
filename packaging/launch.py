"""Entry script frozen by ``packaging/inkpick.spec``: the bundle's ``inkpick-desktop``.

The source tree has no script file for the app (it is the ``inkpick-desktop``
gui-script of ``pyproject.toml``), and PyInstaller needs one; this is it.
"""

import sys

from inkpick_desktop.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
