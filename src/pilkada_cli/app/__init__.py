"""Application: what a command needs, built in one place, between the command line and the
layers below: the readiness and events of a workspace (loading), the language of a run, a new
workspace's set-up, validation, one origin per copy of a workspace. May import every layer
below the command line (output, storage, domain, base); never ``cli``."""
