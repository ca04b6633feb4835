-- Only the value columns: the relation whose columns pendo_sync.event_id(relation) hashes.
select c1, c2, c3
from {{ ref('event_id_cases_decoded') }}
