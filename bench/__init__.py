"""The signIn benchmark: this server against two reference designs, under wrk, with a stand-in Cognito.

``python -m bench`` runs it (see ``bench/run.py``); ``bench.standin_cognito`` is the stand-in, also
used by tests.
"""
