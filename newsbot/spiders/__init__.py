"""Spiders of newsbot: thin discovery, then pages handed to the site extraction modules."""
