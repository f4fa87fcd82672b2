"""newsbot: a Scrapy project that archives Chinese finance news as Hexo posts."""

__version__ = "0.5.3"
