from __future__ import annotations

from gitml.cli.main import main

main()
