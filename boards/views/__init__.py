"""Board views, thin: the reads live in ``boards.cards``, the writes in ``boards.services``."""
