"""Training code for factdesk's shipped models (not imported at run time).

* :mod:`factdesk.train.verifier` — ``python -m factdesk.train.verifier``: the trained verifier's head.
"""
