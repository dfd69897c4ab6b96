"""``python -m pilkada``: the same command as ``pilkada`` and ``python -m pilkada_cli``.

The code lives in ``pilkada_cli`` (the distribution is pilkada-cli); this package only gives
the short name Windows users type (``py -m pilkada``) where the Scripts folder is not on PATH.
"""
