"""``python -m pilkada_cli``."""

from pilkada_cli.entry import main

main()
