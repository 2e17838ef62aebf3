"""Property-based fuzzing of every provider (issue 8): random and mutated server answers give
objects or ``chatmodels.errors`` exceptions (``test_answers``), and hostile ids never leave
their route (``test_paths``).

One module per provider (``intercom.py``, ``crisp.py``...) holds that provider's table, a
:class:`~tests.fuzz.table.Provider`: how to connect, its list/find/create operations and where
each hostile id must land. A new provider adds one module and one line in ``providers.py``.
"""
