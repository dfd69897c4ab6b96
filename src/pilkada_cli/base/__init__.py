"""Base: what every layer may use and that uses no other layer: errors and their exit codes,
translation (i18n), safe file writes (safefile), pausing the garbage collector (gcpause), and
the progress callback of long work (progress). Imports nothing of pilkada_cli but ``base``."""
