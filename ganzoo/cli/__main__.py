"""``python -m ganzoo.cli``: the ``ganzoo`` command without its console script."""

from ganzoo.cli.app import main

main()
