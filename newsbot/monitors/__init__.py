"""Watching every run: field coverage counted per page, alarms judged at spider close with spidermon."""
