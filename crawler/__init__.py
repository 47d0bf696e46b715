"""Getting news in: feeds and spiders meet in one Entry type and one store.

Public surface: :class:`crawler.entry.Entry`, :func:`crawler.refresh.refresh_source`,
:class:`crawler.store.Store`. ``crawler`` never imports ``alerts``.
"""
