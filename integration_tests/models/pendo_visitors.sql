select user_id, email, first_name, plan, seats, signed_up_at, is_admin
from {{ ref('visitors') }}
