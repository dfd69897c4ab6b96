"""pilkada: track how ready each region is for each stage of a regional head election."""

__version__ = "0.1.0"
