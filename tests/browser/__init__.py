"""The page (web/) in headless Chromium, against tornado_server.py as a process."""
