"""``python -m pilkada_cli``."""

from pilkada_cli.cli import main

main()
