"""``python -m hub.cli``: how ``hub serve`` starts its embedded worker."""

from hub.cli import main

main()
