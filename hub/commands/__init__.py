"""Sub-commands of ``hub``; every module here exposes ``register(subparsers)``."""
