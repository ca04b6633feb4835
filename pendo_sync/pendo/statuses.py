"""What an HTTP status from Pendo means, in one table for every write: bulk metadata, Track events,
segment PATCHes, and each entry of a segment's multistatus answer. Three kinds (errors.py says what
each becomes for the run):

    status              kind        rows become   why (docs: /work/shared/pendo-api.md §7, §10)
    401 403             fatal       (run stops)   the key is refused: nothing else this run sends can land
    408 409 429 500     retryable   failed        Pendo is busy, slow or down: resent within the run at the
    502 503 504                                   endpoint's pace (pacing.py), then left for the next run
    400 413 422         rejected    rejected      Pendo refused the body, i.e. these rows (a batch is split
                                                  first to isolate them, client.py): reported by id
    404                 retryable   failed        on bulk and Track paths, which name no id: the endpoint or
                                                  the key's access is missing, not the row. A segment PATCH
                                                  names its segment: client.py stops that model instead
    any other           retryable   failed        not attributable to the row: never counted as its fault

`rejected` is only for answers that blame the rows: rows only rejected leave their model `warn`, where
failed rows Pendo acknowledged none of make it `error` (report.py), so calling a server's failure a
rejection would show a sync that delivered nothing as a mere warning. responses.row_outcome turns a
status into what its rows become.
"""

from __future__ import annotations

FATAL, RETRYABLE, REJECTED_ROW = "fatal", "retryable", "rejected"
AUTH_STATUSES = (401, 403)
REJECTED_STATUSES = (400, 413, 422)
PACED_STATUSES = (409, 429)  # Pendo asks us to slow down: resent at the endpoint's pace
RETRY_STATUSES = (408, *PACED_STATUSES, 500, 502, 503, 504)  # resent within the run


def kind_of(status: int) -> str:
    """FATAL, RETRYABLE or REJECTED_ROW for a status that is not a success."""
    if status in AUTH_STATUSES:
        return FATAL
    if status in REJECTED_STATUSES:
        return REJECTED_ROW
    return RETRYABLE
