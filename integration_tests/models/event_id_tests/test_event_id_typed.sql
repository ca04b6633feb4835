-- Non-text columns (integer, timestamp, boolean) are cast to text before hashing: one id per visitor.
select
    user_id,
    seats,
    {{ pendo_sync.event_id(ref('visitors')) }} as event_id,
    {{ pendo_sync.event_id(columns=['user_id', 'email', 'first_name', 'plan', 'seats', 'signed_up_at', 'is_admin']) }} as id_columns,
    {{ pendo_sync.event_id(columns=['seats']) }} as id_seats_only
from {{ ref('visitors') }}
