"""What a grade sets in motion, read from a rule set's `[consequences]` and the stored runs.

* `basis`    — a run as the decision measures start from: its rule set, publication day,
               the next publication (which ends "until the next results" measures).
* `matching` — which measures apply to which companies and projects of a run (DuckDB SQL).
* `inforce`  — a company's measures in force on a day (or proposed), until when, and the
               tender lookup: credit points for a tender on a date.
* `plan`, `review` — the next period's inspection plan per project and level, with the
               reason for each, and plan against actual inspections.
* `whatif`, `remedy` — the way back up: the smallest changes in what the rule set counts that
               move a company up one grade or off the black list.
* `words`    — measures in plain Chinese for cards, exports and lists.
"""
