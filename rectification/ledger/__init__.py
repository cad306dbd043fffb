"""The ledger (整改台账) in Excel, as offices keep it.

- :mod:`rectification.ledger.importer`: read an office's .xlsx ledger and create
  its problems and tasks, all or nothing (the columns and words it understands);
- :mod:`rectification.ledger.template`: the .xlsx to fill in;
- :mod:`rectification.ledger.layout`: the office layout both share with the
  export (merged title row, header style).

The ledger page and its export are read-only views of the work: ``reports.ledger``.
"""
