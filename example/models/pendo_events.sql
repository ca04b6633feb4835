-- One row per Track event. The event id hashes every column of the source rows, so rebuilding
-- the model never changes an event's id, and pendo-dbt sends each event once.
select
    {{ pendo_sync.event_id(ref('product_events')) }} as event_id,
    *
from {{ ref('product_events') }}
