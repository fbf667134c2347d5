"""Job functions of automatic steps (``gendan.jobs``), one module per procedure."""
