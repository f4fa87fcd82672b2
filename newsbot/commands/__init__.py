"""newsbot's commands, run by Scrapy's command line (``COMMANDS_MODULE``) and the ``newsbot`` script."""
