-- The README usage: hash every column of the upstream model, then select it all.
-- Also checks the columns form in the same query agrees when given the same column order.
select
    {{ pendo_sync.event_id(ref('event_id_values')) }} as event_id,
    {{ pendo_sync.event_id(columns=['c1', 'c2', 'c3']) }} as id_columns,
    *
from {{ ref('event_id_values') }}
