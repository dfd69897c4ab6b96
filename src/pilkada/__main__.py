"""``python -m pilkada``."""

from pilkada_cli.entry import main

main()
