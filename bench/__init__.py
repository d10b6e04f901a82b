"""The signIn benchmark: this server against two reference designs, under wrk, with a stand-in Cognito.

``python -m bench`` runs it (see ``bench/run.py``); ``bench.standin_cognito`` is the stand-in, also
used by tests. The modules:

- ``run``: the options and the order of a run; ``report``: the table, its medians and the targets;
- ``servers``: the servers under test and their processes; ``wrk``: one cell (wrk's load, and the
  CPU and memory it cost); ``procfs``: what is read from /proc;
- ``standin_cognito``: the stand-in served over HTTP; ``standin_tokens``: its pool, app client and
  tokens; ``standin_process``: the stand-in in a process of its own, and its command line;
- ``bare_aiobotocore_app``, ``sync_boto3_app``: the two reference servers.

It loads nothing of the server: the servers under test are separate programs.
"""
