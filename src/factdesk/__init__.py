"""factdesk: a local-first fact-checking desk.

Library first; the CLI and the web desk are thin faces over these calls::

    from factdesk.pipeline import Pipeline
    from factdesk.store import Store

    with Store.open("factdesk.db") as store:
        pipeline = Pipeline(store)
        pipeline.index_path("corpus/")
        report = pipeline.check("article.html")
"""

__version__ = "0.1.0"
