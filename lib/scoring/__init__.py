"""The monthly member-unit assessment (五大体系, seed 000 §二(三)).

weights (versions of the rules), score (a month's draft), completeness (reports by the 16th, seed 003
§四(二)), snapshot (published, insert-only versions), tables and narrative (what pages and exports show);
``python -m lib.scoring`` is the CLI.
"""
