"""Where articles are discovered: channel tables of the sites newsbot crawls."""
