"""Text helpers shared by the stages, below all of them: sentences with offsets, named mentions, quotation spans.

Stages (claims, retrieve, verify, context, …) import from here; nothing here imports a stage.
"""
