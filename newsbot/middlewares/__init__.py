"""Downloader middlewares of newsbot."""
