"""Helpers of ``tests/test_journal_servers.py`` that run in processes of their own."""
