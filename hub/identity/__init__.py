"""Staff identity: creating staff, memberships, transfers, departures and suspensions.

Data functions here take keyword arguments, never commit (the caller owns the transaction)
and raise :mod:`hub.errors` types. Every change bumps ``staff.version`` in its transaction,
which is what invalidates the per-process grant caches of every worker.
"""
